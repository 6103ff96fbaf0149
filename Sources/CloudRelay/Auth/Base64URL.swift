/// Base64url without padding (RFC 4648 §5), the encoding of every JWS segment (RFC 7515 §2).
///
/// Decoding is strict, so that one token has exactly one spelling: no `=` padding, no `+` or `/` from the
/// standard alphabet, no whitespace, no length that leaves a lone character, and the unused low bits of the
/// last character must be zero. RFC 7515 §2 says the padding "MUST" be omitted, so a padded segment is not a
/// JWS; accepting several spellings of one signature would also defeat any cache or deny-list keyed on the
/// token text.
enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The unpadded base64url text of some bytes.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = second == nil ? nil : iterator.next()
            let chunk = (UInt32(first) << 16) | (UInt32(second ?? 0) << 8) | UInt32(third ?? 0)
            output.append(alphabet[Int((chunk >> 18) & 0x3F)])
            output.append(alphabet[Int((chunk >> 12) & 0x3F)])
            if second != nil { output.append(alphabet[Int((chunk >> 6) & 0x3F)]) }
            if third != nil { output.append(alphabet[Int(chunk & 0x3F)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of an unpadded base64url text, or `nil` when the text is not the canonical encoding of any
    /// bytes (see the type's summary for what is refused).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(bytes: text.utf8)
    }

    /// The bytes of an unpadded base64url text given as its UTF-8 bytes, or `nil` when it is not canonical.
    static func decode(bytes encoded: some Collection<UInt8>) -> [UInt8]? {
        // 4n+1 characters carry 6 bits past the last whole byte: no encoder produces that.
        guard encoded.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count * 3 / 4)
        var accumulator: UInt32 = 0
        var pendingBits = 0
        for character in encoded {
            guard let value = sextet(character) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            pendingBits += 6
            if pendingBits >= 8 {
                pendingBits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pendingBits)))
            }
        }
        // The 2 or 4 bits left over are padding bits; a canonical encoder writes zeros.
        let leftoverMask = (UInt32(1) << UInt32(pendingBits)) - 1
        guard accumulator & leftoverMask == 0 else { return nil }
        return output
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
