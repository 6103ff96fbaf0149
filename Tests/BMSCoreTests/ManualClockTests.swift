import Testing
import TestSupport

@Suite("Manual clock")
struct ManualClockTests {
    @Test func sleepersWakeOnlyWhenTimeReachesTheirDeadline() async throws {
        let clock = ManualClock()
        let woke = AsyncStream<Int>.makeStream()
        let sleeper = Task {
            try await clock.sleep(until: clock.now.advanced(by: .seconds(5)))
            woke.continuation.yield(1)
        }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        var iterator = woke.stream.makeAsyncIterator()
        #expect(await iterator.next() == 1)
        try await sleeper.value
        #expect(clock.now.offset == .seconds(5))
    }

    @Test func cancellingASleeperThrows() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: clock.now.advanced(by: .seconds(1))) }
        while clock.sleeperCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }
}
