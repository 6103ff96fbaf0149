import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

@Suite("systemd notification")
struct SystemdNotifierTests {
    @Test func environmentIsRead() {
        #expect(SystemdNotifier.fromEnvironment([:]) == nil)
        let notifier = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"])
        #expect(notifier?.socketPath == "/run/x")
        #expect(notifier?.watchdogInterval == .seconds(15))
    }

    @Test func readyReachesTheSocket() throws {
        let directory = try TemporaryDirectory("notify")
        defer { directory.remove() }
        let path = directory.file("notify.sock").path
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(receiver >= 0)
        defer { close(receiver) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(receiver, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(SystemdNotifier(socketPath: path, watchdogInterval: nil).notify("READY=1"))
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(count > 0 && String(decoding: buffer[..<max(0, count)], as: UTF8.self) == "READY=1")
        #expect(!SystemdNotifier(socketPath: directory.file("absent.sock").path, watchdogInterval: nil).notify("READY=1"))
    }

    /// Each shipped unit passes `systemd-analyze verify` (pointed at the built binary).
    @Test(arguments: ["pulsebms-agent", "pulsebms-relay"])
    func unitFileVerifies(program: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let analyze = try ChildProcess.locate("systemd-analyze")
        let directory = try TemporaryDirectory("unit")
        defer { directory.remove() }
        let unit = try String(contentsOf: root.appendingPathComponent("systemd/\(program).service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/\(program)", with: root.appendingPathComponent(".build/debug/\(program)").path)
        let copy = directory.file("\(program).service")
        try unit.write(to: copy, atomically: true, encoding: .utf8)
        let output = directory.file("verify.log").path
        let process = try ChildProcess(analyze, ["verify", copy.path], outputFile: output)
        await process.waitForExit()
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(process.exitCode == 0, "\(log)")
    }
}

