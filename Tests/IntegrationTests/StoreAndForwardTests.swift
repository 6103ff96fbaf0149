import BMSCore
import Foundation
import PulseMQTT
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The whole edge path with real processes: pulsebms-sim → pulsebms-agent → mosquitto → a subscriber.
/// The broker is stopped and restarted, and the agent is SIGKILLed and restarted; every sequence number from
/// the first to the last still arrives at least once.
@Suite("Store and forward", .serialized)
struct StoreAndForwardTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let agentBinary = root.appendingPathComponent(".build/debug/pulsebms-agent").path
    static let devices = ["pack_lfp", "pack_nmc", "pack_map"]

    @Test func nothingIsLostAcrossABrokerOutageAndAnAgentCrash() async throws {
        try await MosquittoBroker.withRunning(persistence: true) { broker in
            let (simulator, directory, config) = try await Self.site(brokerPort: broker.port)
            defer { directory.remove() }

            let received = Received()
            let subscriber = try MosquittoClient(
                options: MQTTClientOptions(
                    port: broker.port, clientID: "test-relay-\(UUID().uuidString.prefix(6))",
                    initialReconnectDelay: .milliseconds(50), maximumReconnectDelay: .milliseconds(200)))
            subscriber.start()
            try await subscriber.waitUntilConnected()
            try await subscriber.subscribe("pulsebms/#")
            let collecting = Task {
                for await message in subscriber.messages { received.add(message) }
            }

            var agent = try Self.startAgent(config: config, in: directory)

            try await received.waitUntil(seconds: 20) { $0.everyDevice(Self.devices, atLeast: 5) }
            // Broker outage: the agent keeps polling and buffering.
            await broker.stop()
            let beforeOutage = received.maximum
            try await Task.sleep(for: .seconds(30))  // the outage itself (30 s), not a synchronisation
            try await broker.restart()
            try await received.waitUntil(seconds: 30) { $0.everyDevice(Self.devices, beyond: beforeOutage, by: 10) }

            // Agent crash: SIGKILL, then start it again on the same state directory.
            await agent.terminate(signal: SIGKILL)
            let beforeCrash = received.maximum
            agent = try Self.startAgent(config: config, in: directory)
            try await received.waitUntil(seconds: 30) { $0.everyDevice(Self.devices, beyond: beforeCrash, by: 10) }

            // Every sequence number from 1 to the newest arrives, replayed ones included.
            try await received.waitUntil(seconds: 30) { $0.gapless(Self.devices) }
            let summary = received.summary(Self.devices)
            #expect(received.gapless(Self.devices), "\(summary)")
            #expect(received.historicalCount > 0, "the outage must have been replayed as historical")
            // The agent's health report (every second here) arrives too.
            try await received.waitUntil(seconds: 10) { $0.topicKinds.contains("system_health") }
            // Every message on every topic decoded into its BMSCore type.
            #expect(received.undecodable == [], "\(received.undecodable)")
            #expect(received.topicKinds.isSuperset(of: ["telemetry", "status", "coordinator_status", "system_health"]))

            await agent.terminate()
            collecting.cancel()
            await subscriber.stop()
            await simulator.stop()
            let log = (try? String(contentsOf: directory.file("agent.log"), encoding: .utf8)) ?? ""
            #expect(!log.contains("Fatal error"), "\(log.suffix(2000))")
        }
    }

    /// Birth statuses with descriptors on connect; the Will marks the agent offline when it is killed; a clean
    /// stop marks everything offline itself. All retained, so a late subscriber sees the last word.
    @Test func birthWillAndCleanStopStatuses() async throws {
        try await MosquittoBroker.withRunning { broker in
            let (simulator, directory, config) = try await Self.site(brokerPort: broker.port)
            defer { directory.remove() }
            let statuses = Statuses()
            let watcher = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "watch-\(UUID().uuidString.prefix(6))"))
            watcher.start()
            try await watcher.waitUntilConnected()
            try await watcher.subscribe(TopicFilter.devices(.status).rawValue)  // also matches coordinator/status
            let collecting = Task {
                for await message in watcher.messages { statuses.add(message) }
            }

            var agent = try Self.startAgent(config: config, in: directory)
            try await statuses.waitUntil(seconds: 20) { $0.agent == .online && $0.devices(Self.devices, are: .online) }
            let descriptor = try #require(statuses.device("pack_nmc"))
            #expect(descriptor.descriptor.chemistry == .nmc)
            #expect(descriptor.descriptor.specifications.seriesCells == 14)
            #expect(descriptor.descriptor.siteID == "site_e2e")

            await agent.terminate(signal: SIGKILL)
            try await statuses.waitUntil(seconds: 20) { $0.agent == .offline }  // the Will

            agent = try Self.startAgent(config: config, in: directory)
            try await statuses.waitUntil(seconds: 20) { $0.agent == .online }
            await agent.terminate()  // SIGTERM: a clean goodbye
            try await statuses.waitUntil(seconds: 20) { $0.agent == .offline && $0.devices(Self.devices, are: .offline) }

            // Retained: a subscriber arriving now still learns the last word.
            let late = Statuses()
            let lateClient = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "late-\(UUID().uuidString.prefix(6))", cleanStart: true))
            lateClient.start()
            try await lateClient.waitUntilConnected()
            try await lateClient.subscribe(TopicFilter.devices(.status).rawValue)
            let lateCollecting = Task { for await message in lateClient.messages { late.add(message) } }
            try await late.waitUntil(seconds: 10) { $0.agent == .offline && $0.devices(Self.devices, are: .offline) }

            lateCollecting.cancel()
            collecting.cancel()
            await lateClient.stop()
            await watcher.stop()
            await simulator.stop()
        }
    }

    /// `pulsebms-agent run` on `config`, state and log in `directory`.
    static func startAgent(config: URL, in directory: TemporaryDirectory) throws -> ChildProcess {
        try ChildProcess(
            agentBinary, ["run", "--config", config.path, "--state-dir", directory.path], outputFile: directory.file("agent.log").path)
    }

    /// The three-pack simulator and an agent configuration for it, in a fresh directory.
    static func site(brokerPort: Int) async throws -> (SimulatorProcess, TemporaryDirectory, URL) {
        let mapPath = root.appendingPathComponent("Sources/EdgeAgent/RegisterMaps/generic-lfp-16s.yaml").path
        let simulator = try await SimulatorProcess.start(
            packs: [
                "unit=1,chemistry=LFP,cells=16,capacity=280,soc=60", "unit=2,chemistry=NMC,cells=14,capacity=56,soc=70",
                "unit=3,chemistry=LFP,cells=16,capacity=100,soc=45,map=\(mapPath)",
            ], packageRoot: root)
        let directory = try TemporaryDirectory("agent")
        let config = directory.file("agent.yaml")
        try configuration(simulatorPort: simulator.port, brokerPort: brokerPort, mapPath: mapPath)
            .write(to: config, atomically: true, encoding: .utf8)
        return (simulator, directory, config)
    }

    static func configuration(simulatorPort: Int, brokerPort: Int, mapPath: String) -> String {
        """
        site_id: site_e2e
        health_interval_seconds: 1
        mqtt: { host: 127.0.0.1, port: \(brokerPort), client_id: agent-e2e }
        buses:
          - id: sim
            modbus_tcp: { host: 127.0.0.1, port: \(simulatorPort) }
            response_timeout_ms: 300
        devices:
          - { device_id: pack_lfp, name: LFP, chemistry: LFP, bus: sim, unit_id: 1, profile: sunspec, poll_interval_ms: 100,
              specifications: { nominal_capacity: 280, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
          - { device_id: pack_nmc, name: NMC, chemistry: NMC, bus: sim, unit_id: 2, profile: sunspec, poll_interval_ms: 100,
              specifications: { nominal_capacity: 56, nominal_voltage: 51.8, series_cells: 14, parallel_cells: 1 } }
          - { device_id: pack_map, name: Map, chemistry: LFP, bus: sim, unit_id: 3, profile: register_map, poll_interval_ms: 100,
              register_map: \(mapPath),
              specifications: { nominal_capacity: 100, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
        """
    }
}

/// Sequence numbers received per device, and every message that did not decode into its type.
final class Received: Sendable {
    private let state = Mutex<([String: Set<UInt64>], Int, [String], Set<String>)>(([:], 0, [], []))

    func add(_ message: MQTTMessage) {
        let kind: String
        let decodes: Bool
        switch try? MQTTTopic(parsing: message.topic) {
        case .device(_, _, .telemetry)?:
            kind = "telemetry"
            if let telemetry = try? WireCoding.decode(TelemetryMessage.self, from: message.payload) {
                add(telemetry)
                decodes = true
            } else {
                decodes = false
            }
        case .device(_, _, .status)?:
            kind = "status"
            decodes = (try? WireCoding.decode(DeviceStatusMessage.self, from: message.payload)) != nil
        case .device(_, _, .responses)?:
            kind = "responses"
            decodes = (try? WireCoding.decode(CommandResponseMessage.self, from: message.payload)) != nil
        case .coordinator(_, .status)?:
            kind = "coordinator_status"
            decodes = (try? WireCoding.decode(AgentStatusMessage.self, from: message.payload)) != nil
        case .system(.health)?:
            kind = "system_health"
            decodes = (try? WireCoding.decode(SystemHealthMessage.self, from: message.payload)) != nil
        default:
            kind = "other"
            decodes = false
        }
        state.withLock {
            $0.3.insert(kind)
            if !decodes { $0.2.append(message.topic) }
        }
    }

    func add(_ message: TelemetryMessage) {
        state.withLock {
            $0.0[message.deviceInfo.deviceID, default: []].insert(message.sequenceNumber)
            if message.isHistorical == true { $0.1 += 1 }
        }
    }

    var undecodable: [String] { state.withLock { $0.2 } }
    var topicKinds: Set<String> { state.withLock { $0.3 } }

    var maximum: [String: UInt64] { state.withLock { $0.0.mapValues { $0.max() ?? 0 } } }
    var historicalCount: Int { state.withLock { $0.1 } }

    func everyDevice(_ devices: [String], atLeast count: Int) -> Bool {
        state.withLock { state in devices.allSatisfy { (state.0[$0]?.count ?? 0) >= count } }
    }

    func everyDevice(_ devices: [String], beyond previous: [String: UInt64], by margin: UInt64) -> Bool {
        let now = maximum
        return devices.allSatisfy { (now[$0] ?? 0) >= (previous[$0] ?? 0) + margin }
    }

    func gapless(_ devices: [String]) -> Bool {
        state.withLock { state in
            devices.allSatisfy { device in
                guard let numbers = state.0[device], let top = numbers.max() else { return false }
                return numbers.count == Int(top) && numbers.min() == 1
            }
        }
    }

    func summary(_ devices: [String]) -> String {
        state.withLock { state in
            devices.map { device in
                let numbers = state.0[device] ?? []
                let top = numbers.max() ?? 0
                let missing = top == 0 ? [] : (1...top).filter { !numbers.contains($0) }
                return "\(device): \(numbers.count) of 1…\(top), missing \(missing.prefix(20))"
            }.joined(separator: "; ")
        }
    }

    /// Waits for `condition` as messages arrive; fails after `seconds` with what was received.
    func waitUntil(seconds: Double, _ condition: (Received) -> Bool) async throws {
        try await eventually("\(summary(StoreAndForwardTests.devices))", seconds: seconds) { condition(self) }
    }
}

/// The latest status per topic.
final class Statuses: Sendable {
    private let state = Mutex<(AgentLinkStatus?, [String: DeviceStatusMessage])>((nil, [:]))

    func add(_ message: MQTTMessage) {
        guard let topic = try? MQTTTopic(parsing: message.topic) else { return }
        switch topic {
        case .coordinator(_, .status):
            if let status = try? WireCoding.decode(AgentStatusMessage.self, from: message.payload) {
                state.withLock { $0.0 = status.status }
            }
        case .device(_, let device, .status):
            if let status = try? WireCoding.decode(DeviceStatusMessage.self, from: message.payload) {
                state.withLock { $0.1[device.rawValue] = status }
            }
        default:
            break
        }
    }

    var agent: AgentLinkStatus? { state.withLock { $0.0 } }
    func device(_ id: String) -> DeviceStatusMessage? { state.withLock { $0.1[id] } }

    func devices(_ ids: [String], are status: DeviceStatus) -> Bool {
        state.withLock { state in ids.allSatisfy { state.1[$0]?.status == status } }
    }

    func waitUntil(seconds: Double, _ condition: (Statuses) -> Bool) async throws {
        try await eventually("status condition", seconds: seconds) { condition(self) }
    }
}
