import BMSCore
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: API keys")
struct APIKeyStorageTests {
    private let t0 = StorageSamples.start
    private let secretHash = [UInt8](repeating: 0xAB, count: 32)
    private let otherHash = [UInt8](repeating: 0xCD, count: 32)

    @Test func keysAreFoundByHashUntilRevoked() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try store.insertAPIKey(id: "key_1", hash: secretHash, role: "operator", sites: ["site_001"], createdAt: t0, replacingExisting: false)
        try store.insertAPIKey(id: "key_2", hash: otherHash, role: "viewer", sites: nil, createdAt: t0, replacingExisting: false)
        #expect(try store.apiKey(hash: secretHash) == StoredAPIKey(id: "key_1", role: "operator", sites: ["site_001"], createdAt: t0))
        #expect(try store.apiKey(hash: otherHash)?.sites == nil)
        #expect(try store.apiKey(hash: [UInt8](repeating: 0, count: 32)) == nil)

        let takenID = storeError {
            try store.insertAPIKey(id: "key_1", hash: [1], role: "admin", sites: nil, createdAt: t0, replacingExisting: false)
        }
        #expect(takenID == .conflict("API key 'key_1'"))
        let takenSecret = storeError {
            try store.insertAPIKey(id: "key_3", hash: secretHash, role: "admin", sites: nil, createdAt: t0, replacingExisting: false)
        }
        #expect(takenSecret == .conflict("an API key with this secret"))

        #expect(try store.revokeAPIKey(id: "key_1", at: t0.adding(milliseconds: 1000)))
        #expect(try store.revokeAPIKey(id: "key_1", at: t0.adding(milliseconds: 2000)) == false)
        #expect(try store.revokeAPIKey(id: "key_zz", at: t0) == false)
        #expect(try store.apiKey(hash: secretHash) == nil)
    }

    @Test func replacingRenewsAKeyLikeTheDevelopmentToken() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try store.insertAPIKey(id: "dev", hash: secretHash, role: "admin", sites: nil, createdAt: t0, replacingExisting: true)
        _ = try store.revokeAPIKey(id: "dev", at: t0)
        let restart = t0.adding(milliseconds: 60_000)
        // Every start installs the token again: same id and secret, revoked or not.
        try store.insertAPIKey(id: "dev", hash: secretHash, role: "admin", sites: nil, createdAt: restart, replacingExisting: true)
        try store.insertAPIKey(id: "dev", hash: secretHash, role: "admin", sites: nil, createdAt: restart, replacingExisting: true)
        #expect(try store.apiKey(hash: secretHash) == StoredAPIKey(id: "dev", role: "admin", sites: nil, createdAt: restart))
        // A new secret for the same id retires the old one.
        try store.insertAPIKey(id: "dev", hash: otherHash, role: "admin", sites: nil, createdAt: restart, replacingExisting: true)
        #expect(try store.apiKey(hash: secretHash) == nil)
        #expect(try store.apiKey(hash: otherHash)?.id == "dev")
    }
}
