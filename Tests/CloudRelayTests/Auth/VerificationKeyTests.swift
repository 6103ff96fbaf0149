import BMSCore
import Crypto
import Foundation
import Testing
@testable import CloudRelay

/// Keys and tokens made by PyJWT 2.15.1 with cryptography 48 (an independent implementation), from the
/// private keys in `AuthFixtures`.
enum PyJWTVectors {
    static let jwks = #"""
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4", "kid": "ed-2024", "alg": "EdDSA", "use": "sig"}, {"kty": "EC", "crv": "P-256", "x": "37dbAIJIgnBYE-8CHaFEaRw5v5qP0jEMkkAbTHJI_mw", "y": "zaMipfnVHHxH9KIgYbLSt6LYarjcRF452dkY9_BYZC8", "kid": "es-2024", "alg": "ES256", "use": "sig"}]}
        """#

    static let ed25519PEM = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAXm6nlhXx8ddNMSd9vgaRt1vafLTPg+GJBX3ECRJ6kl4=
        -----END PUBLIC KEY-----
        """

    static let p256PEM = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE37dbAIJIgnBYE+8CHaFEaRw5v5qP
        0jEMkkAbTHJI/mzNoyKl+dUcfEf0oiBhstK3othquNxEXjnZ2Rj38FhkLw==
        -----END PUBLIC KEY-----
        """

    /// Claims of both tokens: sub user-42, role operator, sites site_001 and site_002, iat = nbf = 1705330000,
    /// exp 1705334400, iss https://auth.pulsebms.test, aud pulsebms-relay.
    static let edDSAToken =
        "eyJhbGciOiJFZERTQSIsImtpZCI6ImVkLTIwMjQiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6Im9wZXJhdG9yIiwic2l0ZXMiOlsic2l0ZV8wMDEiLCJzaXRlXzAwMiJdLCJpYXQiOjE3MDUzMzAwMDAsIm5iZiI6MTcwNTMzMDAwMCwiZXhwIjoxNzA1MzM0NDAwLCJpc3MiOiJodHRwczovL2F1dGgucHVsc2VibXMudGVzdCIsImF1ZCI6InB1bHNlYm1zLXJlbGF5In0.PFB3dAefHL0BUYJoUqg91RLsHv0BgkCmBN6y-t9yCluYHcF8tXesAYRBL5A9CyqZp8pPjQPV8yhXcPpqzhInAg"

    static let es256Token =
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVzLTIwMjQiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6Im9wZXJhdG9yIiwic2l0ZXMiOlsic2l0ZV8wMDEiLCJzaXRlXzAwMiJdLCJpYXQiOjE3MDUzMzAwMDAsIm5iZiI6MTcwNTMzMDAwMCwiZXhwIjoxNzA1MzM0NDAwLCJpc3MiOiJodHRwczovL2F1dGgucHVsc2VibXMudGVzdCIsImF1ZCI6InB1bHNlYm1zLXJlbGF5In0.c9KwD-BFVaNsJjcU176N2C4sxtL7earHqXD65GuoquUgoBoi08rrasHI-c6xEHNN9HHkgg8LLiroukpeE0XlBQ"
}

@Suite("Verification keys: PEM, JWK, JWKS, PyJWT interop")
struct VerificationKeyTests {
    func pyJWTVerifier(audience: String? = "pulsebms-relay") throws -> JWTVerifier {
        JWTVerifier(
            keys: try VerificationKey.keySet(jwksJSON: Array(PyJWTVectors.jwks.utf8)),
            issuer: "https://auth.pulsebms.test", audience: audience)
    }

    @Test(arguments: [(PyJWTVectors.edDSAToken, "ed-2024"), (PyJWTVectors.es256Token, "es-2024")])
    func pyJWTTokensVerify(token: String, keyID: String) throws {
        let principal = try pyJWTVerifier().verify(token: token, now: AuthFixtures.now, leeway: .zero)
        #expect(principal == Principal(
            subject: "user-42", role: .operator, sites: ["site_001", "site_002"], credential: .token(keyID: keyID)))
    }

    @Test(arguments: [PyJWTVectors.edDSAToken, PyJWTVectors.es256Token])
    func pyJWTTokensExpireAtTheirExp(token: String) throws {
        let verifier = try pyJWTVerifier()
        let atExpiry = Timestamp(millisecondsSinceEpoch: 1_705_334_400_000)
        #expect(authError { try verifier.verify(token: token, now: atExpiry, leeway: .zero) } == .tokenExpired)
        let beforeNotBefore = Timestamp(millisecondsSinceEpoch: 1_705_329_999_000)
        #expect(authError { try verifier.verify(token: token, now: beforeNotBefore, leeway: .zero) }
            == .invalidToken(.notYetValid))
        let audienceless = try pyJWTVerifier(audience: nil)
        #expect(authError { try audienceless.verify(token: token, now: AuthFixtures.now) } == .invalidToken(.wrongAudience))
    }

    @Test func pemKeysMatchTheJWKSAndTheFixturePrivateKeys() throws {
        let keySet = try VerificationKey.keySet(jwksJSON: Array(PyJWTVectors.jwks.utf8))
        let edFromPEM = try VerificationKey(pem: PyJWTVectors.ed25519PEM)
        let esFromPEM = try VerificationKey(pem: PyJWTVectors.p256PEM)
        #expect(edFromPEM.publicKeyBytes == keySet["ed-2024"]?.publicKeyBytes)
        #expect(esFromPEM.publicKeyBytes == keySet["es-2024"]?.publicKeyBytes)
        #expect(edFromPEM.algorithms == ["EdDSA", "Ed25519"])
        #expect(esFromPEM.algorithms == ["ES256"])
        // swift-crypto derives the same public keys from the raw private keys as cryptography did.
        #expect(edFromPEM.publicKeyBytes == Array(try AuthFixtures.ed25519Key().publicKey.rawRepresentation))
        #expect(esFromPEM.publicKeyBytes == Array(try AuthFixtures.p256Key().publicKey.x963Representation))
    }

    @Test func pemKeysVerifyPyJWTTokens() throws {
        let verifier = JWTVerifier(
            keys: ["ed-2024": try VerificationKey(pem: PyJWTVectors.ed25519PEM),
                   "es-2024": try VerificationKey(pem: PyJWTVectors.p256PEM)],
            audience: "pulsebms-relay")
        #expect(try verifier.verify(token: PyJWTVectors.edDSAToken, now: AuthFixtures.now).role == .operator)
        #expect(try verifier.verify(token: PyJWTVectors.es256Token, now: AuthFixtures.now).role == .operator)
    }

    @Test func pemWithWindowsLineEndingsAndBlankLinesLoads() throws {
        let pem = "\r\n" + PyJWTVectors.p256PEM.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n\r\n"
        #expect(try VerificationKey(pem: pem).algorithms == ["ES256"])
    }

    @Test func pemRefusesPrivateKeysAndOtherKeyTypes() throws {
        let privatePEM = try AuthFixtures.p256Key().pemRepresentation
        #expect(throws: VerificationKeyError.self) { try VerificationKey(pem: privatePEM) }
        // An RSA SubjectPublicKeyInfo header with junk after it.
        let rsa = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----"
        #expect(throws: VerificationKeyError.self) { try VerificationKey(pem: rsa) }
        #expect(throws: VerificationKeyError.self) { try VerificationKey(pem: "not a key") }
        // A valid Ed25519 SPKI with one trailing byte.
        var der = Array(try #require(Data(base64Encoded: "MCowBQYDK2VwAyEAXm6nlhXx8ddNMSd9vgaRt1vafLTPg+GJBX3ECRJ6kl4=")))
        der.append(0)
        #expect(throws: VerificationKeyError.self) { try VerificationKey(subjectPublicKeyInfo: der) }
    }

    @Test func jwksSkipsKeysTheRelayDoesNotUse() throws {
        let jwks: JSONValue = ["keys": [
            ["kty": "RSA", "kid": "rsa-1", "n": "AQAB", "e": "AQAB"],
            ["kty": "OKP", "crv": "X25519", "kid": "x-1", "x": "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4"],
            ["kty": "OKP", "crv": "Ed25519", "kid": "enc-1", "use": "enc", "x": "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4"],
            ["kty": "OKP", "crv": "Ed25519", "kid": "ed-2024", "x": "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4"],
        ]]
        let keys = try VerificationKey.keySet(jwks: jwks)
        #expect(Set(keys.keys) == ["ed-2024"])
    }

    @Test(arguments: JWKSProblem.allCases)
    func jwksProblemsAreReported(problem: JWKSProblem) {
        #expect(throws: VerificationKeyError.self) { try VerificationKey.keySet(jwks: problem.document) }
    }

    @Test func singleJWKLoads() throws {
        let jwk: JSONValue = ["kty": "EC", "crv": "P-256", "kid": "es-2024",
                              "x": "37dbAIJIgnBYE-8CHaFEaRw5v5qP0jEMkkAbTHJI_mw",
                              "y": "zaMipfnVHHxH9KIgYbLSt6LYarjcRF452dkY9_BYZC8"]
        #expect(try VerificationKey(jwk: jwk).publicKeyBytes == (try VerificationKey(pem: PyJWTVectors.p256PEM)).publicKeyBytes)
        #expect(throws: VerificationKeyError.self) { try VerificationKey(jwk: ["kty": "RSA", "n": "AQAB", "e": "AQAB"]) }
    }
}

/// JWKS documents that must not load.
enum JWKSProblem: String, CaseIterable, Sendable {
    case notAnObject, noKeysArray, noUsableKey, missingKid, duplicateKid, privateKey, algorithmMismatch
    case shortCoordinate, paddedCoordinate, pointNotOnCurve, keyNotAnObject

    static let edX: JSONValue = "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4"

    var document: JSONValue {
        switch self {
        case .notAnObject: return ["keys"]
        case .noKeysArray: return ["kty": "OKP", "crv": "Ed25519", "x": Self.edX]
        case .noUsableKey: return ["keys": [["kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"]]]
        case .missingKid: return ["keys": [["kty": "OKP", "crv": "Ed25519", "x": Self.edX]]]
        case .duplicateKid:
            return ["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "a", "x": Self.edX],
                             ["kty": "OKP", "crv": "Ed25519", "kid": "a", "x": Self.edX]]]
        case .privateKey:
            return ["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "a", "x": Self.edX,
                              "d": "nF2yd_cHcmDYhcA-0dH1jZXvD7lkOT0S6E_H8UexFkU"]]]
        case .algorithmMismatch:
            return ["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "a", "alg": "ES256", "x": Self.edX]]]
        case .shortCoordinate: return ["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "Xm6n"]]]
        case .paddedCoordinate:
            return ["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "Xm6nlhXx8ddNMSd9vgaRt1vafLTPg-GJBX3ECRJ6kl4="]]]
        case .pointNotOnCurve:
            return ["keys": [["kty": "EC", "crv": "P-256", "kid": "a",
                              "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE",
                              "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"]]]
        case .keyNotAnObject: return ["keys": ["ed-2024"]]
        }
    }
}
