import Foundation
import Synchronization

/// What GET /health reports about the API and the ingest, measured rather than assumed: response time and
/// error rate over the last minute of requests, and MQTT messages per second over the last ten seconds.
final class RequestMetrics: Sendable {
    private struct State {
        /// (end time, duration ms, failed) of recent requests, oldest first.
        var requests: [(end: ContinuousClock.Instant, milliseconds: Double, failed: Bool)] = []
        /// Arrival times of recent MQTT messages, oldest first.
        var messages: [ContinuousClock.Instant] = []
        var messagesTotal = 0
    }

    private let state = Mutex(State())
    static let requestWindow = Duration.seconds(60)
    static let messageWindow = Duration.seconds(10)
    /// Most samples kept in either window, so memory stays bounded under load.
    static let maximumSamples = 100_000

    /// Records one request; 5xx responses count as errors.
    func recordRequest(duration: Duration, status: Int) {
        let now = ContinuousClock.now
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        state.withLock { state in
            state.requests.append((now, milliseconds, status >= 500))
            Self.trim(&state.requests, before: now - Self.requestWindow) { $0.end }
        }
    }

    /// Records `count` MQTT messages received now.
    func recordMessages(_ count: Int) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.messagesTotal += count
            state.messages.append(contentsOf: repeatElement(now, count: min(count, Self.maximumSamples)))
            Self.trim(&state.messages, before: now - Self.messageWindow) { $0 }
        }
    }

    /// Mean response time (ms) and the fraction of 5xx responses over the last minute; 0 and 0 when idle.
    var requestFigures: (responseTimeMilliseconds: Double, errorRate: Double) {
        let cutoff = ContinuousClock.now - Self.requestWindow
        return state.withLock { state in
            let recent = state.requests.filter { $0.end >= cutoff }
            guard !recent.isEmpty else { return (0, 0) }
            let total = recent.reduce(0) { $0 + $1.milliseconds }
            return (total / Double(recent.count), Double(recent.filter(\.failed).count) / Double(recent.count))
        }
    }

    /// MQTT messages per second over the last ten seconds.
    var messagesPerSecond: Double {
        let cutoff = ContinuousClock.now - Self.messageWindow
        return state.withLock { state in
            Double(state.messages.filter { $0 >= cutoff }.count) / 10
        }
    }

    var messagesTotal: Int { state.withLock { $0.messagesTotal } }

    private static func trim<Element>(_ samples: inout [Element], before cutoff: ContinuousClock.Instant, time: (Element) -> ContinuousClock.Instant) {
        var drop = 0
        while drop < samples.count, time(samples[drop]) < cutoff { drop += 1 }
        if samples.count - drop > maximumSamples { drop = samples.count - maximumSamples }
        if drop > 0 { samples.removeFirst(drop) }
    }
}
