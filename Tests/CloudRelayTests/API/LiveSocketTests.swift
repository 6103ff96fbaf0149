import BMSCore
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
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

    /// A peer that subscribes and then never reads: once the socket stops taking frames the relay drops the
    /// connection after its write deadline, instead of a sender stuck forever on a full socket (and the client
    /// registered for good).
    @Test func aPeerThatStopsReadingIsDisconnected() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let hub = LiveHub(configuration: LiveHub.Configuration(queueCapacity: 16, slowClientLimit: .seconds(60), writeDeadline: .seconds(1)))
        let app = PulseBMSRelay.application(
            store: api.store, commands: api.commands, metrics: api.metrics, verifier: try AuthFixtures.verifier(),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: 10_000, windowSeconds: 3600)), offlineAfter: .seconds(300),
            host: "127.0.0.1", port: 0, logger: Logger(label: "test"), hub: hub)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let peer = try #require(StalledPeer(port: port, path: "/ws/stalled?access_token=\(api.adminKey.key)"))
            defer { peer.close() }
            try peer.send(text: #"{"type": "subscribe", "topic": "telemetry"}"#)
            try await eventuallyAsync("the peer is subscribed", seconds: 10) { hub.connectionCount == 1 && hub.watchers(of: .telemetry) == 1 }
            // Telemetry (about 20 kB a sample) until the socket's buffers are full and the write deadline passes:
            // each check publishes more, however fast the relay drains its queue on a busy machine.
            let published = Mutex(0)
            try await eventuallyAsync("the stalled peer is disconnected", seconds: 120) {
                for _ in 0..<20 {
                    let second = published.withLock { count in
                        count += 1
                        return count
                    }
                    hub.publish(
                        telemetry: StorageSamples.telemetry(
                            "pack_001", sequence: UInt64(second), at: StorageSamples.at(seconds: Int64(second)), cells: 1000),
                        receivedAt: StorageSamples.at(seconds: Int64(second)))
                }
                return hub.connectionCount == 0
            }
        }
    }
}

extension LiveSocketTests {
    /// A socket opened with an API key that is then revoked is closed, with a reason, at the next check; one
    /// whose key stays valid keeps streaming.
    @Test func aRevokedKeyEndsItsStream() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let hub = LiveHub(configuration: LiveHub.Configuration(credentialCheckInterval: .milliseconds(100)))
        let app = PulseBMSRelay.application(
            store: api.store, commands: api.commands, metrics: api.metrics, verifier: try AuthFixtures.verifier(),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: 10_000, windowSeconds: 3600)), offlineAfter: .seconds(300),
            host: "127.0.0.1", port: 0, logger: Logger(label: "test"), hub: hub)
        let revoked = APIKeyCodec.generate()
        try api.store.insertAPIKey(
            id: revoked.id, hash: revoked.hash, role: "viewer", sites: nil, createdAt: Timestamp(Date()), replacingExisting: false)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, key) in [("revoked", revoked.key), ("kept", api.adminKey.key)] {
                    group.addTask {
                        try await WebSocketClient.connect(
                            url: "ws://127.0.0.1:\(port)/ws/\(name)?access_token=\(key)", logger: Logger(label: "ws")
                        ) { inbound, _, _ in
                            for try await _ in inbound.messages(maxSize: 1 << 20) {}
                        }
                    }
                }
                try await eventuallyAsync("both sockets open", seconds: 10) { hub.connectionCount == 2 }
                _ = try api.store.revokeAPIKey(id: revoked.id, at: Timestamp(Date()))
                try await eventuallyAsync("the revoked key's socket closed", seconds: 10) { hub.connectionCount == 1 }
                // The other one went through the same checks and is still there.
                #expect(hub.connectedClientIDs == ["kept"])
                group.cancelAll()
            }
        }
    }
}

/// A WebSocket client that connects, upgrades, can send, and never reads: a dashboard on a dead network.
final class StalledPeer {
    let descriptor: Int32

    init?(port: Int, path: String) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var small: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = FreePort.loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let request = """
            GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n
            """
        guard connected == 0, Self.write(descriptor, Array(request.utf8)) else {
            Glibc.close(descriptor)
            return nil
        }
        // The 101 response, and nothing more is ever read.
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard read(descriptor, &byte, 1) == 1 else {
                Glibc.close(descriptor)
                return nil
            }
            head.append(byte)
        }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            Glibc.close(descriptor)
            return nil
        }
    }

    enum PeerError: Error { case writeFailed }  // or a message too long for a short frame

    /// Sends one masked text frame (client frames are masked; the key here is zero, which masks nothing).
    func send(text: String) throws {
        let payload = Array(text.utf8)
        guard payload.count < 126 else { throw PeerError.writeFailed }  // short frames only
        let frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
        guard Self.write(descriptor, frame) else { throw PeerError.writeFailed }
    }

    func close() {
        Glibc.close(descriptor)
    }

    private static func write(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}
