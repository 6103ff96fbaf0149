import BMSCore
import Crypto
import Foundation
import Testing
@testable import CloudRelay

@Suite("JWT verifier: header, signature, keys, shape")
struct JWTVerifierTests {
    let now = AuthFixtures.now

    /// The error verifying `token` throws, or `nil` when it verifies.
    func rejection(of token: String, by verifier: JWTVerifier? = nil) throws -> AuthError? {
        let verifier = try verifier ?? AuthFixtures.verifier()
        return authError { try verifier.verify(token: token, now: now) }
    }

    // MARK: - Valid tokens

    @Test func validEdDSAToken() throws {
        let principal = try AuthFixtures.verifier().verify(token: try TokenBuilder.ed25519(), now: now)
        let expected = Principal(subject: "user-42", role: .operator, sites: ["site_001"], credential: .token(keyID: "ed-2024"))
        #expect(principal == expected)
        #expect(principal.rateLimitKey == "sub:user-42")
    }

    @Test func validES256Token() throws {
        let principal = try AuthFixtures.verifier().verify(token: try TokenBuilder.es256(), now: now)
        #expect(principal.subject == "user-42")
        #expect(principal.credential == .token(keyID: "es-2024"))
    }

    @Test func fullySpecifiedEd25519AlgorithmNameIsAccepted() throws {
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "Ed25519", kid: "ed-2024"), claims: AuthFixtures.claims(),
            signer: .fixedEd25519())
        let principal = try AuthFixtures.verifier().verify(token: token, now: now)
        #expect(principal.role == .operator)
    }

    // MARK: - Header and signature

    @Test func unknownKeyIDIsRefused() throws {
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: "ed-2023"), claims: AuthFixtures.claims(),
            signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.unknownKeyID))
    }

    @Test func missingKeyIDIsRefused() throws {
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: nil), claims: AuthFixtures.claims(), signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.missingKeyID))
    }

    @Test func es256HeaderCannotSelectAnEd25519Key() throws {
        // Signed correctly with the P-256 key, but the kid points at the Ed25519 key.
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "ES256", kid: "ed-2024"), claims: AuthFixtures.claims(),
            signer: .fixedES256())
        #expect(try rejection(of: token) == .invalidToken(.algorithmKeyMismatch))
    }

    @Test func edDSAHeaderCannotSelectAP256Key() throws {
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: "es-2024"), claims: AuthFixtures.claims(),
            signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.algorithmKeyMismatch))
    }

    @Test(arguments: ["none", "None", "HS256", "RS256", "ES384", "EdDSA "])
    func unsupportedAlgorithmsAreRefused(algorithm: String) throws {
        let headerSegment = try TokenBuilder.segment(AuthFixtures.header(alg: algorithm, kid: "ed-2024"))
        let payloadSegment = try TokenBuilder.segment(AuthFixtures.claims(role: "admin"))
        // The empty signature of an unsecured JWS, and a real signature under the unsupported name.
        let unsecured = headerSegment + "." + payloadSegment + "."
        #expect(try rejection(of: unsecured) == .invalidToken(.unsupportedAlgorithm))
        let signed = try TokenBuilder.token(
            headerSegment: headerSegment, payloadSegment: payloadSegment, signer: .fixedEd25519())
        #expect(try rejection(of: signed) == .invalidToken(.unsupportedAlgorithm))
    }

    @Test func missingAlgorithmIsRefused() throws {
        let token = try TokenBuilder.token(
            header: ["kid": "ed-2024"], claims: AuthFixtures.claims(), signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.unsupportedAlgorithm))
    }

    @Test func hmacKeyedWithThePublicKeyIsRefused() throws {
        // The classic confusion attack: HS256 with the verifier's public key bytes as the secret.
        let publicKey = try AuthFixtures.ed25519Key().publicKey.rawRepresentation
        let headerSegment = try TokenBuilder.segment(AuthFixtures.header(alg: "HS256", kid: "ed-2024"))
        let input = headerSegment + "." + (try TokenBuilder.segment(AuthFixtures.claims(role: "admin")))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicKey))
        let token = input + "." + Base64URL.encode(Array(mac))
        #expect(try rejection(of: token) == .invalidToken(.unsupportedAlgorithm))
    }

    @Test func tamperedPayloadIsRefused() throws {
        let original = try TokenBuilder.ed25519().split(separator: ".").map { String($0) }
        let escalated = try TokenBuilder.segment(AuthFixtures.claims(role: "admin", sites: nil))
        let token = [original[0], escalated, original[2]].joined(separator: ".")
        #expect(try rejection(of: token) == .invalidToken(.badSignature))
    }

    @Test(arguments: ["EdDSA", "ES256"])
    func tamperedSignatureIsRefused(algorithm: String) throws {
        let original = algorithm == "EdDSA" ? try TokenBuilder.ed25519() : try TokenBuilder.es256()
        let parts = original.split(separator: ".").map { String($0) }
        var signature = try #require(Base64URL.decode(parts[2]))
        signature[10] ^= 0x01
        let token = [parts[0], parts[1], Base64URL.encode(signature)].joined(separator: ".")
        #expect(try rejection(of: token) == .invalidToken(.badSignature))
    }

    @Test func derEncodedES256SignatureIsRefused() throws {
        // JWS ES256 signatures are raw r‖s; the DER form of a valid signature must not be accepted.
        let headerSegment = try TokenBuilder.segment(AuthFixtures.header(alg: "ES256", kid: "es-2024"))
        let input = headerSegment + "." + (try TokenBuilder.segment(AuthFixtures.claims()))
        let der = try AuthFixtures.p256Key().signature(for: Array(input.utf8)).derRepresentation
        let token = input + "." + Base64URL.encode(Array(der))
        #expect(try rejection(of: token) == .invalidToken(.badSignature))
    }

    @Test func criticalHeaderExtensionsAreRefused() throws {
        var header = AuthFixtures.header(alg: "EdDSA", kid: "ed-2024")
        header["crit"] = ["exp"]
        let token = try TokenBuilder.token(header: header, claims: AuthFixtures.claims(), signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.unsupportedCriticalHeader))
    }

    @Test func nonJWTTypeIsRefused() throws {
        var header = AuthFixtures.header(alg: "EdDSA", kid: "ed-2024")
        header["typ"] = "secevent+jwt"
        let token = try TokenBuilder.token(header: header, claims: AuthFixtures.claims(), signer: .fixedEd25519())
        #expect(try rejection(of: token) == .invalidToken(.wrongType))
    }

    // MARK: - Key rotation

    @Test func twoKeysAreValidAtOnceAndARemovedKeyInvalidatesItsTokens() throws {
        let oldKey = Curve25519.Signing.PrivateKey()
        let newKey = Curve25519.Signing.PrivateKey()
        let oldToken = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: "2024-01"), claims: AuthFixtures.claims(),
            signer: .ed25519(oldKey))
        let newToken = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: "2024-02"), claims: AuthFixtures.claims(),
            signer: .ed25519(newKey))

        var verifier = JWTVerifier(keys: ["2024-01": .ed25519(oldKey.publicKey), "2024-02": .ed25519(newKey.publicKey)])
        #expect(try verifier.verify(token: oldToken, now: now).credential == .token(keyID: "2024-01"))
        #expect(try verifier.verify(token: newToken, now: now).credential == .token(keyID: "2024-02"))

        verifier.keys["2024-01"] = nil
        #expect(try rejection(of: oldToken, by: verifier) == .invalidToken(.unknownKeyID))
        #expect(try verifier.verify(token: newToken, now: now).credential == .token(keyID: "2024-02"))
    }

    @Test func aKidCannotVouchForAnotherKeysSignature() throws {
        let oldKey = Curve25519.Signing.PrivateKey()
        let newKey = Curve25519.Signing.PrivateKey()
        let token = try TokenBuilder.token(
            header: AuthFixtures.header(alg: "EdDSA", kid: "2024-02"), claims: AuthFixtures.claims(),
            signer: .ed25519(oldKey))
        let verifier = JWTVerifier(keys: ["2024-02": .ed25519(newKey.publicKey)])
        #expect(try rejection(of: token, by: verifier) == .invalidToken(.badSignature))
    }

    // MARK: - Size and shape

    @Test func oversizedTokensAreRefusedBeforeParsing() throws {
        var claims = AuthFixtures.claims()
        claims["padding"] = .string(String(repeating: "x", count: 9000))
        #expect(try rejection(of: TokenBuilder.ed25519(claims)) == .invalidToken(.tooLong(maximumBytes: 8192)))
        #expect(try rejection(of: String(repeating: "a", count: 100_000)) == .invalidToken(.tooLong(maximumBytes: 8192)))

        var small = try AuthFixtures.verifier()
        small.maximumTokenBytes = 64
        #expect(try rejection(of: TokenBuilder.ed25519(), by: small) == .invalidToken(.tooLong(maximumBytes: 64)))
    }

    @Test(arguments: MalformedToken.allCases)
    func malformedTokensAreRefused(shape: MalformedToken) throws {
        let error = try rejection(of: shape.token())
        #expect(isMalformed(error), "\(shape.rawValue): \(String(describing: error))")
    }
}

/// Ways a token can fail to be a compact JWS with JSON object parts.
enum MalformedToken: String, CaseIterable, Sendable {
    case empty, oneSegment, twoSegments, fourSegments, jweFiveSegments
    case paddedHeader, standardAlphabetSignature, whitespaceInside, singleCharacterPayload, nonCanonicalPayload
    case headerNotJSON, headerIsArray, payloadNotJSONButSigned, payloadIsArrayButSigned, nonASCII

    func token() throws -> String {
        let valid = try TokenBuilder.ed25519()
        let parts = valid.split(separator: ".", omittingEmptySubsequences: false).map { String($0) }
        let (header, payload, signature) = (parts[0], parts[1], parts[2])
        let headerObject = AuthFixtures.header(alg: "EdDSA", kid: "ed-2024")
        switch self {
        case .empty: return ""
        case .oneSegment: return header
        case .twoSegments: return header + "." + payload
        case .fourSegments: return valid + "." + signature
        case .jweFiveSegments: return [header, "", payload, payload, signature].joined(separator: ".")
        case .paddedHeader:
            var padded = header + "="
            while padded.utf8.count % 4 != 0 { padded += "=" }
            return [padded, payload, signature].joined(separator: ".")
        case .standardAlphabetSignature:
            return [header, payload, "+/" + String(signature.dropFirst(2))].joined(separator: ".")
        case .whitespaceInside: return [header, payload + " ", signature].joined(separator: ".")
        case .singleCharacterPayload: return [header, "A", signature].joined(separator: ".")
        case .nonCanonicalPayload:
            // "Zh" would decode to the same byte as "Zg", with a non-zero padding bit.
            return [header, "Zh", signature].joined(separator: ".")
        case .headerNotJSON:
            return [Base64URL.encode(Array("not json".utf8)), payload, signature].joined(separator: ".")
        case .headerIsArray:
            return [Base64URL.encode(Array("[1,2]".utf8)), payload, signature].joined(separator: ".")
        case .payloadNotJSONButSigned:
            return try TokenBuilder.token(
                headerSegment: TokenBuilder.segment(headerObject), payloadSegment: Base64URL.encode(Array("{\"sub\":".utf8)),
                signer: .fixedEd25519())
        case .payloadIsArrayButSigned:
            return try TokenBuilder.token(
                headerSegment: TokenBuilder.segment(headerObject), payloadSegment: Base64URL.encode(Array("[]".utf8)),
                signer: .fixedEd25519())
        case .nonASCII: return [header, payload + "é", signature].joined(separator: ".")
        }
    }
}
