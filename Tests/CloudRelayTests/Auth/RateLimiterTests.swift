import BMSCore
import Testing
@testable import CloudRelay

@Suite("Rate limiter")
struct RateLimiterTests {
    /// 2024-01-15T15:00:00Z: the start of an hour, and of every minute-long window.
    let windowStart: Int64 = 1_705_330_800

    func at(_ secondsAfterStart: Double) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: windowStart * 1000 + Int64((secondsAfterStart * 1000).rounded()))
    }

    @Test func countsDownThenRefusesWithRetryAfterToTheWindowEnd() {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 3, windowSeconds: 60))
        let decisions = (0..<3).map { _ in limiter.check(key: "a", now: at(10)) }
        #expect(decisions.map(\.isAllowed) == [true, true, true])
        #expect(decisions.map(\.remaining) == [2, 1, 0])
        #expect(decisions.allSatisfy { $0.resetAt == windowStart + 60 && $0.retryAfterSeconds == nil })

        let refused = limiter.check(key: "a", now: at(10))
        #expect(!refused.isAllowed)
        #expect(refused.remaining == 0)
        #expect(refused.resetAt == windowStart + 60)
        #expect(refused.retryAfterSeconds == 50)
        // Part-way through a second, Retry-After rounds up so the retry lands in the next window.
        #expect(limiter.check(key: "a", now: at(10.5)).retryAfterSeconds == 50)
        #expect(limiter.check(key: "a", now: at(59.999)).retryAfterSeconds == 1)
    }

    @Test func resetsAtTheWindowBoundary() {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 2, windowSeconds: 60))
        _ = limiter.check(key: "a", now: at(0))
        _ = limiter.check(key: "a", now: at(30))
        #expect(!limiter.check(key: "a", now: at(59.999)).isAllowed)
        let next = limiter.check(key: "a", now: at(60))
        #expect(next.isAllowed)
        #expect(next.remaining == 1)
        #expect(next.resetAt == windowStart + 120)
    }

    @Test func bucketsAreIndependent() {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 1, windowSeconds: 60))
        #expect(limiter.check(key: "a", now: at(1)).isAllowed)
        #expect(!limiter.check(key: "a", now: at(1)).isAllowed)
        #expect(limiter.check(key: "b", now: at(1)).isAllowed)
        #expect(limiter.bucketCount == 2)
    }

    @Test func rolePoliciesApplyPerPrincipal() {
        let limiter = RateLimiter(
            policy: RateLimitPolicy(limit: 1, windowSeconds: 60),
            rolePolicies: [.admin: RateLimitPolicy(limit: 5, windowSeconds: 60)])
        let admin = Principal(subject: "root", role: .admin, sites: nil, credential: .token(keyID: "k"))
        let viewer = Principal(subject: "eve", role: .viewer, sites: nil, credential: .token(keyID: "k"))
        #expect(limiter.check(admin, now: at(0)).limit == 5)
        #expect(limiter.check(viewer, now: at(0)).limit == 1)
        #expect(!limiter.check(viewer, now: at(0)).isAllowed)
        #expect(limiter.check(admin, now: at(0)).remaining == 3)
    }

    @Test func headersAndSpecSchemaMatchTheSpecExample() throws {
        // The spec's example: 1000 per hour, 875 left, resetting at 2024-01-15T15:00:00Z (1705330800).
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 1000, windowSeconds: 3600))
        var decision = limiter.check(key: "a", now: at(-1800))
        for _ in 1..<125 { decision = limiter.check(key: "a", now: at(-1800)) }
        #expect(decision.remaining == 875)
        let info = decision.info
        #expect(info.rateLimit.resetTime == (try Timestamp(rfc3339: "2024-01-15T15:00:00Z")))
        #expect(info.rateLimit.windowSeconds == 3600)
        #expect(info.headers == RateLimitHeaders(limit: "1000", remaining: "875", reset: "1705330800"))
        #expect(decision.headerFields.map { $0.name } == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"])
    }

    @Test func refusalCarriesRetryAfterAndTheStandardErrorBody() throws {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 1, windowSeconds: 60))
        _ = limiter.check(key: "a", now: at(15))
        let refused = limiter.check(key: "a", now: at(15))
        let fields = Dictionary(uniqueKeysWithValues: refused.headerFields.map { ($0.name, $0.value) })
        #expect(fields == [
            "X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(windowStart + 60),
            "Retry-After": "45",
        ])
        let body = refused.errorResponse(timestamp: at(15), traceID: "trace_1")
        #expect(body.error.code == .rateLimited)
        #expect(body.error.details?["retry_after_seconds"] == 45)
    }

    @Test func expiredBucketsAreSweptAndTheTableIsBounded() {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 10, windowSeconds: 60), maximumBuckets: 3)
        for key in ["a", "b", "c"] { #expect(limiter.check(key: key, now: at(1)).isAllowed) }
        // Full of live buckets: a new key is refused until a window ends; known keys carry on.
        let newcomer = limiter.check(key: "d", now: at(2))
        #expect(!newcomer.isAllowed)
        #expect(newcomer.retryAfterSeconds == 58)
        #expect(limiter.check(key: "a", now: at(2)).isAllowed)
        #expect(limiter.bucketCount == 3)

        // Next window: the old buckets are swept and the newcomer gets in.
        #expect(limiter.check(key: "d", now: at(61)).isAllowed)
        #expect(limiter.bucketCount == 1)
    }

    @Test func routineSweepDropsIdleBuckets() {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 10, windowSeconds: 60))
        for index in 0..<500 { _ = limiter.check(key: "client-\(index)", now: at(5)) }
        #expect(limiter.bucketCount == 500)
        _ = limiter.check(key: "client-0", now: at(65))
        #expect(limiter.bucketCount == 1)
    }

    @Test func concurrentRequestsNeverExceedTheLimit() async {
        let limiter = RateLimiter(policy: RateLimitPolicy(limit: 100, windowSeconds: 60))
        let now = at(1)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<400 { group.addTask { limiter.check(key: "shared", now: now).isAllowed } }
            var count = 0
            for await isAllowed in group where isAllowed { count += 1 }
            return count
        }
        #expect(allowed == 100)
    }

    @Test func nonsensicalPoliciesAreRaisedToOne() {
        #expect(RateLimitPolicy(limit: 0, windowSeconds: -5) == RateLimitPolicy(limit: 1, windowSeconds: 1))
    }
}
