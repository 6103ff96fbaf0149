/// Hexadecimal text for the CAN text formats (candump, slcan): upper-case out, either case in, ASCII only.
enum CANHex {
    private static let digits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// The value of one ASCII hex digit, or `nil`.
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// The number written by `bytes` (1 to 16 hex digits), or `nil` if any byte is not a hex digit.
    static func number(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 16 else { return nil }
        var result: UInt64 = 0
        for byte in bytes {
            guard let digit = value(of: byte) else { return nil }
            result = result << 4 | UInt64(digit)
        }
        return result
    }

    /// The bytes written by pairs of hex digits, or `nil` for an odd count or a non-hex byte.
    static func bytes(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var high: UInt8?
        for byte in text {
            guard let digit = value(of: byte) else { return nil }
            if let pending = high {
                result.append(pending << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return result
    }

    /// Appends `value` as exactly `width` upper-case hex digits (higher digits are cut off).
    static func append(_ value: UInt64, width: Int, to output: inout [UInt8]) {
        for shift in stride(from: (width - 1) * 4, through: 0, by: -4) {
            output.append(digits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }

    /// Appends every byte as two upper-case hex digits.
    static func append(bytes: [UInt8], to output: inout [UInt8]) {
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0xF)])
        }
    }

    /// `value` in upper-case hex, zero-padded to at least `width` digits.
    static func string(_ value: some BinaryInteger, width: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// ASCII bytes as a `String` (every byte here is ASCII).
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
