import BMSCore
import Synchronization

/// Fixed-window request limits per bucket (a token subject or an API key), safe to share between requests.
///
/// Windows are aligned to the Unix epoch, so every bucket with the same window length resets at the same
/// instant and `X-RateLimit-Reset` is a round number; the time is always passed in, so tests are exact.
/// Memory is bounded: buckets whose window has ended are swept once per window, and at most
/// `maximumBuckets` are held. When the table is full of live buckets, a *new* bucket's request is refused
/// until a window ends (fail closed): evicting a live bucket instead would hand its owner a fresh allowance.
final class RateLimiter: Sendable {
    /// The policy for buckets without a role-specific one.
    let defaultPolicy: RateLimitPolicy
    /// Policies by role, for example a higher limit for admins' automation.
    let rolePolicies: [Role: RateLimitPolicy]
    /// Most buckets held at once.
    let maximumBuckets: Int

    private struct Bucket {
        var windowStart: Int64
        var windowSeconds: Int64
        var count: Int
        var windowEnd: Int64 { windowStart + windowSeconds }
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        /// Unix seconds of the next routine sweep.
        var nextSweep: Int64 = .min
        /// Unix seconds of the last sweep, so a full table is swept at most once a second.
        var lastSweep: Int64 = .min

        mutating func sweep(nowSeconds: Int64) {
            buckets = buckets.filter { $0.value.windowEnd > nowSeconds }
            lastSweep = nowSeconds
        }
    }

    private let state = Mutex(State())
    private let sweepIntervalSeconds: Int64

    /// A limiter.
    ///
    /// - Parameters:
    ///   - policy: The limit for every bucket without a role policy.
    ///   - rolePolicies: Limits by the principal's role.
    ///   - maximumBuckets: Most buckets held at once; size it above the number of users and keys.
    init(policy: RateLimitPolicy, rolePolicies: [Role: RateLimitPolicy] = [:], maximumBuckets: Int = 100_000) {
        self.defaultPolicy = policy
        self.rolePolicies = rolePolicies
        self.maximumBuckets = max(1, maximumBuckets)
        let windows = [policy.windowSeconds] + rolePolicies.values.map(\.windowSeconds)
        self.sweepIntervalSeconds = Int64(windows.min() ?? policy.windowSeconds)
    }

    /// The policy that applies to a role.
    func policy(for role: Role) -> RateLimitPolicy {
        rolePolicies[role] ?? defaultPolicy
    }

    /// Counts one request of `principal` at `now` against its bucket and role policy.
    func check(_ principal: Principal, now: Timestamp) -> RateLimitDecision {
        check(key: principal.rateLimitKey, policy: policy(for: principal.role), now: now)
    }

    /// Counts one request in bucket `key` at `now`; a refused request is not counted.
    ///
    /// - Parameter policy: The policy for this bucket; `defaultPolicy` when `nil`.
    func check(key: String, policy: RateLimitPolicy? = nil, now: Timestamp) -> RateLimitDecision {
        let policy = policy ?? defaultPolicy
        let windowSeconds = Int64(policy.windowSeconds)
        let nowMilliseconds = now.millisecondsSinceEpoch
        let nowSeconds = Self.floorDivide(nowMilliseconds, 1000)
        let windowStart = Self.floorDivide(nowSeconds, windowSeconds) * windowSeconds
        let windowEnd = windowStart + windowSeconds
        // Ceiling, so a client that waits this long is certainly in the next window.
        let secondsToWindowEnd = Int(Self.floorDivide(windowEnd * 1000 - nowMilliseconds + 999, 1000))

        func decision(allowed: Bool, count: Int) -> RateLimitDecision {
            RateLimitDecision(
                isAllowed: allowed, limit: policy.limit, remaining: max(0, policy.limit - count), resetAt: windowEnd,
                windowSeconds: policy.windowSeconds, retryAfterSeconds: allowed ? nil : max(1, secondsToWindowEnd))
        }

        return state.withLock { state in
            if nowSeconds >= state.nextSweep {
                state.sweep(nowSeconds: nowSeconds)
                state.nextSweep = nowSeconds + sweepIntervalSeconds
            }
            var bucket: Bucket
            if let existing = state.buckets[key], existing.windowStart == windowStart,
                existing.windowSeconds == windowSeconds
            {
                bucket = existing
            } else {
                if state.buckets[key] == nil, state.buckets.count >= maximumBuckets {
                    if state.lastSweep < nowSeconds { state.sweep(nowSeconds: nowSeconds) }
                    guard state.buckets.count < maximumBuckets else {
                        return decision(allowed: false, count: policy.limit)
                    }
                }
                bucket = Bucket(windowStart: windowStart, windowSeconds: windowSeconds, count: 0)
            }
            guard bucket.count < policy.limit else {
                state.buckets[key] = bucket
                return decision(allowed: false, count: bucket.count)
            }
            bucket.count += 1
            state.buckets[key] = bucket
            return decision(allowed: true, count: bucket.count)
        }
    }

    /// Buckets currently held (for metrics and tests).
    var bucketCount: Int {
        state.withLock { $0.buckets.count }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return quotient * divisor > value ? quotient - 1 : quotient
    }
}
