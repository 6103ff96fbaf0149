import BMSCore
import Crypto
import Foundation
import Testing
@testable import CloudRelay

/// Keys, clocks and hand-built tokens shared by the auth tests.
///
/// The two private keys are the ones `Fixtures` below were made with in PyJWT 2.15 / cryptography 48:
/// Ed25519 seed = SHA-256("pulsebms-test-ed25519"), P-256 scalar = SHA-256("pulsebms-test-p256").
/// Crypto keys are built per call: swift-crypto 3 keys are not `Sendable`, so they cannot be static constants.
enum AuthFixtures {
    static let ed25519SeedHex = "9c5db277f7077260d885c03ed1d1f58d95ef0fb964393d12e84fc7f147b11645"
    static let p256ScalarHex = "bf5d9fd04e3bf0bb60928ce7b5c32be298419e73a680cfd46d96f654edc7ab29"

    /// 2024-01-15T15:00:00Z, on an hour boundary (the spec's rate-limit example resets here).
    static let now = Timestamp(millisecondsSinceEpoch: 1_705_330_800_000)
    static var nowSeconds: Double { Double(now.millisecondsSinceEpoch / 1000) }

    static func ed25519Key() throws -> Curve25519.Signing.PrivateKey {
        try Curve25519.Signing.PrivateKey(rawRepresentation: bytes(hex: ed25519SeedHex))
    }

    static func p256Key() throws -> P256.Signing.PrivateKey {
        try P256.Signing.PrivateKey(rawRepresentation: bytes(hex: p256ScalarHex))
    }

    /// A verifier that knows "ed-2024" (Ed25519) and "es-2024" (P-256).
    static func verifier(issuer: String? = nil, audience: String? = nil) throws -> JWTVerifier {
        JWTVerifier(
            keys: ["ed-2024": .ed25519(try ed25519Key().publicKey), "es-2024": .es256(try p256Key().publicKey)],
            issuer: issuer, audience: audience)
    }

    /// A claims set valid at `now` for an hour: an operator limited to site_001.
    static func claims(
        role: String = "operator", sites: [String]? = ["site_001"], expiresIn seconds: Double = 3600
    ) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "sub": "user-42",
            "role": .string(role),
            "iat": .number(nowSeconds - 60),
            "exp": .number(nowSeconds + seconds),
        ]
        if let sites { claims["sites"] = .array(sites.map { JSONValue.string($0) }) }
        return claims
    }

    static func header(alg: String, kid: String?) -> [String: JSONValue] {
        var header: [String: JSONValue] = ["alg": .string(alg), "typ": "JWT"]
        if let kid { header["kid"] = .string(kid) }
        return header
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            result.append(UInt8(nibble(high) << 4 | nibble(low)))
        }
        return result
    }

    private static func nibble(_ digit: UInt8) -> UInt8 {
        digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10
    }
}

/// Signs JWS signing inputs the way an issuer would.
enum TestSigner {
    case ed25519(Curve25519.Signing.PrivateKey)
    case es256(P256.Signing.PrivateKey)

    func sign(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .ed25519(let key): Array(try key.signature(for: input))
        case .es256(let key): Array(try key.signature(for: input).rawRepresentation)
        }
    }

    static func fixedEd25519() throws -> TestSigner { .ed25519(try AuthFixtures.ed25519Key()) }
    static func fixedES256() throws -> TestSigner { .es256(try AuthFixtures.p256Key()) }
}

/// Builds compact JWS tokens by hand.
enum TokenBuilder {
    static func segment(_ object: [String: JSONValue]) throws -> String {
        Base64URL.encode(Array(try WireCoding.encode(JSONValue.object(object))))
    }

    /// A token with the given header and claims, signed by `signer`.
    static func token(header: [String: JSONValue], claims: [String: JSONValue], signer: TestSigner) throws -> String {
        try token(headerSegment: segment(header), payloadSegment: segment(claims), signer: signer)
    }

    /// A token over segments given as text (for payloads that are not JSON).
    static func token(headerSegment: String, payloadSegment: String, signer: TestSigner) throws -> String {
        let input = headerSegment + "." + payloadSegment
        return input + "." + Base64URL.encode(try signer.sign(Array(input.utf8)))
    }

    /// An EdDSA token under kid "ed-2024".
    static func ed25519(_ claims: [String: JSONValue] = AuthFixtures.claims()) throws -> String {
        try token(header: AuthFixtures.header(alg: "EdDSA", kid: "ed-2024"), claims: claims, signer: .fixedEd25519())
    }

    /// An ES256 token under kid "es-2024".
    static func es256(_ claims: [String: JSONValue] = AuthFixtures.claims()) throws -> String {
        try token(header: AuthFixtures.header(alg: "ES256", kid: "es-2024"), claims: claims, signer: .fixedES256())
    }
}

/// The error a throwing call threw, or `nil` when it returned.
///
/// The closure is untyped-throwing because `#expect` rewrites the expressions inside it, which erases a
/// closure's typed `throws(AuthError)`; any other error is recorded as an issue.
func authError<Value>(_ body: () throws -> Value, sourceLocation: SourceLocation = #_sourceLocation) -> AuthError? {
    do {
        _ = try body()
        return nil
    } catch let error as AuthError {
        return error
    } catch {
        Issue.record("expected an AuthError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Whether `error` is `.invalidToken(.malformed(_))`, whatever the detail.
func isMalformed(_ error: AuthError?) -> Bool {
    if case .invalidToken(.malformed)? = error { return true }
    return false
}
