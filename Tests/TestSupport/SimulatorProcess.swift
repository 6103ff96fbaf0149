import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `pulsebms-sim` started for a test on free loopback ports, with its control port.
public final class SimulatorProcess: Sendable {
    public let port: Int
    public let controlPort: Int
    public let logPath: String
    private let process: ChildProcess
    private let directory: TemporaryDirectory

    /// Starts the simulator built next to the tests (`.build/debug/pulsebms-sim`) with these `--pack` specs.
    public static func start(packs: [String], tickMilliseconds: Int = 100, packageRoot: URL) async throws -> SimulatorProcess {
        let binary = packageRoot.appendingPathComponent(".build/debug/pulsebms-sim").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw TestSupportError.programMissing(binary) }
        let directory = try TemporaryDirectory("sim")
        for _ in 0..<5 {
            let port = try FreePort.find()
            let controlPort = try FreePort.find()
            let log = directory.file("sim.log").path
            let arguments = ["--port", String(port), "--control-port", String(controlPort), "--tick-ms", String(tickMilliseconds)]
                + packs.flatMap { ["--pack", $0] }
            let process = try ChildProcess(binary, arguments, outputFile: log)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline {
                if FreePort.isAccepting(port: port), FreePort.isAccepting(port: controlPort) {
                    return SimulatorProcess(port: port, controlPort: controlPort, logPath: log, process: process, directory: directory)
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            await process.terminate(signal: SIGKILL)
        }
        directory.remove()
        throw TestSupportError.didNotStart("pulsebms-sim")
    }

    private init(port: Int, controlPort: Int, logPath: String, process: ChildProcess, directory: TemporaryDirectory) {
        self.port = port
        self.controlPort = controlPort
        self.logPath = logPath
        self.process = process
        self.directory = directory
    }

    /// Sends one control command and returns the simulator's one-line answer.
    public func control(_ command: String) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError.system("socket", errno) }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = FreePort.loopbackAddress(port: controlPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestSupportError.system("connect", errno) }
        let line = Array((command + "\n").utf8)
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var byte: UInt8 = 0
        while read(descriptor, &byte, 1) == 1, byte != 0x0A { reply.append(byte) }
        return String(decoding: reply, as: UTF8.self)
    }

    /// The pack's state as the simulator sees it (`status UNIT`).
    public func status(unit: Int) throws -> [String: Any] {
        let reply = try control("status \(unit)")
        return (try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]) ?? [:]
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func stop() async {
        await process.terminate()
        directory.remove()
    }
}
