import BMSCore
import Foundation
import PulseMQTT
import Synchronization
import Testing
import TestSupport

/// The libmosquitto client against a real mosquitto started on a free loopback port.
@Suite("MQTT round trip", .serialized)
struct MQTTRoundTripTests {
    static let site = TopicIdentifierFixture.site
    static let device = TopicIdentifierFixture.device

    @Test func telemetryTravelsThroughTheBrokerAndDecodes() async throws {
        try await MosquittoBroker.withRunning { broker in
            let subscriber = try client(broker, "subscriber-\(UUID().uuidString.prefix(6))")
            let publisher = try client(broker, "publisher-\(UUID().uuidString.prefix(6))")
            subscriber.start()
            publisher.start()
            try await subscriber.waitUntilConnected()
            try await publisher.waitUntilConnected()
            try await subscriber.subscribe(TopicFilter.devices(.telemetry, site: Self.site).rawValue)

            let sent = Self.telemetry(sequenceNumber: 12345)
            let topic = MQTTTopic.device(site: Self.site, device: Self.device, .telemetry)
            try await publisher.publish(topic.path, payload: Array(try WireCoding.encode(sent)), qos: .atLeastOnce)

            let received = try #require(try await withTimeout(.seconds(10)) { await firstMessage(subscriber) })
            #expect(try MQTTTopic(parsing: received.topic) == topic)
            #expect(received.qos == .atLeastOnce)
            #expect(try WireCoding.decode(TelemetryMessage.self, from: received.payload) == sent)

            await publisher.stop()
            await subscriber.stop()
        }
    }

    /// A subscriber that goes away with a persistent session gets, on return, what was published meanwhile.
    @Test func persistentSessionKeepsMessagesWhileTheSubscriberIsAway() async throws {
        try await MosquittoBroker.withRunning { broker in
            let subscriberID = "relay-\(UUID().uuidString.prefix(6))"
            let filter = TopicFilter.devices(.telemetry).rawValue

            let first = try client(broker, subscriberID)
            first.start()
            try await first.waitUntilConnected()
            try await first.subscribe(filter)
            await first.stop()

            let publisher = try client(broker, "agent-\(UUID().uuidString.prefix(6))")
            publisher.start()
            try await publisher.waitUntilConnected()
            let topic = MQTTTopic.device(site: Self.site, device: Self.device, .telemetry).path
            for sequence in 1...50 {
                try await publisher.publish(topic, payload: Array(try WireCoding.encode(Self.telemetry(sequenceNumber: UInt64(sequence)))))
            }
            await publisher.stop()

            let second = try client(broker, subscriberID)
            second.start()
            try await second.waitUntilConnected()
            var events = second.connectionEvents.makeAsyncIterator()
            #expect(await events.next() == .connected(sessionPresent: true))
            let sequences = try #require(try await withTimeout(.seconds(10)) { await sequenceNumbers(second, count: 50) })
            #expect(sequences == Array(1...50))
            await second.stop()
        }
    }

    /// Many publishes in flight at once: every PUBACK reaches its own caller (some arrive before libmosquitto
    /// has even returned the message id).
    @Test func concurrentPublishesAllCompleteAndAllArrive() async throws {
        try await MosquittoBroker.withRunning { broker in
            let subscriber = try client(broker, "sub-\(UUID().uuidString.prefix(6))")
            let publisher = try await telemetryPublisher(broker, to: subscriber)

            let count = 2000
            try await publishAtOnce(count, from: publisher)
            let sequences = try #require(try await withTimeout(.seconds(20)) { await sequenceNumbers(subscriber, count: count) })
            #expect(Set(sequences) == Set(1...count))
            await publisher.stop()
            await subscriber.stop()
        }
    }

    /// A reader far behind loses nothing, and the client's buffer stays bounded: past `incomingBufferLimit`
    /// unread messages the client stops reading from the broker (which keeps the rest in the session, TCP
    /// holding back what was in flight), and reads again as the reader catches up. (It used to drop what did
    /// not fit — after acknowledging it to the broker, so those messages were gone.)
    @Test func aReaderFarBehindLosesNothingAndTheBufferStaysBounded() async throws {
        try await MosquittoBroker.withRunning { broker in
            let limit = 50
            let subscriber = try MosquittoClient(
                options: MQTTClientOptions(port: broker.port, clientID: "slow-\(UUID().uuidString.prefix(6))", incomingBufferLimit: limit))
            let publisher = try await telemetryPublisher(broker, to: subscriber)

            // 2,000 messages, all acknowledged by the broker, while the reader takes none.
            let count = 2000
            try await publishAtOnce(count, from: publisher)
            try await eventually("reading paused", seconds: 10) { subscriber.isReadingPaused }
            #expect(subscriber.undeliveredMessages >= limit && subscriber.undeliveredMessages <= limit + 5)

            let sequences = try #require(try await withTimeout(.seconds(30)) { await sequenceNumbers(subscriber, count: count) })
            #expect(Set(sequences) == Set(1...count))
            #expect(!subscriber.isReadingPaused)
            #expect(subscriber.undeliveredMessages == 0)
            await publisher.stop()
            await subscriber.stop()
        }
    }

    @Test func publishingWithoutABrokerFailsAtOnceAsTransient() async throws {
        let port = try FreePort.find()
        let lonely = try MosquittoClient(
            options: MQTTClientOptions(port: port, clientID: "lonely-\(UUID().uuidString.prefix(6))"))
        lonely.start()
        await #expect(throws: MQTTError.notConnected) {
            try await lonely.publish("pulsebms/site_001/p/telemetry", payload: [1], qos: .atLeastOnce)
        }
        #expect(MQTTError.notConnected.isTransient)
        await lonely.stop()
        await #expect(throws: MQTTError.stopped) { try await lonely.waitUntilConnected() }
    }

    @Test func reconnectsAfterTheBrokerRestarts() async throws {
        try await MosquittoBroker.withRunning(persistence: true) { broker in
            let agent = try client(broker, "agent-\(UUID().uuidString.prefix(6))")
            agent.start()
            try await agent.waitUntilConnected()
            var events = agent.connectionEvents.makeAsyncIterator()
            #expect(await events.next() == .connected(sessionPresent: false))
            await broker.stop()
            guard case .disconnected = await events.next() else {
                Issue.record("no disconnect event")
                return
            }
            try await broker.restart()
            #expect(await events.next() == .connected(sessionPresent: true))
            let topic = MQTTTopic.device(site: Self.site, device: Self.device, .status).path
            try await agent.publish(topic, payload: Array("{}".utf8), qos: .atLeastOnce, retain: true)
            await agent.stop()
        }
    }

    // MARK: - Helpers

    private func client(_ broker: MosquittoBroker, _ clientID: String) throws -> MosquittoClient {
        try MosquittoClient(
            options: MQTTClientOptions(
                port: broker.port, clientID: clientID, initialReconnectDelay: .milliseconds(20),
                maximumReconnectDelay: .milliseconds(200)))
    }

    /// Starts `subscriber` on every device's telemetry, and a publisher; returns the publisher once both are
    /// connected and the subscription is in place.
    private func telemetryPublisher(_ broker: MosquittoBroker, to subscriber: MosquittoClient) async throws -> MosquittoClient {
        let publisher = try client(broker, "pub-\(UUID().uuidString.prefix(6))")
        subscriber.start()
        publisher.start()
        try await subscriber.waitUntilConnected()
        try await publisher.waitUntilConnected()
        try await subscriber.subscribe(TopicFilter.devices(.telemetry).rawValue)
        return publisher
    }

    /// Telemetry with sequence numbers 1...count, all published at once; returns when the broker has
    /// acknowledged every one.
    private func publishAtOnce(_ count: Int, from publisher: MosquittoClient) async throws {
        let topic = MQTTTopic.device(site: Self.site, device: Self.device, .telemetry).path
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sequence in 1...count {
                group.addTask {
                    try await publisher.publish(
                        topic, payload: Array(try WireCoding.encode(Self.telemetry(sequenceNumber: UInt64(sequence)))))
                }
            }
            try await group.waitForAll()
        }
    }

    private func firstMessage(_ client: MosquittoClient) async -> MQTTMessage? {
        for await message in client.messages { return message }
        return nil
    }

    private func sequenceNumbers(_ client: MosquittoClient, count: Int) async -> [Int] {
        var sequences: [Int] = []
        for await message in client.messages {
            if let telemetry = try? WireCoding.decode(TelemetryMessage.self, from: message.payload) {
                sequences.append(Int(telemetry.sequenceNumber))
            }
            if sequences.count == count { break }
        }
        return sequences
    }

    static func telemetry(sequenceNumber: UInt64) -> TelemetryMessage {
        TelemetryMessage(
            timestamp: Timestamp(millisecondsSinceEpoch: 1_705_329_015_123 + Int64(sequenceNumber)),
            sequenceNumber: sequenceNumber,
            deviceInfo: DeviceInfo(deviceID: device.rawValue, siteID: site.rawValue, firmwareVersion: "1.2.3"),
            measurements: Measurements(
                pack: PackMeasurements(voltage: 400.5, current: -25.3, power: -10126.5, temperature: 23.7, soc: 67.5, soh: 87.2),
                cells: CellMeasurements(count: 3, voltages: [3.45, 3.46, 3.44], temperatures: [23.1, 23.9, 22.8], balancingStatus: [0, 1, 0])),
            status: RuntimeStatus(operationalState: .charging, communicationQuality: 0.98, uptimeSeconds: 86400),
            alarms: .none)
    }
}

enum TopicIdentifierFixture {
    static let site = identifier("site_001")
    static let device = identifier("battery_pack_001")

    private static func identifier(_ text: String) -> TopicIdentifier {
        do {
            return try TopicIdentifier(text)
        } catch {
            preconditionFailure("fixture id \(text) is invalid: \(error)")
        }
    }
}
