import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real mosquitto broker on a free loopback port, for integration tests.
///
/// The generated config listens on 127.0.0.1 only, allows anonymous clients, and sets
/// `max_queued_messages 0` and `max_inflight_messages 0` so that a slow subscriber in a load test is not
/// silently dropped messages; `user root` keeps it from switching to the `mosquitto` user when tests run as
/// root, so it can write its persistence file in the test's directory.
public final class MosquittoBroker: @unchecked Sendable {
    // @unchecked: `process` is only touched by start/stop/restart, which a test calls from one task.
    public let port: Int
    public let directory: TemporaryDirectory
    private let executable: String
    private var process: ChildProcess?

    /// Starts a broker and returns once it accepts TCP connections.
    /// - Parameters:
    ///   - persistence: keep sessions and retained messages on disk across `restart()`.
    ///   - extraConfig: more lines for mosquitto.conf.
    public static func start(persistence: Bool = false, extraConfig: [String] = []) async throws -> MosquittoBroker {
        guard let executable = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw TestSupportError.programMissing("mosquitto") }
        let directory = try TemporaryDirectory("mosquitto")
        var lastError: any Error = TestSupportError.didNotStart("mosquitto")
        for _ in 0..<5 {
            let port = try FreePort.find()
            let broker = MosquittoBroker(port: port, directory: directory, executable: executable)
            try broker.writeConfig(persistence: persistence, extraConfig: extraConfig)
            do {
                try await broker.launch()
                return broker
            } catch {
                lastError = error  // most likely the port was taken between finding and binding it
            }
        }
        directory.remove()
        throw lastError
    }

    /// Starts a broker, runs `body` with it, and shuts the broker down afterwards, also when `body` throws.
    public static func withRunning<Result>(
        persistence: Bool = false, extraConfig: [String] = [],
        _ body: (MosquittoBroker) async throws -> Result
    ) async throws -> Result {
        let broker = try await start(persistence: persistence, extraConfig: extraConfig)
        do {
            let result = try await body(broker)
            await broker.shutdown()
            return result
        } catch {
            await broker.shutdown()
            throw error
        }
    }

    private init(port: Int, directory: TemporaryDirectory, executable: String) {
        self.port = port
        self.directory = directory
        self.executable = executable
    }

    /// The broker's log, for failure messages.
    public var log: String {
        (try? String(contentsOf: directory.file("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    /// The PID of the running broker.
    public var pid: Int32? { process?.pid }

    /// Stops the broker with SIGTERM and waits for it to exit (it saves its persistence file first).
    public func stop() async {
        await terminate(signal: SIGTERM)
    }

    /// Kills the broker with SIGKILL: no clean shutdown, as in a crash.
    public func kill() async {
        await terminate(signal: SIGKILL)
    }

    /// Starts the broker again on the same port with the same config and persistence.
    public func restart() async throws {
        await stop()
        try await launch()
    }

    /// Stops the broker and removes its directory.
    public func shutdown() async {
        await stop()
        directory.remove()
    }

    private func writeConfig(persistence: Bool, extraConfig: [String]) throws {
        var lines = [
            "listener \(port) 127.0.0.1",
            "allow_anonymous true",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "set_tcp_nodelay true",
            "user root",
            "log_dest file \(directory.file("mosquitto.log").path)",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        ]
        if persistence {
            lines += ["persistence true", "persistence_location \(directory.path)/", "autosave_interval 1"]
        } else {
            lines += ["persistence false"]
        }
        try (lines + extraConfig).joined(separator: "\n").appending("\n")
            .write(to: directory.file("mosquitto.conf"), atomically: true, encoding: .utf8)
    }

    private func launch() async throws {
        let process = try ChildProcess(
            executable, ["-c", directory.file("mosquitto.conf").path], outputFile: directory.file("stderr.log").path)
        self.process = process
        // Wait for the listener: poll the port, with a deadline; give up early if the broker exits.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if FreePort.isAccepting(port: port) { return }
            if !process.isRunning {
                self.process = nil
                throw TestSupportError.didNotStart("mosquitto on port \(port): \(log)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        await terminate(signal: SIGKILL)
        throw TestSupportError.didNotStart("mosquitto on port \(port) within 10 s: \(log)")
    }

    private func terminate(signal: Int32) async {
        await process?.terminate(signal: signal)
        process = nil
    }

}
