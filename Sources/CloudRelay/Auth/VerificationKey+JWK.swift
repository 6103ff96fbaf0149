import BMSCore
import Crypto
import Foundation

/// JSON Web Keys (RFC 7517) and key sets, the configuration format for token keys: an identity provider's
/// JWKS endpoint document can be saved as is, and rotation is adding a key under a new `kid`, then removing
/// the old one once its tokens have expired.
extension VerificationKey {
    /// A key from one JWK: `{"kty":"OKP","crv":"Ed25519","x":…}` or `{"kty":"EC","crv":"P-256","x":…,"y":…}`.
    ///
    /// - Throws: `VerificationKeyError` for any other key type, for a JWK that carries private key material
    ///   (`d`), for an `alg` or `use` that does not fit, and for coordinates that are not a valid public key.
    init(jwk: JSONValue) throws(VerificationKeyError) {
        guard let members = jwk.objectValue else {
            throw VerificationKeyError(keyID: nil, reason: "a JWK is a JSON object")
        }
        let keyID = members["kid"]?.stringValue
        guard let key = try Self.signatureKey(fromJWK: members, keyID: keyID) else {
            throw VerificationKeyError(keyID: keyID, reason: "not an Ed25519 or P-256 signature key")
        }
        self = key
    }

    /// The keys of a JWKS document (`{"keys":[…]}`) by `kid`.
    ///
    /// As RFC 7517 §5 asks, keys the relay cannot use (RSA, X25519, other curves, `use` other than "sig") are
    /// skipped, so a provider's full key set can be configured; every usable key needs a unique `kid`, and at
    /// least one key must be usable.
    static func keySet(jwks: JSONValue) throws(VerificationKeyError) -> [String: VerificationKey] {
        guard let entries = jwks["keys"]?.arrayValue else {
            throw VerificationKeyError(keyID: nil, reason: "a JWKS is an object with a 'keys' array")
        }
        var keys: [String: VerificationKey] = [:]
        for (index, entry) in entries.enumerated() {
            guard let members = entry.objectValue else {
                throw VerificationKeyError(keyID: nil, reason: "keys[\(index)] is not an object")
            }
            let keyID = members["kid"]?.stringValue
            guard let key = try signatureKey(fromJWK: members, keyID: keyID) else { continue }
            guard let keyID, !keyID.isEmpty else {
                throw VerificationKeyError(keyID: nil, reason: "keys[\(index)] has no 'kid'; tokens select keys by kid")
            }
            guard keys[keyID] == nil else {
                throw VerificationKeyError(keyID: keyID, reason: "the kid appears more than once")
            }
            keys[keyID] = key
        }
        guard !keys.isEmpty else {
            throw VerificationKeyError(keyID: nil, reason: "the JWKS has no Ed25519 or P-256 signature key")
        }
        return keys
    }

    /// The keys of a JWKS document given as JSON bytes (a file's contents).
    static func keySet(jwksJSON data: some DataProtocol) throws(VerificationKeyError) -> [String: VerificationKey] {
        let tree: JSONValue
        do {
            tree = try WireCoding.decodeTree(from: data)
        } catch {
            throw VerificationKeyError(keyID: nil, reason: "the JWKS is not valid JSON: \(String(describing: error))")
        }
        return try keySet(jwks: tree)
    }

    /// The key a JWK describes; `nil` for a key the relay does not use (other types, non-signature use).
    private static func signatureKey(
        fromJWK jwk: [String: JSONValue], keyID: String?
    ) throws(VerificationKeyError) -> VerificationKey? {
        func fail(_ reason: String) -> VerificationKeyError { VerificationKeyError(keyID: keyID, reason: reason) }

        guard let keyType = jwk["kty"]?.stringValue else { throw fail("'kty' is missing") }
        if let use = jwk["use"] {
            guard let useText = use.stringValue else { throw fail("'use' must be a string") }
            if useText != "sig" { return nil }
        }
        let key: VerificationKey
        switch (keyType, jwk["crv"]?.stringValue ?? "") {
        case ("OKP", "Ed25519"):
            let x = try coordinate("x", of: jwk, byteCount: 32, keyID: keyID)
            guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw fail("'x' is not an Ed25519 public key")
            }
            key = .ed25519(publicKey)
        case ("EC", "P-256"):
            let x = try coordinate("x", of: jwk, byteCount: 32, keyID: keyID)
            let y = try coordinate("y", of: jwk, byteCount: 32, keyID: keyID)
            guard let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y) else {
                throw fail("('x', 'y') is not a point on P-256")
            }
            key = .es256(publicKey)
        default:
            return nil
        }
        // A private key in the relay's configuration is a leak waiting to happen: refuse it rather than use
        // its public half.
        if jwk["d"] != nil { throw fail("the JWK contains a private key ('d'); configure only the public key") }
        if let algorithm = jwk["alg"] {
            guard let name = algorithm.stringValue, key.algorithms.contains(name) else {
                throw fail("'alg' does not match the key type")
            }
        }
        return key
    }

    private static func coordinate(
        _ name: String, of jwk: [String: JSONValue], byteCount: Int, keyID: String?
    ) throws(VerificationKeyError) -> [UInt8] {
        guard let text = jwk[name]?.stringValue else {
            throw VerificationKeyError(keyID: keyID, reason: "'\(name)' is missing")
        }
        guard let bytes = Base64URL.decode(text), bytes.count == byteCount else {
            throw VerificationKeyError(keyID: keyID, reason: "'\(name)' must be \(byteCount) bytes in unpadded base64url")
        }
        return bytes
    }
}
