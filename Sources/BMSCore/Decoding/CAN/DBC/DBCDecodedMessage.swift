/// A frame decoded with a DBC message.
public struct DBCDecodedMessage: Sendable, Equatable {
    /// The message name.
    public var name: String
    /// The frame identifier.
    public var id: UInt32
    /// Whether the identifier is 29-bit.
    public var isExtended: Bool
    /// The signals the frame carries, in DBC order (for a multiplexed message, only those its multiplexer
    /// values select).
    public var signals: [DBCDecodedSignal]

    /// The decoded signal called `name`, if the frame carries it.
    public subscript(signal name: String) -> DBCDecodedSignal? {
        signals.first { $0.name == name }
    }
}

/// One decoded signal.
public struct DBCDecodedSignal: Sendable, Equatable {
    /// The signal name.
    public var name: String
    /// The raw value in the frame.
    public var rawValue: DBCRawValue
    /// raw × factor + offset.
    public var physicalValue: Double
    /// The DBC unit (may be empty).
    public var unit: String
    /// The `VAL_` label of the raw value, if there is one.
    public var label: String?
}

/// Why a frame could not be decoded.
public enum DBCDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No message of the DBC has this identifier.
    case unknownMessage(id: UInt32, isExtended: Bool)
    /// Remote and error frames carry no signals.
    case notADataFrame(id: UInt32)
    /// The frame is shorter than the message's length.
    case frameTooShort(message: String, length: Int, needed: Int)
    /// A multiplexer holds a value for which the DBC defines no signals and no label (cantools refuses these
    /// too).
    case unknownMultiplexerValue(message: String, multiplexer: String, value: DBCRawValue)

    /// What failed, naming the message.
    public var description: String {
        switch self {
        case .unknownMessage(let id, let isExtended):
            "no message with \(isExtended ? "extended" : "standard") id 0x\(CANHex.string(id, width: isExtended ? 8 : 3))"
        case .notADataFrame(let id):
            "frame 0x\(CANHex.string(id, width: 3)) is a remote or error frame"
        case .frameTooShort(let message, let length, let needed):
            "\(message) needs \(needed) bytes, the frame has \(length)"
        case .unknownMultiplexerValue(let message, let multiplexer, let value):
            "\(message): multiplexer \(multiplexer) = \(value) selects no signals"
        }
    }
}
