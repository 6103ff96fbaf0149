/// Decoding of single SunSpec points from holding registers.
///
/// Registers are big-endian words already assembled into `UInt16`; 32-bit points put the high word first;
/// strings hold two characters per register, high byte first. Every decoder returns `nil` for the point
/// type's not-implemented value (pysunspec2 `mb.py`):
///
/// | Type | Not implemented |
/// |---|---|
/// | int16, sunssf | 0x8000 |
/// | uint16, enum16, bitfield16 | 0xFFFF |
/// | uint32, enum32, bitfield32 | 0xFFFFFFFF |
/// | int32 | 0x80000000 |
/// | acc16, acc32 | 0 |
/// | float32 | 0x7FC00000 |
/// | string | all NUL |
///
/// The register forms also return `nil` when `offset` is outside `registers`; they accept any
/// random-access collection (an array or a slice), with `offset` counted from its start.
public enum SunSpecPoint {
    // MARK: - Raw values

    /// An int16 value, or `nil` for 0x8000.
    public static func int16(raw: Int16) -> Int16? { raw == Int16.min ? nil : raw }

    /// A uint16 value, or `nil` for 0xFFFF.
    public static func uint16(raw: UInt16) -> UInt16? { raw == 0xFFFF ? nil : raw }

    /// An acc16 (accumulator) value, or `nil` for 0.
    public static func acc16(raw: UInt16) -> UInt16? { raw == 0 ? nil : raw }

    /// An enum16 value, or `nil` for 0xFFFF.
    public static func enum16(raw: UInt16) -> UInt16? { raw == 0xFFFF ? nil : raw }

    /// A bitfield16 value, or `nil` for 0xFFFF.
    public static func bitfield16(raw: UInt16) -> UInt16? { raw == 0xFFFF ? nil : raw }

    /// A scale factor (sunssf), or `nil` for 0x8000. Range checks happen in `scaled(_:scaleFactor:)`.
    public static func sunssf(raw: Int16) -> Int16? { raw == Int16.min ? nil : raw }

    /// An int32 value, or `nil` for 0x80000000.
    public static func int32(raw: Int32) -> Int32? { raw == Int32.min ? nil : raw }

    /// A uint32 value, or `nil` for 0xFFFFFFFF.
    public static func uint32(raw: UInt32) -> UInt32? { raw == 0xFFFF_FFFF ? nil : raw }

    /// An acc32 (accumulator) value, or `nil` for 0.
    public static func acc32(raw: UInt32) -> UInt32? { raw == 0 ? nil : raw }

    /// An enum32 value, or `nil` for 0xFFFFFFFF.
    public static func enum32(raw: UInt32) -> UInt32? { raw == 0xFFFF_FFFF ? nil : raw }

    /// A bitfield32 value, or `nil` for 0xFFFFFFFF.
    public static func bitfield32(raw: UInt32) -> UInt32? { raw == 0xFFFF_FFFF ? nil : raw }

    /// A float32 from its IEEE 754 bit pattern, or `nil` for the quiet NaN 0x7FC00000.
    public static func float32(raw bitPattern: UInt32) -> Float? {
        bitPattern == 0x7FC0_0000 ? nil : Float(bitPattern: bitPattern)
    }

    // MARK: - Registers

    /// The register at `offset`, or `nil` if `registers` does not reach it.
    public static func word(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt16? {
        guard offset >= 0, offset < registers.count else { return nil }
        return registers[registers.index(registers.startIndex, offsetBy: offset)]
    }

    /// The 32-bit value at `offset` (high word first), or `nil` if `registers` does not reach both words.
    public static func doubleWord(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt32? {
        guard let high = word(registers, at: offset), let low = word(registers, at: offset + 1) else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// The int16 point at `offset`.
    public static func int16(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> Int16? {
        word(registers, at: offset).flatMap { int16(raw: Int16(bitPattern: $0)) }
    }

    /// The uint16 point at `offset`.
    public static func uint16(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt16? {
        word(registers, at: offset).flatMap { uint16(raw: $0) }
    }

    /// The acc16 point at `offset`.
    public static func acc16(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt16? {
        word(registers, at: offset).flatMap { acc16(raw: $0) }
    }

    /// The enum16 point at `offset`.
    public static func enum16(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt16? {
        word(registers, at: offset).flatMap { enum16(raw: $0) }
    }

    /// The bitfield16 point at `offset`.
    public static func bitfield16(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt16? {
        word(registers, at: offset).flatMap { bitfield16(raw: $0) }
    }

    /// The sunssf (scale factor) point at `offset`.
    public static func sunssf(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> Int16? {
        word(registers, at: offset).flatMap { sunssf(raw: Int16(bitPattern: $0)) }
    }

    /// The int32 point at `offset` (high word first).
    public static func int32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> Int32? {
        doubleWord(registers, at: offset).flatMap { int32(raw: Int32(bitPattern: $0)) }
    }

    /// The uint32 point at `offset` (high word first).
    public static func uint32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt32? {
        doubleWord(registers, at: offset).flatMap { uint32(raw: $0) }
    }

    /// The acc32 point at `offset` (high word first).
    public static func acc32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt32? {
        doubleWord(registers, at: offset).flatMap { acc32(raw: $0) }
    }

    /// The enum32 point at `offset` (high word first).
    public static func enum32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt32? {
        doubleWord(registers, at: offset).flatMap { enum32(raw: $0) }
    }

    /// The bitfield32 point at `offset` (high word first).
    public static func bitfield32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> UInt32? {
        doubleWord(registers, at: offset).flatMap { bitfield32(raw: $0) }
    }

    /// The float32 point at `offset` (high word first).
    public static func float32(_ registers: some RandomAccessCollection<UInt16>, at offset: Int) -> Float? {
        doubleWord(registers, at: offset).flatMap { float32(raw: $0) }
    }

    /// The string point of `count` registers at `offset`: two characters per register, high byte first,
    /// trailing NULs trimmed.
    ///
    /// - Returns: `nil` when every byte is NUL (not implemented) or `registers` does not reach the whole point.
    ///   Bytes that are not UTF-8 become U+FFFD rather than failing.
    public static func string(
        _ registers: some RandomAccessCollection<UInt16>, at offset: Int, count: Int
    ) -> String? {
        guard count > 0, offset >= 0, offset + count <= registers.count else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 2)
        for index in offset..<(offset + count) {
            guard let register = word(registers, at: index) else { return nil }
            bytes.append(UInt8(truncatingIfNeeded: register >> 8))
            bytes.append(UInt8(truncatingIfNeeded: register))
        }
        while let last = bytes.last, last == 0 { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
