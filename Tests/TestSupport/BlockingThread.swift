import Foundation

/// A thread of its own for test code that blocks (a wait on a pseudo-terminal or a semaphore, a serial
/// adapter's setup deadline). The cooperative pool has two threads on this machine, and a synchronous test
/// runs on one of them: a second blocking for a second would stall every poller, stream and `eventually` of
/// the tests beside it. Code run through `onBlockingThread` keeps its task (so `#expect` still reports to its
/// test) but runs here.
public final class BlockingThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    public init() {
        let thread = Thread { [self] in
            Thread.current.threadDictionary[Self.marker] = true
            run()
        }
        thread.start()
    }

    private static let marker = "pulsebms.blocking-test-work"

    /// Whether the calling code runs on a `BlockingThread`.
    public static var isCurrent: Bool { Thread.current.threadDictionary[marker] != nil }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs queued so far have run.
    public func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            guard !jobs.isEmpty else {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs `body` on a thread of its own (see `BlockingThread`), leaving the cooperative pool to other tests.
public func onBlockingThread<T, Failure: Error>(_ body: () async throws(Failure) -> T) async throws(Failure) -> T {
    let thread = BlockingThread()
    defer { thread.finish() }
    return try await withTaskExecutorPreference(thread, operation: body)
}
