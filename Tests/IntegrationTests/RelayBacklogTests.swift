import BMSCore
import Foundation
import PulseMQTT
import Testing
import TestSupport

/// What sites publish while the relay is down waits in the relay's broker session, and all of it is stored
/// when the relay comes back — even a backlog far larger than the relay holds in hand (its MQTT client stops
/// reading while its store is behind, instead of dropping what it had already acknowledged). Alarms in the
/// backlog make the relay publish alerts and wait for their acknowledgement while its client is paused: the
/// client keeps reading for them, or the relay would wait forever.
@Suite("Relay backlog after an outage")
struct RelayBacklogTests {
    @Test func aBacklogLargerThanTheRelayHoldsIsStoredComplete() async throws {
        try await MosquittoBroker.withRunning { broker in
            let devices = ["pack_b1", "pack_b2"]
            let perDevice = 6_000  // 12,000 in all; the relay holds at most 7,000 received and not yet stored
            let first = try await RelayEndToEndTests.startRelay(brokerPort: broker.port)
            defer { first.directory.remove() }
            for device in devices { #expect(first.register(device, site: "site_backlog") == 201) }
            try await eventually("the relay subscribed", seconds: 10) {
                first.call("GET", "/api/v1/health").json?["services"]?["mqtt"]?.stringValue == "healthy"
            }
            // Subscribed once: the broker now keeps the relay's session while it is down.
            await first.process.terminate()

            let site = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "site-backlog"))
            site.start()
            try await site.waitUntilConnected()
            let start = Timestamp(Date()).adding(milliseconds: -Int64(perDevice) * 10 - 60_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                var inFlight = 0
                for index in 1...perDevice {
                    for device in devices {
                        if inFlight >= 200 {
                            try await group.next()
                            inFlight -= 1
                        }
                        var sample = MQTTRoundTripTests.telemetry(sequenceNumber: UInt64(index))
                        sample.timestamp = start.adding(milliseconds: Int64(index) * 10)
                        if index % 250 == 0 {
                            // Raised here, resolved by the next sample: an alert to publish each time.
                            sample.alarms = AlarmSummary(
                                activeCount: 1, flags: ["over_temperature"],
                                details: [AlarmDetail(code: "TEMP_001", severity: .warning, message: "Cell temperature high", data: [:])])
                        }
                        sample.deviceInfo = DeviceInfo(deviceID: device, siteID: "site_backlog", firmwareVersion: "1.0.0")
                        let payload = Array(try WireCoding.encode(sample))
                        group.addTask {
                            try await site.publish("pulsebms/site_backlog/\(device)/telemetry", payload: payload, qos: .atLeastOnce)
                        }
                        inFlight += 1
                    }
                }
                try await group.waitForAll()
            }
            await site.stop()

            let second = try await RelayEndToEndTests.startRelay(brokerPort: broker.port, directory: first.directory)
            for device in devices {
                try await eventually("\(device)'s backlog stored", seconds: 60) {
                    (second.call("GET", "/api/v1/telemetry/\(device)?resolution=raw").json?["data_points"]?.numberValue ?? 0) >= Double(perDevice)
                }
                #expect(second.call("GET", "/api/v1/telemetry/\(device)?resolution=raw").json?["data_points"]?.numberValue == Double(perDevice))
            }
            // The alarms were turned into alerts (the last one, in the final sample, is still active).
            #expect((second.call("GET", "/api/v1/alerts?device_id=pack_b1").json?["total"]?.numberValue ?? 0) >= 1)
            await second.process.terminate()
        }
    }
}
