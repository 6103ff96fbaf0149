import BMSCore
import Foundation
import PulseMQTT
import Testing
import TestSupport

/// The relay against a real broker and a real agent reading the simulator: what the agent publishes is served
/// by the REST API, duplicates change nothing, commands go down and their status comes back; then schemathesis
/// checks every response against the served OpenAPI document.
@Suite("Relay end to end", .serialized)
struct RelayEndToEndTests {
    static let relayBinary = StoreAndForwardTests.root.appendingPathComponent(".build/debug/pulsebms-relay").path
    static let devices = ["pack_lfp", "pack_map", "pack_nmc"]

    struct Relay {
        let process: ChildProcess
        let port: Int
        let key: String
        let directory: TemporaryDirectory

        /// Registers a 280 Ah, 16-cell LFP pack; returns the status code.
        func register(_ device: String, site: String) -> Int {
            call(
                "POST", "/api/v1/devices",
                body: """
                    {"device_id":"\(device)","site_id":"\(site)","name":"\(device)","chemistry":"LFP",
                     "specifications":{"nominal_capacity":280,"nominal_voltage":51.2,"series_cells":16,"parallel_cells":1}}
                    """
            ).code
        }

        func call(_ method: String = "GET", _ path: String, body: String? = nil) -> (code: Int, json: JSONValue?) {
            guard let response = LoopbackHTTP.request(
                port: port, method: method, path: path, headers: ["Authorization": "Bearer \(key)"], body: body)
            else { return (0, nil) }
            return (response.code, try? WireCoding.decodeTree(from: Array(response.body.utf8)))
        }
    }

    /// A development key: `pbk_`, 12 and 43 base62 characters.
    static func developmentKey() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> String { String((0..<count).map { _ in alphabet[Int.random(in: 0..<62, using: &generator)] }) }
        return "pbk_\(random(12))_\(random(43))"
    }

    /// A relay on `brokerPort`, over `mqtt://` unless `broker` names another URL (with `arguments` for its TLS
    /// files).
    static func startRelay(
        brokerPort: Int, broker: String? = nil, arguments: [String] = [], directory existing: TemporaryDirectory? = nil
    ) async throws -> Relay {
        let directory = try existing ?? TemporaryDirectory("relay")
        let key = developmentKey()
        for _ in 0..<5 {
            let port = try FreePort.find()
            let process = try ChildProcess(
                relayBinary,
                ["--port", String(port), "--mqtt", broker ?? "mqtt://127.0.0.1:\(brokerPort)", "--data-dir", directory.file("data").path,
                 "--dev-token", key, "--mqtt-client-id", "relay-e2e", "--rate-limit", "100000"] + arguments,
                outputFile: directory.file("relay.log").path)
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning, ContinuousClock.now < deadline {
                if LoopbackHTTP.request(port: port, path: "/api/v1/health")?.code == 200 {
                    return Relay(process: process, port: port, key: key, directory: directory)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            await process.terminate(signal: SIGKILL)
        }
        throw TestSupportError.didNotStart("pulsebms-relay")
    }

    @Test func agentDataIsServedDuplicatesChangeNothingAndCommandsRoundTrip() async throws {
        try await MosquittoBroker.withRunning { broker in
            let relay = try await Self.startRelay(brokerPort: broker.port)
            let (simulator, directory, config) = try await StoreAndForwardTests.site(brokerPort: broker.port)
            let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)

            // Packs are registered from their status descriptors, and their telemetry is served.
            try await eventually("the agent's packs registered and reporting", seconds: 30) {
                let list = relay.call("GET", "/api/v1/devices?site_id=site_e2e")
                let ids = list.json?["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue }.sorted() ?? []
                guard ids == Self.devices else { return false }
                return Self.devices.allSatisfy { relay.call("GET", "/api/v1/devices/\($0)").json?["current_status"]?["status"]?.stringValue == "online" }
            }
            try await eventually("raw telemetry for every pack", seconds: 30) {
                Self.devices.allSatisfy { (relay.call("GET", "/api/v1/telemetry/\($0)?resolution=raw").json?["data_points"]?.numberValue ?? 0) >= 20 }
            }
            let health = relay.call("GET", "/api/v1/health")
            #expect(health.json?["status"]?.stringValue == "healthy")
            #expect((health.json?["metrics"]?["active_devices"]?.numberValue ?? 0) == 3)
            #expect((health.json?["metrics"]?["messages_per_second"]?.numberValue ?? 0) > 0)

            // A command goes down through the broker; the agent's responses bring it to completed.
            let accepted = relay.call("POST", "/api/v1/commands/pack_nmc", body: #"{"command_type": "request_status", "timeout_seconds": 30}"#)
            #expect(accepted.code == 202)
            let commandID = try #require(accepted.json?["command_id"]?.stringValue)
            try await eventually("the command completed on the agent", seconds: 20) {
                relay.call("GET", "/api/v1/commands/pack_nmc/\(commandID)").json?["status"]?.stringValue == "completed"
            }

            // A power allocation (0 W, harmless to the packs) goes down through the broker and the relay records
            // it (at once, and again idempotently from its own subscription); the fleet status carries
            // optimization while it is in force.
            let allocation = """
                {"schema_version": "1.0", "timestamp": "\(Timestamp(Date()).rfc3339)", "allocation_id": "alloc_e2e",
                 "demand": {"total_power_target": 0, "duration_minutes": 5, "flexibility": 0, "priority": "normal"},
                 "allocation": {"optimization_method": "water_filling_qp", "total_allocated": 0, "efficiency_score": 0.9,
                                "devices": [{"device_id": "pack_lfp", "allocated_power": 0, "confidence": 1, "constraints_active": []}]},
                 "forecasts": {"degradation_impact": {}, "efficiency_prediction": 0.9, "completion_probability": 1}}
                """
            let forwarded = relay.call("POST", "/api/v1/fleet/site_e2e/allocation", body: allocation)
            #expect(forwarded.code == 202, "\(String(describing: forwarded.json))")
            try await eventually("the fleet status shows the allocation", seconds: 20) {
                relay.call("GET", "/api/v1/fleet/site_e2e").json?["optimization"]?["active_policy"]?.stringValue == "water_filling_qp"
            }

            // Stop the agent. Its clean goodbye (offline statuses) comes after its last sample on the same
            // connection, so once the relay shows the packs offline it has stored everything the agent sent.
            await agent.terminate()
            try await eventually("the packs offline after the agent's goodbye", seconds: 20) {
                Self.devices.allSatisfy { relay.call("GET", "/api/v1/devices/\($0)").json?["current_status"]?["status"]?.stringValue == "offline" }
            }
            let now = Timestamp(Date())
            let range = "start_time=\(now.adding(milliseconds: -3_600_000).rfc3339)&end_time=\(now.adding(milliseconds: 3_600_000).rfc3339)"
            let before = Self.devices.map { relay.call("GET", "/api/v1/telemetry/\($0)?resolution=raw&\(range)").json }

            // Replay duplicates: the same (device, sequence number) with other values must change nothing.
            let replayer = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: broker.port, clientID: "replayer"))
            replayer.start()
            try await replayer.waitUntilConnected()
            for (index, device) in Self.devices.enumerated() {
                let points = before[index]?["data_points"]?.numberValue ?? 0
                #expect(points > 0)
                for sequence in 1...UInt64(max(1, min(points, 50))) {
                    let message = TelemetryMessage(
                        timestamp: Timestamp(Date()), sequenceNumber: sequence,
                        deviceInfo: DeviceInfo(deviceID: device, siteID: "site_e2e"),
                        measurements: Measurements(pack: PackMeasurements(
                            voltage: 999, current: 999, power: 999, temperature: 99, soc: 1, soh: 1)),
                        status: RuntimeStatus(operationalState: .idle, communicationQuality: 1, uptimeSeconds: 1), alarms: .none)
                    try await replayer.publish(
                        "pulsebms/site_e2e/\(device)/telemetry", payload: Array(try WireCoding.encode(message)), qos: .atLeastOnce)
                }
            }
            // A sentinel after the duplicates on the same connection: once it is registered, they were processed.
            let sentinel = DeviceStatusMessage(
                timestamp: Timestamp(Date()), status: .online,
                descriptor: DeviceRegistration(
                    deviceID: "pack_sentinel", siteID: "site_e2e", name: "Sentinel", chemistry: .lfp,
                    specifications: DeviceSpecifications(nominalCapacityAmpHours: 10, nominalVoltageVolts: 12.8, seriesCells: 4, parallelCells: 1)))
            try await replayer.publish(
                "pulsebms/site_e2e/pack_sentinel/status", payload: Array(try WireCoding.encode(sentinel)), qos: .atLeastOnce)
            try await eventually("the sentinel registered", seconds: 10) { relay.call("GET", "/api/v1/devices/pack_sentinel").code == 200 }
            await replayer.stop()
            for (index, device) in Self.devices.enumerated() {
                let after = relay.call("GET", "/api/v1/telemetry/\(device)?resolution=raw&\(range)").json
                #expect(after == before[index], "\(device)")
                #expect(after?["statistics"]?["voltage"]?["max"]?.numberValue != 999)
            }

            // Schemathesis: every response conforms to the served document; no 5xx.
            let script = StoreAndForwardTests.root.appendingPathComponent("Tests/IntegrationTests/Peers/run_schemathesis.sh").path
            let log = relay.directory.file("schemathesis.log").path
            let schemathesis = try ChildProcess(
                "/bin/bash", [script, "http://127.0.0.1:\(relay.port)", relay.key], outputFile: log)
            await schemathesis.waitForExit()
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(schemathesis.exitCode == 0, "schemathesis failed:\n\(output.suffix(6000))")

            await relay.process.terminate()
            await simulator.stop()
            directory.remove()
            relay.directory.remove()
        }
    }
}
