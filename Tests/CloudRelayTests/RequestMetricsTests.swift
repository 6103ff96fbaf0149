import Testing

@testable import CloudRelay

/// The figures GET /health reports: mean response time and error rate over the last minute, MQTT messages per
/// second over the last ten whole seconds; each window checked on both sides of its edge.
@Suite("Request metrics")
struct RequestMetricsTests {
    let origin = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        origin.advanced(by: .milliseconds(Int64(seconds * 1000)))
    }

    @Test func requestsOverTheLastMinute() {
        let metrics = RequestMetrics(origin: origin)
        #expect(metrics.requestFigures(at: at(0)) == (0, 0))
        metrics.recordRequest(duration: .milliseconds(10), status: 200, at: at(0.5))
        metrics.recordRequest(duration: .milliseconds(30), status: 503, at: at(1.5))
        #expect(metrics.requestFigures(at: at(2)) == (20, 0.5))
        // Second 59 still holds both; from second 60 the first has left the minute, from second 61 both.
        #expect(metrics.requestFigures(at: at(59.9)) == (20, 0.5))
        #expect(metrics.requestFigures(at: at(60)) == (30, 1))
        #expect(metrics.requestFigures(at: at(61)) == (0, 0))
        // A slot reused a minute later holds only its new second.
        metrics.recordRequest(duration: .milliseconds(4), status: 404, at: at(60.2))
        #expect(metrics.requestFigures(at: at(60.5)) == (17, 0.5))
    }

    @Test func messagesPerSecondOverTheLastTenWholeSeconds() {
        let metrics = RequestMetrics(origin: origin)
        metrics.recordMessages(100, at: at(0.2))
        metrics.recordMessages(50, at: at(9.5))
        #expect(metrics.messagesPerSecond(at: at(9.9)) == 10)  // second 9 is not over yet
        #expect(metrics.messagesPerSecond(at: at(10)) == 15)
        #expect(metrics.messagesPerSecond(at: at(10.99)) == 15)
        #expect(metrics.messagesPerSecond(at: at(11)) == 5)
        metrics.recordMessages(1000, at: at(11.5))
        #expect(metrics.messagesPerSecond(at: at(11.9)) == 5)
        #expect(metrics.messagesPerSecond(at: at(12)) == 105)
        #expect(metrics.messagesTotal == 1150)
    }

    @Test func aLateSampleOlderThanItsSlotIsDropped() {
        var sums = SecondSums(seconds: 10)
        sums.add(second: 25, count: 3)
        sums.add(second: 15, count: 7)  // same slot, older than the window kept
        #expect(sums.sum(from: 0, through: 30) == SecondSums.Sums(count: 3))
    }
}
