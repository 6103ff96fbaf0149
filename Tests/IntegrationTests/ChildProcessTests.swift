import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The processes tests start (broker, simulator, agent, relay, peers) inherit nothing of the test runner but
/// their standard streams: a child holding another test's socket or pseudo-terminal would keep it open after
/// that test closed it.
@Suite("Child processes")
struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardStreams() async throws {
        let directory = try TemporaryDirectory("child")
        defer { directory.remove() }
        // A descriptor open without close-on-exec, as NIO's and libmosquitto's sockets are.
        let leaky = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(leaky >= 0)
        defer { close(leaky) }
        let listing = directory.file("fds.txt").path
        let child = try ChildProcess("/bin/sh", ["-c", "ls /proc/$$/fd"], outputFile: listing)
        await child.waitForExit()
        #expect(child.exitCode == 0)
        let descriptors = Set(try String(contentsOfFile: listing, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Int($0) })
        #expect(descriptors == [0, 1, 2], "the child held \(descriptors.sorted()); the test runner's socket was \(leaky)")
    }

    /// A wait for a child that does not exit ends when its task is cancelled (a `withTimeout` around it fails
    /// the test instead of hanging the run); the child is then stopped by the test.
    @Test func aWaitForAChildThatHangsEndsAtItsTimeout() async throws {
        let child = try ChildProcess("/bin/sleep", ["600"])
        let outcome = try await withTimeout(.milliseconds(300)) { () async -> Bool? in
            await child.waitForExit()
            return true
        }
        #expect(outcome == nil)
        #expect(child.isRunning)
        await child.terminate(signal: SIGKILL)
        #expect(!child.isRunning)
    }
}
