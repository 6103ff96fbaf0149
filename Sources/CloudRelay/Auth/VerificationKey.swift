import Crypto
import Foundation

/// A public key that verifies relay tokens, of one of the two accepted JWS algorithms.
///
/// `@unchecked Sendable`: swift-crypto 3.x declares no `Sendable` conformances, but both payloads are immutable
/// after construction (Ed25519 is 32 bytes in an array; P-256 wraps a BoringSSL `EC_KEY` that verification
/// only reads through `const` pointers), and swift-crypto 4 marks both `Sendable`.
enum VerificationKey: @unchecked Sendable {
    /// Ed25519, JWS `alg` "EdDSA" (RFC 8037) or its fully specified name "Ed25519" (RFC 9864).
    case ed25519(Curve25519.Signing.PublicKey)
    /// ECDSA on P-256 with SHA-256, JWS `alg` "ES256" (RFC 7518 §3.4).
    case es256(P256.Signing.PublicKey)

    /// Every `alg` header value the relay accepts; anything else (`none`, HS256, RS256, …) is refused outright.
    static let supportedAlgorithms: Set<String> = ["EdDSA", "Ed25519", "ES256"]

    /// The `alg` values this key verifies. A token whose `alg` is not among them is refused before any
    /// signature check, so an ES256 header can never select an Ed25519 key or the other way round.
    var algorithms: Set<String> {
        switch self {
        case .ed25519: ["EdDSA", "Ed25519"]
        case .es256: ["ES256"]
        }
    }

    /// The key's public bytes: the 32-byte Ed25519 key, or the 65-byte uncompressed P-256 point.
    var publicKeyBytes: [UInt8] {
        switch self {
        case .ed25519(let key): Array(key.rawRepresentation)
        case .es256(let key): Array(key.x963Representation)
        }
    }

    /// Whether `signature` (the decoded third JWS segment) signs `signingInput` (the first two segments and
    /// the dot between them, as ASCII).
    func isValidSignature(_ signature: [UInt8], for signingInput: [UInt8]) -> Bool {
        // Both algorithms have fixed-size signatures; JWS ES256 is raw r‖s (RFC 7518 §3.4), never DER.
        guard signature.count == 64 else { return false }
        switch self {
        case .ed25519(let key):
            return key.isValidSignature(signature, for: signingInput)
        case .es256(let key):
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(ecdsa, for: signingInput)
        }
    }

    // MARK: - PEM / SPKI

    /// A key from a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo), as `openssl pkey -pubout` writes it.
    init(pem: String) throws(VerificationKeyError) {
        try self.init(subjectPublicKeyInfo: Self.derBytes(fromPEM: pem))
    }

    /// A key from DER SubjectPublicKeyInfo: Ed25519 (RFC 8410) or P-256 with an uncompressed point (RFC 5480).
    init(subjectPublicKeyInfo der: [UInt8]) throws(VerificationKeyError) {
        // Both encodings are fixed byte strings up to the key itself, so an exact prefix match is a complete
        // and strict parse; anything else (RSA, other curves, compressed points, trailing bytes) is refused.
        if der.count == Self.ed25519SPKIPrefix.count + 32, der.starts(with: Self.ed25519SPKIPrefix) {
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: Array(der.suffix(32))) else {
                throw VerificationKeyError(keyID: nil, reason: "the Ed25519 public key is invalid")
            }
            self = .ed25519(key)
        } else if der.count == Self.p256SPKIPrefix.count + 65, der.starts(with: Self.p256SPKIPrefix) {
            guard let key = try? P256.Signing.PublicKey(x963Representation: Array(der.suffix(65))) else {
                throw VerificationKeyError(keyID: nil, reason: "the P-256 public key is not a point on the curve")
            }
            self = .es256(key)
        } else {
            throw VerificationKeyError(
                keyID: nil, reason: "not an Ed25519 or P-256 (uncompressed) SubjectPublicKeyInfo")
        }
    }

    /// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes: 0 unused bits + key) }.
    private static let ed25519SPKIPrefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

    /// SEQUENCE { SEQUENCE { OID ecPublicKey, OID prime256v1 }, BIT STRING (66 bytes: 0 unused bits + point) }.
    private static let p256SPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86,
        0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    private static func derBytes(fromPEM pem: String) throws(VerificationKeyError) -> [UInt8] {
        let lines = pem.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let first = lines.first, let last = lines.last, lines.count >= 3 else {
            throw VerificationKeyError(keyID: nil, reason: "not a PEM block")
        }
        if first.contains("PRIVATE KEY") {
            throw VerificationKeyError(
                keyID: nil, reason: "this is a private key; configure the public key (openssl pkey -pubout)")
        }
        guard first == "-----BEGIN PUBLIC KEY-----", last == "-----END PUBLIC KEY-----" else {
            throw VerificationKeyError(keyID: nil, reason: "expected one '-----BEGIN PUBLIC KEY-----' block")
        }
        let body = lines.dropFirst().dropLast().joined()
        guard let der = Data(base64Encoded: body) else {
            throw VerificationKeyError(keyID: nil, reason: "the PEM body is not valid base64")
        }
        return Array(der)
    }
}

/// A verification key that cannot be loaded, naming the key id where there is one.
struct VerificationKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `kid` of the offending key, when known.
    var keyID: String?
    /// What is wrong with it.
    var reason: String

    init(keyID: String?, reason: String) {
        self.keyID = keyID
        self.reason = reason
    }

    var description: String {
        keyID.map { "verification key '\($0)': \(reason)" } ?? "verification key: \(reason)"
    }
}
