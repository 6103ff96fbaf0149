/// The registers of one model after its ID and length were checked; offsets count from the ID register.
///
/// Shared by the model decoders so that every one of them refuses the wrong model, a short read and a bad
/// length the same way.
struct SunSpecModelRegisters: Sendable {
    /// The model ID.
    let model: UInt16
    /// The body length `L`.
    let length: Int
    /// Exactly `length + 2` registers, ID first.
    let registers: [UInt16]

    /// Checks the ID and that `registers` holds the whole model; extra registers after it are dropped.
    init(_ registers: [UInt16], model: UInt16) throws(SunSpecError) {
        guard registers.count >= 2 else {
            throw SunSpecError.modelTruncated(model: model, needed: 2, available: registers.count)
        }
        guard registers[0] == model else { throw SunSpecError.unexpectedModel(expected: model, actual: registers[0]) }
        let length = Int(registers[1])
        guard registers.count >= length + 2 else {
            throw SunSpecError.modelTruncated(model: model, needed: length + 2, available: registers.count)
        }
        self.model = model
        self.length = length
        self.registers = Array(registers.prefix(length + 2))
    }

    /// Refuses any length but `expected`.
    func requireLength(_ expected: Int) throws(SunSpecError) {
        guard length == expected else {
            throw SunSpecError.lengthMismatch(model: model, expected: expected, actual: length)
        }
    }

    /// The number of repeating blocks after a fixed part of `fixedLength` (both counted like `L`).
    func repeatingCount(fixedLength: Int, blockLength: Int) throws(SunSpecError) -> Int {
        guard length >= fixedLength else {
            throw SunSpecError.lengthMismatch(model: model, expected: fixedLength, actual: length)
        }
        guard blockLength > 0, (length - fixedLength) % blockLength == 0 else {
            throw SunSpecError.repeatingBlockMismatch(
                model: model, length: length, fixedLength: fixedLength, blockLength: blockLength)
        }
        return (length - fixedLength) / blockLength
    }

    // MARK: - Raw words (for register images)

    /// The register at `offset`; 0xFFFF (not implemented) outside the model, which the length checks rule out.
    func word(_ offset: Int) -> UInt16 { SunSpecPoint.word(registers, at: offset) ?? 0xFFFF }

    /// The register at `offset` as a signed value; 0x8000 (not implemented) outside the model.
    func signedWord(_ offset: Int) -> Int16 {
        SunSpecPoint.word(registers, at: offset).map { Int16(bitPattern: $0) } ?? Int16.min
    }

    /// The 32-bit value at `offset`, high word first; 0xFFFFFFFF (not implemented) outside the model.
    func doubleWord(_ offset: Int) -> UInt32 { SunSpecPoint.doubleWord(registers, at: offset) ?? 0xFFFF_FFFF }

    // MARK: - Points (not-implemented values become nil)

    /// The uint16 point at `offset`.
    func uint16(_ offset: Int) -> UInt16? { SunSpecPoint.uint16(registers, at: offset) }
    /// The int16 point at `offset`.
    func int16(_ offset: Int) -> Int16? { SunSpecPoint.int16(registers, at: offset) }
    /// The enum16 point at `offset`.
    func enum16(_ offset: Int) -> UInt16? { SunSpecPoint.enum16(registers, at: offset) }
    /// The sunssf point at `offset`.
    func sunssf(_ offset: Int) -> Int16? { SunSpecPoint.sunssf(registers, at: offset) }
    /// The uint32 point at `offset`.
    func uint32(_ offset: Int) -> UInt32? { SunSpecPoint.uint32(registers, at: offset) }
    /// The bitfield32 point at `offset`.
    func bitfield32(_ offset: Int) -> UInt32? { SunSpecPoint.bitfield32(registers, at: offset) }
    /// The string point of `count` registers at `offset`.
    func string(_ offset: Int, count: Int) -> String? { SunSpecPoint.string(registers, at: offset, count: count) }

    /// The uint16 point at `offset` scaled by the sunssf at `scaleFactorOffset`.
    func scaledUInt16(_ offset: Int, scaleFactor scaleFactorOffset: Int) -> Double? {
        SunSpecPoint.scaled(uint16(offset), scaleFactor: sunssf(scaleFactorOffset))
    }

    /// The int16 point at `offset` scaled by the sunssf at `scaleFactorOffset`.
    func scaledInt16(_ offset: Int, scaleFactor scaleFactorOffset: Int) -> Double? {
        SunSpecPoint.scaled(int16(offset), scaleFactor: sunssf(scaleFactorOffset))
    }
}
