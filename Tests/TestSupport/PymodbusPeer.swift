import Foundation

/// The independent Modbus TCP peer (pymodbus serving a SunSpec image built in Python,
/// Tests/IntegrationTests/Peers/sunspec_pymodbus_server.py) on a free loopback port.
public enum PymodbusPeer {
    /// Starts the peer (or restarts it on `port`) and returns once it accepts connections.
    public static func start(packageRoot: URL, port: Int? = nil, arguments: [String] = []) async throws -> (process: ChildProcess, port: Int) {
        let python = try ChildProcess.locate("python3")
        let script = packageRoot.appendingPathComponent("Tests/IntegrationTests/Peers/sunspec_pymodbus_server.py").path
        let port = try port ?? FreePort.find()
        let process = try ChildProcess(python, [script, String(port)] + arguments)
        let deadline = ContinuousClock.now + .seconds(20)
        while !FreePort.isAccepting(port: port) {
            guard process.isRunning, ContinuousClock.now < deadline else { throw TestSupportError.didNotStart("pymodbus peer on \(port)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process, port)
    }
}
