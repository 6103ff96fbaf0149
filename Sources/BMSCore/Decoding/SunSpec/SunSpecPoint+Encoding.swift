extension SunSpecPoint {
    /// The two registers of a 32-bit value, high word first.
    public static func registers(doubleWord value: UInt32) -> [UInt16] {
        [UInt16(truncatingIfNeeded: value >> 16), UInt16(truncatingIfNeeded: value)]
    }

    /// The registers of a string point of `count` registers: UTF-8, two bytes per register (high byte first),
    /// cut to `count × 2` bytes and padded with NUL. An empty string gives all NUL (not implemented).
    public static func registers(string: String, count: Int) -> [UInt16] {
        guard count > 0 else { return [] }
        var bytes = Array(string.utf8.prefix(count * 2))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: count * 2 - bytes.count))
        return (0..<count).map { index in
            UInt16(bytes[2 * index]) << 8 | UInt16(bytes[2 * index + 1])
        }
    }
}
