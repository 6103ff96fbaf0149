import Foundation
import Synchronization

/// What GET /health reports about the API and the ingest, measured rather than assumed: response time and
/// error rate over the last minute of requests, and MQTT messages per second over the last ten seconds.
///
/// Kept as per-second sums in rings (`SecondSums`): every request and every MQTT message is recorded, so the
/// cost of recording is constant and memory fixed whatever the rate. (A list of samples trimmed from the front
/// moved up to 100,000 entries per request or message once it was full.)
final class RequestMetrics: Sendable {
    private struct State {
        var requests = SecondSums(seconds: RequestMetrics.requestWindowSeconds)
        var messages = SecondSums(seconds: RequestMetrics.messageWindowSeconds + 1)
        var messagesTotal = 0
    }

    private let state = Mutex(State())
    private let origin: ContinuousClock.Instant
    static let requestWindowSeconds = 60
    static let messageWindowSeconds = 10

    init(origin: ContinuousClock.Instant = .now) {
        self.origin = origin
    }

    /// Records one request that ended `at`; 5xx responses count as errors.
    func recordRequest(duration: Duration, status: Int, at end: ContinuousClock.Instant = .now) {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        let second = self.second(of: end)
        state.withLock { $0.requests.add(second: second, milliseconds: milliseconds, failed: status >= 500) }
    }

    /// Records `count` MQTT messages received `at`.
    func recordMessages(_ count: Int, at time: ContinuousClock.Instant = .now) {
        let second = self.second(of: time)
        state.withLock { state in
            state.messagesTotal += count
            state.messages.add(second: second, count: count)
        }
    }

    /// Mean response time (ms) and the fraction of 5xx responses over the last minute (this second and the 59
    /// before it); 0 and 0 when idle.
    func requestFigures(at now: ContinuousClock.Instant = .now) -> (responseTimeMilliseconds: Double, errorRate: Double) {
        let second = self.second(of: now)
        let sums = state.withLock { $0.requests.sum(from: second - Int64(Self.requestWindowSeconds) + 1, through: second) }
        guard sums.count > 0 else { return (0, 0) }
        return (sums.milliseconds / Double(sums.count), Double(sums.failures) / Double(sums.count))
    }

    /// MQTT messages per second over the last ten whole seconds (the one under way is not complete yet).
    func messagesPerSecond(at now: ContinuousClock.Instant = .now) -> Double {
        let second = self.second(of: now)
        let sums = state.withLock { $0.messages.sum(from: second - Int64(Self.messageWindowSeconds), through: second - 1) }
        return Double(sums.count) / Double(Self.messageWindowSeconds)
    }

    var messagesTotal: Int { state.withLock { $0.messagesTotal } }

    /// Whole seconds since `origin` (an instant before it counts as second 0).
    private func second(of instant: ContinuousClock.Instant) -> Int64 {
        max(0, (instant - origin).components.seconds)
    }
}

/// Sums per whole second over a sliding window of `seconds` seconds, in a ring: a second's slot is reused once
/// it is older than the window.
struct SecondSums {
    struct Sums: Equatable {
        var count = 0
        var milliseconds = 0.0
        var failures = 0
    }

    private var slots: [(second: Int64, sums: Sums)]

    init(seconds: Int) {
        slots = Array(repeating: (-1, Sums()), count: max(1, seconds))
    }

    mutating func add(second: Int64, count: Int = 1, milliseconds: Double = 0, failed: Bool = false) {
        guard second >= 0 else { return }  // seconds count from the metrics' origin
        let index = Int(second % Int64(slots.count))
        // A sample from before the slot's second (a late recorder) is older than the window keeps: dropped.
        guard second >= slots[index].second else { return }
        if slots[index].second != second { slots[index] = (second, Sums()) }
        slots[index].sums.count += count
        slots[index].sums.milliseconds += milliseconds
        if failed { slots[index].sums.failures += count }
    }

    /// The sums of the seconds `first` through `last` still held.
    func sum(from first: Int64, through last: Int64) -> Sums {
        var total = Sums()
        for slot in slots where slot.second >= first && slot.second <= last {
            total.count += slot.sums.count
            total.milliseconds += slot.sums.milliseconds
            total.failures += slot.sums.failures
        }
        return total
    }
}
