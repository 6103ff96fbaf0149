import Dispatch
import Foundation
import Testing
import TestSupport

/// Test code that blocks runs on a thread of its own, not on the cooperative pool the other tests share.
@Suite("Blocking test work")
struct BlockingThreadTests {
    /// As many blocked bodies as the pool has threads, and one more, each on a thread of its own; a task on
    /// the pool releases them. (On the pool itself they would take every thread, and the release would wait
    /// for libdispatch's monitor to notice and add one.)
    @Test func blockedBodiesLeaveThePoolFree() async throws {
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 1
        let release = DispatchSemaphore(value: 0)
        let waiting = DispatchSemaphore(value: 0)
        let released = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<blockers {
                group.addTask {
                    await onBlockingThread {
                        #expect(BlockingThread.isCurrent)
                        waiting.signal()
                        return release.wait(timeout: .now() + 10) == .success
                    }
                }
            }
            group.addTask {
                // Runs on the pool: it can only start once the blockers have left it a thread.
                for _ in 0..<blockers { _ = waiting.wait(timeout: .now() + 10) }
                for _ in 0..<blockers { release.signal() }
                return true
            }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(released == Array(repeating: true, count: blockers + 1))
    }

    /// An expectation inside the body reports to the test that runs it (the body keeps its task).
    @Test func expectationsInsideReportToTheirTest() async {
        await withKnownIssue {
            await onBlockingThread { #expect(Bool(false), "recorded from the blocking thread") }
        }
    }
}
