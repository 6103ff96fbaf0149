/// Why a SunSpec register image or model could not be decoded.
///
/// Addresses are absolute 0-based Modbus protocol addresses; offsets count from a model's ID register.
public enum SunSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The two registers at `baseAddress` are not the "SunS" marker (0x5375 0x6E53).
    case noMarker(baseAddress: Int)
    /// The register image ends before `address`, which the model chain needs.
    case truncated(at: Int)
    /// The chain holds more than `limit` models without an end marker (a loop or a device returning garbage).
    case chainTooLong(limit: Int)
    /// The next model would start at `address`, past the 16-bit Modbus address space.
    case addressOutOfRange(Int)
    /// The registers handed to a model decoder start with another model ID.
    case unexpectedModel(expected: UInt16, actual: UInt16)
    /// The model's length register `L` is not what the model defines.
    case lengthMismatch(model: UInt16, expected: Int, actual: Int)
    /// `L` minus the fixed part is not a whole number of repeating blocks.
    case repeatingBlockMismatch(model: UInt16, length: Int, fixedLength: Int, blockLength: Int)
    /// Fewer registers were handed to a model decoder than its ID, `L` and body need.
    case modelTruncated(model: UInt16, needed: Int, available: Int)

    /// What failed, with the model, address or length involved.
    public var description: String {
        switch self {
        case .noMarker(let baseAddress):
            "no SunSpec marker (\"SunS\") at base address \(baseAddress)"
        case .truncated(let address):
            "register image ends before address \(address)"
        case .chainTooLong(let limit):
            "model chain has more than \(limit) models without an end marker"
        case .addressOutOfRange(let address):
            "next model address \(address) is past the Modbus address space (0...65535)"
        case .unexpectedModel(let expected, let actual):
            "expected model \(expected), registers start with model ID \(actual)"
        case .lengthMismatch(let model, let expected, let actual):
            "model \(model) has length \(actual), expected \(expected)"
        case .repeatingBlockMismatch(let model, let length, let fixedLength, let blockLength):
            "model \(model) length \(length) minus fixed part \(fixedLength) is not a multiple of "
                + "the \(blockLength)-register repeating block"
        case .modelTruncated(let model, let needed, let available):
            "model \(model) needs \(needed) registers, got \(available)"
        }
    }
}
