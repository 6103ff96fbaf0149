import Crypto

/// API keys for scripts and services: `pbk_<id>_<secret>`.
///
/// - `pbk_` marks the text as a PulseBMS key (secret scanners can match it; the relay tells it apart from a JWT);
/// - `<id>`: 12 base62 characters, the key's public name in listings, logs, revocation and its rate-limit bucket;
/// - `<secret>`: 43 base62 characters (256 bits from `SystemRandomNumberGenerator`).
///
/// The relay stores only the SHA-256 of the whole key text and finds a presented key by that hash. A fast hash
/// is enough: with a 256-bit random secret there is nothing to brute-force, unlike a password. The text is
/// shown once, at creation.
enum APIKeyCodec {
    /// Every key starts with this.
    static let prefix = "pbk_"
    /// Characters in the id.
    static let idLength = 12
    /// Characters in the secret: ⌈256 / log2(62)⌉.
    static let secretLength = 43
    /// Characters in a whole key.
    static let keyLength = prefix.utf8.count + idLength + 1 + secretLength

    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new random key from the system's cryptographically secure generator.
    static func generate() -> GeneratedAPIKey {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new key from `generator`; only tests pass anything but `SystemRandomNumberGenerator`.
    static func generate<Generator: RandomNumberGenerator>(using generator: inout Generator) -> GeneratedAPIKey {
        let id = randomBase62(count: idLength, using: &generator)
        let key = prefix + id + "_" + randomBase62(count: secretLength, using: &generator)
        return GeneratedAPIKey(key: key, id: id, hash: hash(key))
    }

    private static func randomBase62<Generator: RandomNumberGenerator>(
        count: Int, using generator: inout Generator
    ) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(count)
        for _ in 0..<count {
            // `random(in:using:)` is unbiased, so every character carries log2(62) bits.
            characters.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The id of a well-formed key.
    ///
    /// - Throws: `.invalidToken(.malformedAPIKey)` unless the text is exactly `pbk_`, 12 base62 characters, `_`
    ///   and 43 base62 characters.
    static func parse(_ key: String) throws(AuthError) -> String {
        let bytes = Array(key.utf8)
        let prefixBytes = Array(prefix.utf8)
        let idStart = prefixBytes.count
        let separator = idStart + idLength
        guard bytes.count == keyLength, bytes.starts(with: prefixBytes), bytes[separator] == UInt8(ascii: "_"),
            bytes[idStart..<separator].allSatisfy(isBase62), bytes[(separator + 1)...].allSatisfy(isBase62)
        else { throw .invalidToken(.malformedAPIKey) }
        return String(decoding: bytes[idStart..<separator], as: UTF8.self)
    }

    /// SHA-256 of the key's UTF-8 text: what the relay stores and looks keys up by.
    static func hash(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    /// The hash as 64 lowercase hex digits, for a text column.
    static func hashHex(_ key: String) -> String {
        hexString(hash(key))
    }

    /// Lowercase hex of some bytes.
    static func hexString(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether `key` hashes to `storedHash`, compared in constant time.
    ///
    /// A lookup by hash already compares hashes (an index walk leaks nothing useful about a secret behind
    /// SHA-256); this is for a lookup by id, or as a second check on the record the index returned.
    static func matches(_ key: String, storedHash: [UInt8]) -> Bool {
        constantTimeEquals(hash(key), storedHash)
    }

    /// Equality whose running time depends only on the lengths, not on where the bytes differ.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    private static func isBase62(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default:
            false
        }
    }
}

/// A freshly generated API key: show `key` to its owner once, store `id` and `hash`.
struct GeneratedAPIKey: Sendable, Hashable {
    /// The whole key text, `pbk_<id>_<secret>`.
    var key: String
    /// The public id.
    var id: String
    /// SHA-256 of `key`.
    var hash: [UInt8]
}
