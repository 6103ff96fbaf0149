import BMSCore
import Foundation
import Testing
import TestSupport

/// What a technician sees with no network: the status command, /status and /metrics, during a broker outage.
@Suite("Local status", .serialized)
struct LocalStatusTests {
    /// Clients that reset their connection (a port scanner, a TCP health check) cost the agent nothing: no
    /// SIGPIPE from the answer it writes to them ends it, and the next request is served. The agent runs
    /// without MQTT here, so libmosquitto (which ignores SIGPIPE for its whole process) is not in play.
    /// An agent configuration for one 280 Ah LFP pack (unit 1 of `simulator`) polled every 100 ms, its status
    /// on a free port, with `mqtt` as its broker section (none: no MQTT).
    static func onePackConfiguration(
        site: String, simulator: SimulatorProcess, in directory: TemporaryDirectory, mqtt: String = ""
    ) throws -> (config: URL, statusPort: Int) {
        let statusPort = try FreePort.find()
        let config = directory.file("agent.yaml")
        try """
            site_id: \(site)
            status_port: \(statusPort)
            \(mqtt)
            buses:
              - { id: sim, modbus_tcp: { host: 127.0.0.1, port: \(simulator.port) } }
            devices:
              - { device_id: pack_lfp, name: LFP, chemistry: LFP, bus: sim, unit_id: 1, profile: sunspec, poll_interval_ms: 100,
                  specifications: { nominal_capacity: 280, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
            """.write(to: config, atomically: true, encoding: .utf8)
        return (config, statusPort)
    }

    @Test func aResetConnectionDoesNotEndTheAgent() async throws {
        let simulator = try await SimulatorProcess.start(
            packs: ["unit=1,chemistry=LFP,cells=16,capacity=280,soc=60"], packageRoot: StoreAndForwardTests.root)
        let directory = try TemporaryDirectory("agent")
        defer { directory.remove() }
        let (config, statusPort) = try Self.onePackConfiguration(site: "site_reset", simulator: simulator, in: directory)
        let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)
        try await eventually("status served", seconds: 20) { LoopbackHTTP.get(port: statusPort, path: "/status") != nil }

        // Nothing sent (the agent answers 405 to a reset connection), and a request whose answer meets a reset.
        for _ in 0..<5 {
            #expect(LoopbackHTTP.sendAndReset(port: statusPort))
            #expect(LoopbackHTTP.sendAndReset(port: statusPort, Array("GET /metrics HTTP/1.0\r\n\r\n".utf8)))
        }
        #expect(LoopbackHTTP.get(port: statusPort, path: "/status")?.status.contains("200") == true)
        #expect(agent.isRunning, "the agent ended with status \(agent.exitCode.map(String.init) ?? "?")")

        // The simulator's control port likewise: replies to lines of a client that is gone.
        #expect(LoopbackHTTP.sendAndReset(port: simulator.controlPort, Array(String(repeating: "status 1\n", count: 20).utf8)))
        #expect(try simulator.control("status 1").contains("soc"))
        await agent.terminate()
        await simulator.stop()
    }

    @Test func statusShowsPacksBrokerLinkAndBacklog() async throws {
        try await MosquittoBroker.withRunning { broker in
            let simulator = try await SimulatorProcess.start(
                packs: ["unit=1,chemistry=LFP,cells=16,capacity=280,soc=60"], packageRoot: StoreAndForwardTests.root)
            let directory = try TemporaryDirectory("agent")
            defer { directory.remove() }
            let (config, statusPort) = try Self.onePackConfiguration(
                site: "site_status", simulator: simulator, in: directory,
                mqtt: "mqtt: { host: 127.0.0.1, port: \(broker.port), client_id: agent-status }")
            let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)

            func status() -> JSONValue? {
                LoopbackHTTP.get(port: statusPort, path: "/status").flatMap { try? WireCoding.decodeTree(from: Array($0.body.utf8)) }
            }
            try await eventually("status", seconds: 20) { status()?["packs"]?.arrayValue?.first?["soc"]?.numberValue == 60 }
            // Polling and the broker connection start side by side: the first reading can come before the CONNACK.
            try await eventually("broker connected", seconds: 20) { status()?["broker_connected"] == true }

            await broker.stop()
            try await eventually("status", seconds: 20) {
                status()?["broker_connected"] == false && (status()?["buffer_depth"]?.numberValue ?? 0) >= 5
            }
            let pack = try #require(status()?["packs"]?.arrayValue?.first)
            #expect(pack["device_id"] == "pack_lfp")
            #expect(pack["cell_voltage_min"]?.numberValue.map { (3.0...3.5).contains($0) } == true)
            #expect(pack["last_successful_poll"]?.stringValue != nil)

            let metrics = try #require(LoopbackHTTP.get(port: statusPort, path: "/metrics"))
            #expect(metrics.status.contains("200"))
            #expect(metrics.body.contains("pulsebms_pack_soc_percent{device_id=\"pack_lfp\"} 60"))
            #expect(metrics.body.contains("pulsebms_broker_connected_bool 0"))
            #expect(LoopbackHTTP.get(port: statusPort, path: "/nowhere")?.status.contains("404") == true)

            // The technician's command.
            let output = directory.file("status.txt").path
            let command = try ChildProcess(StoreAndForwardTests.agentBinary, ["status", "--port", String(statusPort)], outputFile: output)
            await command.waitForExit()
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            #expect(command.exitCode == 0)
            #expect(text.contains("broker NOT connected"))
            #expect(text.contains("pack_lfp: idle, SoC 60.0 %"))

            await agent.terminate()
            let closed = try ChildProcess(StoreAndForwardTests.agentBinary, ["status", "--port", String(statusPort)], outputFile: output)
            await closed.waitForExit()
            #expect(closed.exitCode == 2)
            await simulator.stop()
        }
    }
}
