import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport

/// Test code that blocks runs on a thread of its own, not on the cooperative pool the other tests share.
@Suite("Blocking test work")
struct BlockingThreadTests {
    /// More bodies than the pool has threads, each blocked until all of them are: they can only all be
    /// waiting at once on threads of their own (on the pool they would take its every thread and wait for
    /// libdispatch to add one). No pool thread is blocked by the test itself.
    @Test func blockedBodiesLeaveThePoolFree() async throws {
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 1
        let arrived = Arrivals()
        let release = DispatchSemaphore(value: 0)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<blockers {
                group.addTask {
                    await onBlockingThread {
                        #expect(BlockingThread.isCurrent)
                        let last = arrived.count.withLock { count -> Bool in
                            count += 1
                            return count == blockers
                        }
                        if last { for _ in 0..<blockers { release.signal() } }
                        return release.wait(timeout: .now() + 10) == .success
                    }
                }
            }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results == Array(repeating: true, count: blockers))
    }

    /// An expectation inside the body reports to the test that runs it (the body keeps its task).
    @Test func expectationsInsideReportToTheirTest() async {
        await withKnownIssue {
            await onBlockingThread { #expect(Bool(false), "recorded from the blocking thread") }
        }
    }
}

/// How many blocked bodies have arrived (a class, so that the bodies share it).
private final class Arrivals: Sendable {
    let count = Mutex(0)
}
