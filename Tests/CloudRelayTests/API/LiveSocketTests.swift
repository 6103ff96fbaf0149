import BMSCore
import Foundation
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import TestSupport
import WSClient

@testable import CloudRelay

/// `/ws/{client_id}` over a real socket: authentication, a subscription, an invalid message answered on the
/// socket that stays open, and pushed alerts and telemetry.
@Suite("Relay live socket")
struct LiveSocketTests {
    @Test func authenticatedClientSubscribesAndReceivesPushes() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let hub = LiveHub()
        let app = PulseBMSRelay.application(
            store: api.store, commands: api.commands, metrics: api.metrics, verifier: try AuthFixtures.verifier(),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: 10_000, windowSeconds: 3600)), offlineAfter: .seconds(300),
            host: "127.0.0.1", port: 0, logger: Logger(label: "test"), hub: hub)
        let received = Mutex<[JSONValue]>([])
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let key = api.adminKey.key

            // No credentials: no socket.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/anonymous", logger: Logger(label: "ws")) { _, _, _ in }
            }

            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws/dashboard-1?access_token=\(key)", logger: Logger(label: "ws")
            ) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type": "subscribe", "topic": "alerts", "filters": {}}"#))
                try await outbound.write(.text(#"{"type": "subscribe", "topic": "telemetry", "filters": {"site_id": "site_001", "metrics": ["voltage", "soc"], "sample_rate": "1Hz"}}"#))
                // Messages are handled in order: the error for this one means both subscriptions are in place.
                try await outbound.write(.text("{not json"))
                var published = false
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message, let json = try? WireCoding.decodeTree(from: Array(text.utf8)) else { continue }
                    received.withLock { $0.append(json) }
                    if json["type"]?.stringValue == "error", !published {
                        published = true
                        hub.publish(alert: LiveSamples.alert("alert_ws_1", severity: .warning))
                        hub.publish(telemetry: LiveSamples.sample("pack_001", second: 1), receivedAt: StorageSamples.at(seconds: 1))
                    }
                    if json["type"]?.stringValue == "telemetry" { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        let messages = received.withLock { $0 }
        #expect(messages.first?["type"]?.stringValue == "error")
        #expect(messages.first?["code"]?.stringValue == "VALIDATION_ERROR")
        let alert = messages.first { $0["type"]?.stringValue == "alert" }
        #expect(alert?["alert_id"]?.stringValue == "alert_ws_1")
        #expect(alert?["actions"]?.arrayValue?.first?["action_id"]?.stringValue == "acknowledge")
        let telemetry = messages.first { $0["type"]?.stringValue == "telemetry" }
        #expect(telemetry?["device_id"]?.stringValue == "pack_001")
        #expect(telemetry?["data"]?["voltage"]?.numberValue != nil)
        #expect(telemetry?["data"]?["current"] == nil)  // filtered out by metrics
        #expect(telemetry?["metadata"]?["latency_ms"]?.numberValue == 0)
    }
}
