import BMSCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import TestSupport
import WSClient

@testable import CloudRelay

/// Operator actions on alerts: through REST and over the socket, only those an alert offers, their commands
/// down to the pack, and what is recorded and pushed.
@Suite("Relay alert actions")
struct AlertActionTests {
    /// An alert of `code` at `severity` on pack_001 of site_001, raised the way the ingest raises it.
    static func raise(_ code: String, severity: Severity, in api: APIFixture) throws -> String {
        if try api.store.device(id: "pack_001") == nil {
            _ = try api.store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        }
        let detail = AlarmDetail(code: code, severity: severity, message: "\(code) alarm", data: ["value": 46, "threshold": 45])
        var tracker = AlertTracker()
        for event in tracker.update(
            siteID: "site_001", deviceID: "pack_001", timestamp: Timestamp(Date()), alarms: StorageSamples.alarms([detail]))
        {
            if case .raised(let alert) = event { return try api.store.upsertAlert(alert, code: code).alert.alert.alertID }
        }
        throw AlertActionTestError.notRaised
    }

    enum AlertActionTestError: Error { case notRaised }

    /// What the two sockets received.
    final class Seen: Sendable {
        let actor = Mutex<[JSONValue]>([])
        let watcher = Mutex<[JSONValue]>([])
        let watching = Mutex(false)
    }

    static func operatorToken() throws -> HTTPFields {
        APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_001"]))
    }

    @Test func reducePowerSendsAPowerLimitAndIsRecorded() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let alertID = try Self.raise("TEMP_001", severity: .warning, in: api)
        let operatorHeaders = try Self.operatorToken()
        let viewer = APIFixture.headers(try APIFixture.token(role: "viewer", sites: ["site_001"]))
        try await api.application().test(.router) { client in
            let uri = "/api/v1/alerts/\(alertID)/actions/reduce_power"
            #expect(try await client.execute(uri: uri, method: .post, headers: viewer).status == .forbidden)
            #expect(api.commands.sent.withLock { $0.isEmpty })

            let taken = try await client.execute(
                uri: uri, method: .post, headers: operatorHeaders, body: ByteBuffer(string: #"{"parameters": {"power_reduction_percent": 30}}"#))
            #expect(taken.status == .ok)
            let sent = try #require(api.commands.sent.withLock { $0.last })
            #expect(sent.0.command.type == .updateParameters)
            #expect(sent.0.command.parameters == ["power_limit_at_most_percent": .number(70)])
            #expect(sent.1 == "site_001" && sent.2 == "pack_001")
            // The action is recorded with its command, and acting acknowledged the alert.
            let record = try #require(taken.json?["actions_taken"]?.arrayValue?.first)
            #expect(record["action_id"]?.stringValue == "reduce_power")
            #expect(record["taken_by"]?.stringValue == "user-operator")
            #expect(record["parameters"]?["power_reduction_percent"]?.numberValue == 30)
            #expect(record["command_id"]?.stringValue == sent.0.commandID)
            #expect(taken.json?["status"]?.stringValue == "acknowledged")
            #expect(taken.json?["acknowledged_by"]?.stringValue == "user-operator")

            // Without a body the offered default (50 %) applies.
            #expect(try await client.execute(uri: uri, method: .post, headers: operatorHeaders).status == .ok)
            #expect(api.commands.sent.withLock { $0.last?.0.command.parameters } == ["power_limit_at_most_percent": .number(50)])

            // GET /alerts shows the same record.
            let listed = try await client.execute(uri: "/api/v1/alerts?site_id=site_001", method: .get, headers: viewer)
            #expect(listed.json?["alerts"]?.arrayValue?.first?["actions_taken"]?.arrayValue?.count == 2)
        }
    }

    /// The fleet summary says how many of its active alarms are acknowledged, until they clear.
    @Test func acknowledgementsMoveAlarmsOutOfTheActiveCount() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        _ = try api.store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        let details = [
            AlarmDetail(code: "TEMP_001", severity: .warning, message: "hot", data: [:]),
            AlarmDetail(code: "CURR_001", severity: .alarm, message: "charge current", data: [:]),
        ]
        let now = Timestamp(Date())
        _ = try api.store.ingest(
            [StorageSamples.telemetry("pack_001", sequence: 1, at: now, alarms: StorageSamples.alarms(details))], receivedAt: now)
        var tracker = AlertTracker()
        var ids: [String] = []
        for event in tracker.update(siteID: "site_001", deviceID: "pack_001", timestamp: now, alarms: StorageSamples.alarms(details)) {
            if case .raised(let alert) = event {
                ids.append(try api.store.upsertAlert(alert, code: alert.data["code"]?.stringValue ?? "").alert.alert.alertID)
            }
        }
        let headers = try Self.operatorToken()
        let first = try #require(ids.first)
        try await api.application().test(.router) { client in
            func summary() async throws -> (active: Double?, acknowledged: Double?) {
                let fleet = try await client.execute(uri: "/api/v1/fleet/site_001", method: .get, headers: headers)
                let summary = fleet.json?["summary"]
                return (summary?["active_alarms"]?.numberValue, summary?["acknowledged_alarms"]?.numberValue)
            }
            #expect(try await summary() == (2, 0))
            #expect(try await client.execute(uri: "/api/v1/alerts/\(first)/acknowledge", method: .post, headers: headers).status == .ok)
            #expect(try await summary() == (2, 1))
            // An acknowledged alert left open on a pack that reports no alarm (a relay restarted while it cleared)
            // counts for nothing: it cannot hide another pack's alarm.
            _ = try api.store.register(StorageSamples.registration("pack_002"), at: StorageSamples.start)
            let stale = Alert(
                timestamp: now, alertID: "alert_stale", severity: .warning, category: .temperature, siteID: "site_001",
                deviceID: "pack_002", title: "stale", message: "stale", data: [:],
                actions: [AlertAction(actionID: "acknowledge", label: "Acknowledge")])
            _ = try api.store.upsertAlert(stale, code: "TEMP_001")
            _ = try api.store.acknowledgeAlert(id: "alert_stale", by: "ops", at: now)
            #expect(try await summary() == (2, 1))
            // Cleared: the pack stops reporting it, the acknowledged alert resolves and counts nowhere.
            let later = now.adding(milliseconds: 1000)
            _ = try api.store.ingest(
                [StorageSamples.telemetry("pack_001", sequence: 2, at: later, alarms: StorageSamples.alarms([details[1]]))],
                receivedAt: later)
            _ = try api.store.resolveAlert(deviceID: "pack_001", code: "TEMP_001", at: later)
            #expect(try await summary() == (1, 0))
        }
    }

    /// `power_reduction_percent` on both sides of 1…100, and parameters the action does not take.
    @Test(arguments: [
        (#"{"parameters": {"power_reduction_percent": 0.99}}"#, 400, nil),
        (#"{"parameters": {"power_reduction_percent": 1}}"#, 200, 99.0),
        (#"{"parameters": {"power_reduction_percent": 100}}"#, 200, 0.0),
        (#"{"parameters": {"power_reduction_percent": 100.01}}"#, 400, nil),
        (#"{"parameters": {"power_reduction_percent": "half"}}"#, 400, nil),
        (#"{"parameters": {"power_reduction_percent": 20, "ramp": 3}}"#, 400, nil),
        (#"{"parameters": 5}"#, 400, nil),
        (#"{"params": {}}"#, 400, nil),
        (#"[1, 2]"#, 400, nil),
        (#"{"parameters": {"#, 400, nil),
    ] as [(String, Int, Double?)])
    func reducePowerParameters(body: String, status: Int, limit: Double?) async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let alertID = try Self.raise("CURR_001", severity: .alarm, in: api)
        let headers = try Self.operatorToken()
        try await api.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/alerts/\(alertID)/actions/reduce_power", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(response.status.code == status)
            if status == 400 { #expect(response.json?["error"]?["code"]?.stringValue == "VALIDATION_ERROR") }
            #expect(api.commands.sent.withLock { $0.last?.0.command.parameters["power_limit_at_most_percent"]?.numberValue } == limit)
            // A refused action leaves no trace on the alert.
            let stored = try #require(try api.store.alert(id: alertID))
            #expect(stored.actionsTaken.count == (limit == nil ? 0 : 1))
        }
    }

    @Test func onlyOfferedActionsOnLiveAlertsAndEveryFailureLeavesTheAlertAlone() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let warning = try Self.raise("TEMP_001", severity: .warning, in: api)
        let critical = try Self.raise("VOLT_001", severity: .critical, in: api)
        let headers = try Self.operatorToken()
        try await api.application().test(.router) { client in
            // A warning offers no emergency shutdown; nothing offers "reboot".
            for (alert, action) in [(warning, "emergency_shutdown"), (warning, "reboot"), (critical, "reboot")] {
                let response = try await client.execute(uri: "/api/v1/alerts/\(alert)/actions/\(action)", method: .post, headers: headers)
                #expect(response.status == .badRequest)
                #expect(response.json?["error"]?["details"]?["field_errors"]?.arrayValue?.first?["field"]?.stringValue == "action_id")
            }
            #expect(try await client.execute(uri: "/api/v1/alerts/alert_nope/actions/acknowledge", method: .post, headers: headers).status == .notFound)
            let elsewhere = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_002"]))
            #expect(try await client.execute(uri: "/api/v1/alerts/\(critical)/actions/acknowledge", method: .post, headers: elsewhere).status == .notFound)

            // Acknowledge takes no parameters.
            let withParameters = try await client.execute(
                uri: "/api/v1/alerts/\(critical)/actions/acknowledge", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"parameters": {"note": "seen"}}"#))
            #expect(withParameters.status == .badRequest)

            // A critical alert offers the emergency shutdown; the broker not taking it is a 503, not a record.
            api.commands.failing.withLock { $0 = true }
            let undelivered = try await client.execute(uri: "/api/v1/alerts/\(critical)/actions/emergency_shutdown", method: .post, headers: headers)
            #expect(undelivered.status == .serviceUnavailable)
            #expect(try api.store.alert(id: critical)?.actionsTaken.isEmpty == true)
            api.commands.failing.withLock { $0 = false }
            let shutdown = try await client.execute(uri: "/api/v1/alerts/\(critical)/actions/emergency_shutdown", method: .post, headers: headers)
            #expect(shutdown.status == .ok)
            let sent = try #require(api.commands.sent.withLock { $0.last?.0 })
            #expect(sent.command.type == .emergencyShutdown && sent.command.priority == .critical)
            #expect(sent.command.parameters["alert_id"]?.stringValue == critical)

            // Acknowledging twice records once.
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/api/v1/alerts/\(warning)/acknowledge", method: .post, headers: headers).status == .ok)
            }
            #expect(try api.store.alert(id: warning)?.actionsTaken.map(\.actionID) == ["acknowledge"])

            // Maintenance locks the pack against commands, but not against these, which only take power away.
            _ = try api.store.recordDeviceStatus(
                DeviceStatusMessage(
                    timestamp: Timestamp(Date()), status: .maintenance, descriptor: StorageSamples.registration("pack_001")),
                receivedAt: Timestamp(Date()))
            let start = try await client.execute(
                uri: "/api/v1/commands/pack_001", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"command_type": "start_discharge"}"#))
            #expect(start.status.code == 423)
            let inMaintenance = try await client.execute(uri: "/api/v1/alerts/\(critical)/actions/emergency_shutdown", method: .post, headers: headers)
            #expect(inMaintenance.status == .ok)
            let reduced = try await client.execute(uri: "/api/v1/alerts/\(warning)/actions/reduce_power", method: .post, headers: headers)
            #expect(reduced.status == .ok)
            #expect(api.commands.sent.withLock { $0.last?.0.command.parameters } == ["power_limit_at_most_percent": .number(50)])

            // A resolved critical alert (an alarm that flickers) still takes an emergency shutdown.
            _ = try api.store.resolveAlert(deviceID: "pack_001", code: "VOLT_001", at: Timestamp(Date()))
            let afterResolve = try await client.execute(uri: "/api/v1/alerts/\(critical)/actions/emergency_shutdown", method: .post, headers: headers)
            #expect(afterResolve.status == .ok)
            #expect(api.commands.sent.withLock { $0.last?.0.command.type } == .emergencyShutdown)

            // A resolved alert's pack is no longer in that state: no power reduction, but it can still be
            // acknowledged.
            let resolvedID = try Self.raise("CURR_002", severity: .alarm, in: api)
            _ = try api.store.resolveAlert(deviceID: "pack_001", code: "CURR_002", at: Timestamp(Date()))
            let late = try await client.execute(uri: "/api/v1/alerts/\(resolvedID)/actions/reduce_power", method: .post, headers: headers)
            #expect(late.status == .conflict)
            #expect(late.json?["error"]?["code"]?.stringValue == "ALERT_RESOLVED")
            let acknowledged = try await client.execute(uri: "/api/v1/alerts/\(resolvedID)/actions/acknowledge", method: .post, headers: headers)
            #expect(acknowledged.json?["status"]?.stringValue == "resolved")
            #expect(acknowledged.json?["acknowledged_by"]?.stringValue == "user-operator")
        }
    }

    /// Over the socket: the actor gets the alert as it now stands, another dashboard watching alerts gets the
    /// same update, a viewer and a malformed request get error messages on a socket that stays open.
    @Test func actionsOverTheSocketAreAnsweredAndPushed() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let alertID = try Self.raise("TEMP_001", severity: .alarm, in: api)
        let hub = LiveHub()
        let app = PulseBMSRelay.application(
            store: api.store, commands: api.commands, metrics: api.metrics, verifier: try AuthFixtures.verifier(),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: 10_000, windowSeconds: 3600)), offlineAfter: .seconds(300),
            host: "127.0.0.1", port: 0, logger: Logger(label: "test"), hub: hub)
        let seen = Seen()
        let operatorToken = try APIFixture.token(role: "operator", sites: ["site_001"])
        let viewerToken = try APIFixture.token(role: "viewer", sites: ["site_001"])
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The watcher subscribes to alerts and waits for the acknowledged update.
                group.addTask {
                    try await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(port)/ws/watcher?access_token=\(viewerToken)", logger: Logger(label: "ws")
                    ) { inbound, outbound, _ in
                        try await outbound.write(.text(#"{"type": "subscribe", "topic": "alerts"}"#))
                        // A viewer may not act: refused on a socket that stays open (the reply also says the
                        // subscription above is in place).
                        try await outbound.write(.text(#"{"type": "alert_action", "alert_id": "\#(alertID)", "action_id": "acknowledge"}"#))
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message, let json = try? WireCoding.decodeTree(from: Array(text.utf8)) else { continue }
                            seen.watcher.withLock { $0.append(json) }
                            if json["type"]?.stringValue == "error" { seen.watching.withLock { $0 = true } }
                            if json["type"]?.stringValue == "alert", json["status"]?.stringValue == "acknowledged" { break }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
                try await eventuallyAsync("the watcher is subscribed", seconds: 10) { seen.watching.withLock { $0 } }
                try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/ws/operator?access_token=\(operatorToken)", logger: Logger(label: "ws")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type": "alert_action", "alert_id": "\#(alertID)"}"#))
                    try await outbound.write(.text(#"{"type": "alert_action", "alert_id": "\#(alertID)", "action_id": "reduce_power", "parameters": {"power_reduction_percent": 40}}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let json = try? WireCoding.decodeTree(from: Array(text.utf8)) else { continue }
                        seen.actor.withLock { $0.append(json) }
                        if json["type"]?.stringValue == "alert" { break }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                try await group.waitForAll()
            }
        }
        let watched = seen.watcher.withLock { $0 }
        #expect(watched.first?["type"]?.stringValue == "error")
        #expect(watched.first?["code"]?.stringValue == "INSUFFICIENT_PERMISSIONS")
        let update = try #require(watched.last)
        #expect(update["alert_id"]?.stringValue == alertID)
        #expect(update["actions_taken"]?.arrayValue?.first?["action_id"]?.stringValue == "reduce_power")

        let acted = seen.actor.withLock { $0 }
        #expect(acted.count == 2)
        #expect(acted.first?["type"]?.stringValue == "error")
        #expect(acted.first?["code"]?.stringValue == "VALIDATION_ERROR")  // no action_id
        #expect(acted.last?["status"]?.stringValue == "acknowledged")
        #expect(acted.last?["actions_taken"]?.arrayValue?.first?["parameters"]?["power_reduction_percent"]?.numberValue == 40)
        #expect(api.commands.sent.withLock { $0.last?.0.command.parameters } == ["power_limit_at_most_percent": .number(60)])
    }
}
