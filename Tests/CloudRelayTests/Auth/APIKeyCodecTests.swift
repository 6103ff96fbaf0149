import Crypto
import Testing
@testable import CloudRelay

@Suite("API keys")
struct APIKeyCodecTests {
    static let fixedKey = "pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
    /// `hashlib.sha256(fixedKey.encode()).hexdigest()` in Python.
    static let fixedKeyHashHex = "aebbf5edc43efbaaaa062d0e232ff3810d0fc2665a901c317168256cdbf8a0e9"

    @Test func generatedKeysHaveTheDocumentedShapeAndRoundTrip() throws {
        let generated = APIKeyCodec.generate()
        #expect(generated.key.utf8.count == 60)
        #expect(generated.key.hasPrefix("pbk_" + generated.id + "_"))
        #expect(generated.id.utf8.count == 12)
        #expect(try APIKeyCodec.parse(generated.key) == generated.id)
        #expect(generated.hash == APIKeyCodec.hash(generated.key))
        #expect(generated.hash == Array(SHA256.hash(data: Array(generated.key.utf8))))
        #expect(APIKeyCodec.generate().key != generated.key)
    }

    @Test func generationIsDeterministicForAGivenGenerator() {
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        #expect(APIKeyCodec.generate(using: &first) == APIKeyCodec.generate(using: &second))
    }

    @Test func hashMatchesAnIndependentSHA256() throws {
        #expect(try APIKeyCodec.parse(Self.fixedKey) == "Ab3dEf9hIj0K")
        #expect(APIKeyCodec.hashHex(Self.fixedKey) == Self.fixedKeyHashHex)
        #expect(APIKeyCodec.hexString([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
    }

    @Test(arguments: [
        "",
        "pbk_",
        "pbx_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "PBK_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "pbk_Ab3dEf9hIj0_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
        "pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
        "pbk_Ab3dEf9hIj0K-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDE-G",
        "pbk_Ab3dEf9hIj_K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n",
        " pbk_Ab3dEf9hIj0K_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "pbk_Ab3dEf9hIj0K_0123456789abcdéfghijklmnopqrstuvwxyzABCDEF",
        "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
    ])
    func malformedKeysAreRefused(key: String) {
        #expect(authError { try APIKeyCodec.parse(key) } == .invalidToken(.malformedAPIKey))
    }

    @Test func storedKeyBecomesAPrincipal() throws {
        let generated = APIKeyCodec.generate()
        let stored = StoredAPIKey(id: generated.id, role: "viewer", sites: ["site_001"], createdAt: AuthFixtures.now)
        let principal = try stored.principal()
        #expect(principal == Principal(subject: generated.id, role: .viewer, sites: ["site_001"], credential: .apiKey(id: generated.id)))
        #expect(principal.rateLimitKey == "key:\(generated.id)")

        let everywhere = StoredAPIKey(id: generated.id, role: "admin", sites: nil, createdAt: AuthFixtures.now)
        #expect(try everywhere.principal().sites == nil)
        let damaged = StoredAPIKey(id: generated.id, role: "root", sites: nil, createdAt: AuthFixtures.now)
        #expect(authError { try damaged.principal() } == .invalidToken(.unknownAPIKey))
    }

    @Test func constantTimeComparison() {
        #expect(APIKeyCodec.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!APIKeyCodec.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!APIKeyCodec.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(APIKeyCodec.constantTimeEquals([], []))
        #expect(APIKeyCodec.matches(Self.fixedKey, storedHash: APIKeyCodec.hash(Self.fixedKey)))
        #expect(!APIKeyCodec.matches(Self.fixedKey + "x", storedHash: APIKeyCodec.hash(Self.fixedKey)))
    }
}

@Suite("Presented credentials")
struct PresentedCredentialTests {
    @Test func bearerTokenAndAPIKeyHeaders() throws {
        #expect(try PresentedCredential(authorization: "Bearer abc.def.ghi", apiKey: nil) == .bearerToken("abc.def.ghi"))
        #expect(try PresentedCredential(authorization: "bearer   abc.def.ghi ", apiKey: nil) == .bearerToken("abc.def.ghi"))
        #expect(try PresentedCredential(authorization: "Bearer pbk_x", apiKey: nil) == .apiKey("pbk_x"))
        #expect(try PresentedCredential(authorization: nil, apiKey: " pbk_x ") == .apiKey("pbk_x"))
        #expect(try PresentedCredential(authorization: "", apiKey: "pbk_x") == .apiKey("pbk_x"))
    }

    @Test func missingCredentials() {
        #expect(authError { try PresentedCredential(authorization: nil, apiKey: nil) } == .missingCredentials)
        #expect(authError { try PresentedCredential(authorization: "  ", apiKey: "") } == .missingCredentials)
    }

    @Test(arguments: ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b", "abc.def.ghi"])
    func otherSchemesAndShapesAreRefused(header: String) {
        #expect(isMalformed(authError { try PresentedCredential(authorization: header, apiKey: nil) }))
    }

    @Test func bothHeadersAtOnceAreRefused() {
        #expect(isMalformed(authError { try PresentedCredential(authorization: "Bearer a.b.c", apiKey: "pbk_x") }))
    }
}
