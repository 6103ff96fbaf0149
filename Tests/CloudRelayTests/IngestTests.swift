import BMSCore
import Foundation
import Logging
import PulseMQTT
import Testing
import TestSupport

@testable import CloudRelay

/// The relay's MQTT ingest against a real broker, and its housekeeping against a real store.
@Suite("Relay ingest and upkeep", .serialized)
struct IngestTests {
    static func ingest(port: Int, store: SQLiteRelayStore, clientID: String, group: String?) throws -> IngestService {
        let logger = Logger(label: "test")
        let client = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: port, clientID: clientID), logger: logger)
        return IngestService(client: client, store: store, metrics: RequestMetrics(), logger: logger, shareGroup: group, offlineAfter: .seconds(300))
    }

    /// Two relays in one shared-subscription group split the messages: each stores some, none is stored twice,
    /// none is lost; malformed payloads are counted, not stored.
    @Test func sharedSubscriptionSplitsTheIngest() async throws {
        try await MosquittoBroker.withRunning { broker in
            let first = try StoreFixture()
            let second = try StoreFixture()
            defer {
                first.remove()
                second.remove()
            }
            let relays = [
                try Self.ingest(port: broker.port, store: first.store, clientID: "relay-a", group: "relays"),
                try Self.ingest(port: broker.port, store: second.store, clientID: "relay-b", group: "relays"),
            ]
            let tasks = relays.map { relay in Task { try await relay.run() } }
            let publisher = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: broker.port, clientID: "site"))
            publisher.start()
            try await publisher.waitUntilConnected()
            // Both relays are subscribed once a probe reaches each (the broker then shares round-robin).
            var probe: UInt64 = 1_000_000
            try await eventuallyAsync("both relays subscribed", seconds: 10) {
                probe += 1
                let message = StorageSamples.telemetry("probe", sequence: probe, at: Timestamp(Date()))
                try await publisher.publish("pulsebms/site_001/probe/telemetry", payload: Array(try WireCoding.encode(message)))
                return relays.allSatisfy { $0.snapshot.stored > 0 }
            }
            let count = 400
            for sequence in 1...count {
                let message = StorageSamples.telemetry("pack_001", sequence: UInt64(sequence), at: StorageSamples.at(seconds: Int64(sequence)))
                try await publisher.publish("pulsebms/site_001/pack_001/telemetry", payload: Array(try WireCoding.encode(message)))
            }
            try await publisher.publish("pulsebms/site_001/pack_001/telemetry", payload: Array("{not json".utf8))
            func stored() -> [Int] {
                [first.store, second.store].map {
                    (try? $0.telemetry(
                        deviceID: "pack_001", from: StorageSamples.at(seconds: 0), to: StorageSamples.at(seconds: Int64(count + 1)),
                        resolution: .raw, metrics: [.voltage]).timestamps.count) ?? 0
                }
            }
            try await eventually("every message stored once", seconds: 20) {
                stored().reduce(0, +) == count && relays.map(\.snapshot.malformed).reduce(0, +) == 1
            }
            let split = stored()
            #expect(split.reduce(0, +) == count)
            #expect(split.allSatisfy { $0 > 0 }, "\(split)")
            for task in tasks { task.cancel() }
            for relay in relays { await relay.client.stop() }
            await publisher.stop()
        }
    }

    /// Alarm transitions in ingested telemetry become alerts: raised, escalated under the same id, resolved.
    @Test func alarmsBecomeAlertsAndResolve() async throws {
        try await MosquittoBroker.withRunning { broker in
            let fixture = try StoreFixture()
            defer { fixture.remove() }
            let relay = try Self.ingest(port: broker.port, store: fixture.store, clientID: "relay-alerts", group: nil)
            let task = Task { try await relay.run() }
            let watcher = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: broker.port, clientID: "watcher"))
            watcher.start()
            try await watcher.waitUntilConnected()
            try await watcher.subscribe("pulsebms/site_001/fleet/alerts")
            let warm = AlarmDetail(code: "TEMP_001", severity: .warning, message: "46 °C", data: ["value": 46])
            let hot = AlarmDetail(code: "TEMP_001", severity: .critical, message: "61 °C", data: ["value": 61])
            var sequence: UInt64 = 0
            func send(_ details: [AlarmDetail]) async throws {
                sequence += 1
                let message = StorageSamples.telemetry(
                    "pack_001", sequence: sequence, at: StorageSamples.at(seconds: Int64(sequence)), alarms: StorageSamples.alarms(details))
                try await watcher.publish("pulsebms/site_001/pack_001/telemetry", payload: Array(try WireCoding.encode(message)))
            }
            try await eventuallyAsync("the relay subscribed", seconds: 10) {
                try await send([])
                return relay.snapshot.stored > 0
            }
            try await send([warm])
            try await send([hot])
            var published: [Alert] = []
            for await message in watcher.messages {
                if case .alert(let alert)? = try? WireCoding.decode(WebSocketServerMessage.self, from: message.payload) { published.append(alert) }
                if published.count == 2 { break }
            }
            #expect(published.map(\.severity) == [.warning, .critical])
            #expect(Set(published.map(\.alertID)).count == 1)
            #expect(published.last?.actions.map(\.actionID).contains("emergency_shutdown") == true)
            try await send([])
            try await eventually("the alert resolved", seconds: 10) {
                (try? fixture.store.alerts(AlertFilter(status: .resolved)).items.count) == 1
            }
            task.cancel()
            await relay.client.stop()
            await watcher.stop()
        }
    }

    @Test func upkeepTimesOutCommandsAndPrunes() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        _ = try store.ingest((0..<120).map { StorageSamples.synthetic("pack_001", second: $0) }, receivedAt: StorageSamples.start)
        let command = CommandMessage(
            commandID: "cmd_1", timestamp: StorageSamples.start, source: "test",
            command: CommandBody(type: .requestStatus, priority: .normal, timeoutSeconds: 30),
            safetyChecks: SafetyChecks(required: true, constraints: CommandConstraints()))
        _ = try store.insertCommand(command, deviceID: "pack_001", siteID: "site_001")
        let upkeep = UpkeepService(
            store: store, retention: RetentionPolicy(raw: .seconds(60), minute: .seconds(86_400), hour: .seconds(86_400), day: .seconds(86_400)),
            interval: .seconds(60), logger: Logger(label: "test"))
        await upkeep.round(now: StorageSamples.at(seconds: 120))
        #expect(try store.command(id: "cmd_1")?.status == .timeout)
        let raw = try store.telemetry(
            deviceID: "pack_001", from: StorageSamples.start, to: StorageSamples.at(seconds: 200), resolution: .raw, metrics: [.voltage])
        #expect(raw.timestamps.count == 60)  // the first minute is older than the raw retention
        let minutes = try store.telemetry(
            deviceID: "pack_001", from: StorageSamples.start, to: StorageSamples.at(seconds: 200), resolution: .minute, metrics: [.voltage])
        #expect(minutes.timestamps.count == 2)  // rollups are kept longer
    }
}
