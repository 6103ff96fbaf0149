import Synchronization
import Testing

@testable import EdgeAgent

/// The gate that keeps allocations, re-clamps and the fallback from writing setpoints over each other.
@Suite("Serial gate")
struct SerialGateTests {
    /// How many operations are inside the gate now, the most there ever were at once, and how many finished.
    final class Counts: Sendable {
        let state = Mutex<(inside: Int, most: Int, finished: Int)>((0, 0, 0))
    }

    @Test func oneOperationAtATimeAndAllOfThem() async {
        let gate = SerialGate()
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    await gate.withTurn { () async -> Void in
                        counts.state.withLock { state in
                            state.inside += 1
                            state.most = max(state.most, state.inside)
                        }
                        // Suspend inside the turn, as a pack write does, so that others try to enter meanwhile.
                        await Task.yield()
                        await Task.yield()
                        counts.state.withLock { state in
                            state.inside -= 1
                            state.finished += 1
                        }
                    }
                }
            }
        }
        let final = counts.state.withLock { $0 }
        #expect(final.most == 1)
        #expect(final.finished == 64)
        #expect(final.inside == 0)
    }

    @Test func theResultOfTheTurnIsReturned() async {
        let gate = SerialGate()
        let value = await gate.withTurn { () async -> Int in
            await Task.yield()
            return 42
        }
        #expect(value == 42)
    }
}
