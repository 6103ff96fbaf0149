import Testing

@testable import CloudRelay

/// The API-key cache: a key's principal is reused for its lifetime and looked up again after it, so a revoked
/// key stops working within that time; it never holds more than its capacity.
@Suite("API key cache")
struct APIKeyCacheTests {
    static let principal = Principal(subject: "k1", role: .operator, sites: ["site_001"], credential: .apiKey(id: "k1"))

    @Test func reusedUntilItsLifetimeEnds() {
        let cache = APIKeyCache(lifetime: .seconds(5), capacity: 10)
        let start = ContinuousClock.now
        #expect(cache.principal(for: [1], at: start) == nil)
        cache.remember(Self.principal, for: [1], at: start)
        #expect(cache.principal(for: [1], at: start + .milliseconds(4999)) == Self.principal)
        #expect(cache.principal(for: [1], at: start + .seconds(5)) == nil)
        // Forgotten once expired: not found again even at an earlier instant.
        #expect(cache.principal(for: [1], at: start) == nil)
        #expect(cache.principal(for: [2], at: start) == nil)
    }

    @Test func boundedByItsCapacity() {
        let cache = APIKeyCache(lifetime: .seconds(5), capacity: 3)
        let start = ContinuousClock.now
        for key in 0..<3 { cache.remember(Self.principal, for: [UInt8(key)], at: start) }
        #expect((0..<3).allSatisfy { cache.principal(for: [UInt8($0)], at: start) != nil })
        cache.remember(Self.principal, for: [9], at: start)
        #expect(cache.principal(for: [9], at: start) != nil)
        #expect((0..<3).allSatisfy { cache.principal(for: [UInt8($0)], at: start) == nil })
    }

    @Test func aZeroLifetimeKeepsNothing() {
        let cache = APIKeyCache(lifetime: .zero)
        let start = ContinuousClock.now
        cache.remember(Self.principal, for: [1], at: start)
        #expect(cache.principal(for: [1], at: start) == nil)
    }
}
