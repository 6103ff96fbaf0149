import BMSCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CloudRelay

/// Every endpoint of the REST API for success and for each error it documents, over a real SQLite store.
@Suite("Relay REST API")
struct RelayAPITests {
    @Test func healthIsOpenAndMeasured() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        try await api.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/health", method: .get)
            #expect(response.status == .ok)
            let health = try WireCoding.decode(HealthResponse.self, from: Array(response.body.readableBytesView))
            #expect(health.status == .healthy)
            #expect(health.services.database == .healthy)
            #expect(health.services.mqtt == .healthy)
            #expect(response.headers[.traceID]?.hasPrefix("trace_") == true)
            #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] == nil)  // open: no key, no limit
            api.commands.connected.withLock { $0 = false }
            let degraded = try await client.execute(uri: "/api/v1/health", method: .get)
            #expect(degraded.json?["status"]?.stringValue == "degraded")
            #expect(degraded.json?["services"]?["mqtt"]?.stringValue == "unhealthy")
            // The earlier requests were measured.
            #expect((degraded.json?["metrics"]?["response_time_ms"]?.numberValue ?? 0) > 0)
        }
    }

    @Test func authMatrix() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let expired = try APIFixture.token(role: "admin", expiresIn: -120)
        let viewer = try APIFixture.token(role: "viewer")
        let otherSite = try APIFixture.token(role: "admin", sites: ["site_999"])
        let admin = try APIFixture.token(role: "admin", es256: true)
        try await api.application().test(.router) { client in
            let anonymous = try await client.execute(uri: "/api/v1/devices", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.json?["error"]?["code"]?.stringValue == "AUTHENTICATION_REQUIRED")
            #expect(anonymous.json?["error"]?["trace_id"]?.stringValue == anonymous.headers[.traceID])
            let garbage = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers("not.a.token"))
            #expect(garbage.status == .unauthorized)
            #expect(garbage.json?["error"]?["code"]?.stringValue == "INVALID_TOKEN")
            let old = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(expired))
            #expect(old.status == .unauthorized)
            #expect(old.json?["error"]?["code"]?.stringValue == "TOKEN_EXPIRED")
            let read = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(viewer))
            #expect(read.status == .ok)
            let write = try await client.execute(uri: "/api/v1/devices", method: .post, headers: APIFixture.headers(viewer), body: body(deviceBody))
            #expect(write.status == .forbidden)
            #expect(write.json?["error"]?["code"]?.stringValue == "INSUFFICIENT_PERMISSIONS")
            let foreign = try await client.execute(uri: "/api/v1/devices", method: .post, headers: APIFixture.headers(otherSite), body: body(deviceBody))
            #expect(foreign.status == .forbidden)
            #expect(foreign.json?["error"]?["code"]?.stringValue == "SITE_FORBIDDEN")
            let created = try await client.execute(uri: "/api/v1/devices", method: .post, headers: APIFixture.headers(admin), body: body(deviceBody))
            #expect(created.status == .created)
            // Another site's pack is as missing as one that does not exist (a 403 would say it exists).
            let hidden = try await client.execute(uri: "/api/v1/devices/pack_001", method: .get, headers: APIFixture.headers(otherSite))
            #expect(hidden.status == .notFound)
            #expect(hidden.json?["error"]?["code"]?.stringValue == "DEVICE_NOT_FOUND")
            #expect(hidden.json?["error"]?["details"]?["available_devices"]?.arrayValue?.contains(.string("pack_001")) != true)
            let key = try await client.execute(uri: "/api/v1/devices/pack_001", method: .get, headers: APIFixture.headers(api.adminKey.key))
            #expect(key.status == .ok)
            let unknownKey = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(APIKeyCodec.generate().key))
            #expect(unknownKey.status == .unauthorized)
        }
    }

    @Test func rateLimitCountsDownAndRefusesOnTime() async throws {
        let api = try APIFixture(rateLimit: 3)
        defer { api.remove() }
        let token = try APIFixture.token(role: "viewer")
        try await api.application().test(.router) { client in
            var remaining: [String] = []
            for _ in 0..<3 {
                let response = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(token))
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] == "3")
                remaining.append(response.headers[HTTPField.Name("X-RateLimit-Remaining")!] ?? "?")
                let reset = Int(response.headers[HTTPField.Name("X-RateLimit-Reset")!] ?? "") ?? 0
                #expect(reset > Int(Date().timeIntervalSince1970))
            }
            #expect(remaining == ["2", "1", "0"])
            let refused = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(token))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json?["error"]?["code"]?.stringValue == "RATE_LIMIT_EXCEEDED")
            #expect(Int(refused.headers[HTTPField.Name("Retry-After")!] ?? "") ?? 0 > 0)
            // Another key has its own budget.
            let other = try await client.execute(uri: "/api/v1/devices", method: .get, headers: APIFixture.headers(api.adminKey.key))
            #expect(other.status == .ok)
        }
    }

    @Test func deviceLifecycle() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let admin = APIFixture.headers(api.adminKey.key)
        try await api.application().test(.router) { client in
            let created = try await client.execute(uri: "/api/v1/devices", method: .post, headers: admin, body: body(deviceBody))
            #expect(created.status == .created)
            #expect(created.json?["device_id"]?.stringValue == "pack_001")
            #expect(created.json?["current_status"]?["status"]?.stringValue == "offline")
            let again = try await client.execute(uri: "/api/v1/devices", method: .post, headers: admin, body: body(deviceBody))
            #expect(again.status == .conflict)
            #expect(again.json?["error"]?["code"]?.stringValue == "DEVICE_ALREADY_EXISTS")
            let invalid = try await client.execute(
                uri: "/api/v1/devices", method: .post, headers: admin,
                body: body(deviceBody.replacingOccurrences(of: "\"LFP\"", with: "\"UNKNOWN\"").replacingOccurrences(of: "280", with: "-10.5")))
            #expect(invalid.status == .badRequest)
            let fields = invalid.json?["error"]?["details"]?["field_errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
            #expect(Set(fields) == ["chemistry", "specifications.nominal_capacity"])
            let malformed = try await client.execute(uri: "/api/v1/devices", method: .post, headers: admin, body: body("{\"device_id\": "))
            #expect(malformed.status == .badRequest)
            #expect(malformed.json?["error"]?["code"]?.stringValue == "VALIDATION_ERROR")

            for index in 2...5 {
                let site = index % 2 == 0 ? "site_002" : "site_001"
                let text = deviceBody.replacingOccurrences(of: "pack_001", with: "pack_00\(index)").replacingOccurrences(of: "site_001", with: site)
                #expect(try await client.execute(uri: "/api/v1/devices", method: .post, headers: admin, body: body(text)).status == .created)
            }
            let page = try await client.execute(uri: "/api/v1/devices?site_id=site_001&limit=2&offset=1", method: .get, headers: admin)
            #expect(page.json?["total"]?.numberValue == 3)
            #expect(page.json?["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == ["pack_003", "pack_005"])
            #expect(try await client.execute(uri: "/api/v1/devices?limit=0", method: .get, headers: admin).status == .badRequest)

            let missing = try await client.execute(uri: "/api/v1/devices/pack_999", method: .get, headers: admin)
            #expect(missing.status == .notFound)
            #expect(missing.json?["error"]?["code"]?.stringValue == "DEVICE_NOT_FOUND")
            #expect(missing.json?["error"]?["details"]?["available_devices"]?.arrayValue?.count == 5)

            let patched = try await client.execute(uri: "/api/v1/devices/pack_001", method: .patch, headers: admin, body: body(#"{"name": "Rack 1 (moved)"}"#))
            #expect(patched.status == .ok)
            #expect(patched.json?["name"]?.stringValue == "Rack 1 (moved)")
            let badPatch = try await client.execute(uri: "/api/v1/devices/pack_001", method: .patch, headers: admin, body: body(#"{"name": ""}"#))
            #expect(badPatch.status == .badRequest)
            let unknownField = try await client.execute(uri: "/api/v1/devices/pack_001", method: .patch, headers: admin, body: body(#"{"site_id": "x"}"#))
            #expect(unknownField.status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/devices/pack_999", method: .patch, headers: admin, body: body(#"{"name": "x"}"#)).status == .notFound)

            #expect(try await client.execute(uri: "/api/v1/devices/pack_001", method: .delete, headers: admin).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/devices/pack_001", method: .delete, headers: admin).status == .notFound)
            let unknownRoute = try await client.execute(uri: "/api/v1/nothing", method: .get, headers: admin)
            #expect(unknownRoute.status == .notFound)
            #expect(unknownRoute.json?["error"]?["code"]?.stringValue == "NOT_FOUND")
        }
    }

    @Test func telemetryQueriesRollupsAndRanges() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        _ = try api.store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        let messages = (0..<7200).map { StorageSamples.synthetic("pack_001", second: $0) }
        _ = try api.store.ingest(messages, receivedAt: StorageSamples.start)
        let admin = APIFixture.headers(api.adminKey.key)
        let start = StorageSamples.start.rfc3339
        let end = StorageSamples.at(seconds: 7200).rfc3339
        try await api.application().test(.router) { client in
            let hourly = try await client.execute(
                uri: "/api/v1/telemetry/pack_001?start_time=\(start)&end_time=\(end)&resolution=hour&metrics=voltage,soc",
                method: .get, headers: admin)
            #expect(hourly.status == .ok)
            let response = try WireCoding.decode(TelemetryQueryResponse.self, from: Array(hourly.body.readableBytesView))
            #expect(response.dataPoints == 2)
            #expect(response.metrics.voltage?.count == 2)
            #expect(response.metrics.current == nil)
            let voltages = messages.map(\.measurements.pack.voltage)
            #expect(agree(response.statistics.voltage, StorageSamples.reference(voltages)))
            let raw = try await client.execute(
                uri: "/api/v1/telemetry/pack_001?start_time=\(start)&end_time=\(StorageSamples.at(seconds: 60).rfc3339)&resolution=raw",
                method: .get, headers: admin)
            #expect(raw.json?["data_points"]?.numberValue == 61)  // both ends of the range are inclusive: seconds 0…60

            for query in ["start_time=\(end)&end_time=\(start)", "start_time=yesterday", "resolution=weekly", "metrics=voltage,colour"] {
                let bad = try await client.execute(uri: "/api/v1/telemetry/pack_001?\(query)", method: .get, headers: admin)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(bad.json?["error"]?["details"]?["field_errors"]?.arrayValue?.isEmpty == false, "\(query)")
            }
            #expect(try await client.execute(uri: "/api/v1/telemetry/pack_999", method: .get, headers: admin).status == .notFound)
        }
    }

    @Test func commandsAreValidatedQueuedSentAndTracked() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        var limited = StorageSamples.registration("pack_001")
        limited.safetyConstraints = SafetyConstraints(maxCellVoltage: 3.55, temperatureLimits: TemperatureLimits(max: 50, min: 0))
        _ = try api.store.register(limited, at: StorageSamples.start)
        _ = try api.store.register(StorageSamples.registration("pack_002"), at: StorageSamples.start)
        let operatorToken = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_001"]))
        let viewer = APIFixture.headers(try APIFixture.token(role: "viewer"))
        let command = #"{"command_type": "start_charge", "parameters": {"target_power": 5000, "target_soc": 80}, "timeout_seconds": 60}"#
        try await api.application().test(.router) { client in
            #expect(try await client.execute(uri: "/api/v1/commands/pack_001", method: .post, headers: viewer, body: body(command)).status == .forbidden)
            let accepted = try await client.execute(uri: "/api/v1/commands/pack_001", method: .post, headers: operatorToken, body: body(command))
            #expect(accepted.status == .accepted)
            let commandID = try #require(accepted.json?["command_id"]?.stringValue)
            #expect(accepted.json?["status"]?.stringValue == "queued")
            #expect(accepted.json?["estimated_completion"]?.stringValue != nil)
            let sent = api.commands.sent.withLock { $0 }
            #expect(sent.count == 1)
            #expect(sent.first?.0.commandID == commandID)
            #expect(sent.first?.0.command.type == .startCharge)
            #expect(sent.first?.2 == "pack_001")
            // The device's registered limits travel with the command, for the agent's own check.
            #expect(sent.first?.0.safetyChecks.constraints.maxCellVoltage == 3.55)
            #expect(sent.first?.0.safetyChecks.constraints.maxTemperature == 50)

            let invalid = try await client.execute(
                uri: "/api/v1/commands/pack_001", method: .post, headers: operatorToken, body: body(#"{"command_type": "self_destruct", "timeout_seconds": 999}"#))
            #expect(invalid.status == .badRequest)
            #expect(Set(invalid.json?["error"]?["details"]?["field_errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []) == ["command_type", "timeout_seconds"])
            let unknown = try await client.execute(uri: "/api/v1/commands/battery_pack_999", method: .post, headers: operatorToken, body: body(command))
            #expect(unknown.status == .notFound)
            #expect(unknown.json?["error"]?["details"]?["available_devices"]?.arrayValue?.compactMap(\.stringValue) == ["pack_001", "pack_002"])

            // The agent's responses move the command on; a late "executing" does not move it back.
            for status in [CommandStatus.acknowledged, .completed, .executing] {
                _ = try api.store.updateCommandStatus(from: CommandResponseMessage(
                    commandID: commandID, deviceID: "pack_001", timestamp: Timestamp(Date()), status: status, message: status.rawValue))
            }
            let tracked = try await client.execute(uri: "/api/v1/commands/pack_001/\(commandID)", method: .get, headers: viewer)
            #expect(tracked.status == .ok)
            #expect(tracked.json?["status"]?.stringValue == "completed")
            #expect(try await client.execute(uri: "/api/v1/commands/pack_002/\(commandID)", method: .get, headers: viewer).status == .notFound)

            // Maintenance locks the pack (423), except for an emergency shutdown.
            let registration = StorageSamples.registration("pack_001")
            _ = try api.store.recordDeviceStatus(
                DeviceStatusMessage(timestamp: Timestamp(Date()), status: .maintenance, descriptor: registration), receivedAt: Timestamp(Date()))
            let locked = try await client.execute(uri: "/api/v1/commands/pack_001", method: .post, headers: operatorToken, body: body(command))
            #expect(locked.status.code == 423)
            #expect(locked.json?["error"]?["code"]?.stringValue == "DEVICE_LOCKED")
            let shutdown = try await client.execute(
                uri: "/api/v1/commands/pack_001", method: .post, headers: operatorToken, body: body(#"{"command_type": "emergency_shutdown", "parameters": {"reason": "operator_initiated"}}"#))
            #expect(shutdown.status == .accepted)

            // A broker that is down: the command is recorded as failed and the caller told, never lost silently.
            api.commands.failing.withLock { $0 = true }
            let undelivered = try await client.execute(
                uri: "/api/v1/commands/pack_002", method: .post, headers: operatorToken, body: body(#"{"command_type": "request_status"}"#))
            #expect(undelivered.status == .serviceUnavailable)
            let failedID = try #require(undelivered.json?["error"]?["details"]?["command_id"]?.stringValue)
            #expect(try api.store.command(id: failedID)?.status == .failed)
        }
    }

    @Test func fleetAndAlerts() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        _ = try api.store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        let now = Timestamp(Date())
        let hot = AlarmDetail(code: "TEMP_001", severity: .warning, message: "Cell temperature 46 °C", data: ["value": 46, "threshold": 45])
        _ = try api.store.ingest(
            [StorageSamples.telemetry("pack_001", sequence: 1, at: now, alarms: StorageSamples.alarms([hot]))], receivedAt: now)
        var tracker = AlertTracker()
        for event in tracker.update(siteID: "site_001", deviceID: "pack_001", timestamp: now, alarms: StorageSamples.alarms([hot])) {
            if case .raised(let alert) = event { _ = try api.store.upsertAlert(alert, code: "TEMP_001") }
        }
        let viewer = APIFixture.headers(try APIFixture.token(role: "viewer", sites: ["site_001"]))
        try await api.application().test(.router) { client in
            let fleet = try await client.execute(uri: "/api/v1/fleet/site_001", method: .get, headers: viewer)
            #expect(fleet.status == .ok)
            #expect(fleet.json?["summary"]?["total_devices"]?.numberValue == 1)
            #expect(fleet.json?["devices"]?.arrayValue?.first?["device_id"]?.stringValue == "pack_001")
            #expect(try await client.execute(uri: "/api/v1/fleet/site_002", method: .get, headers: viewer).status == .forbidden)
            let admin = APIFixture.headers(api.adminKey.key)
            #expect(try await client.execute(uri: "/api/v1/fleet/site_404", method: .get, headers: admin).status == .notFound)

            let alerts = try await client.execute(uri: "/api/v1/alerts?site_id=site_001&status=active", method: .get, headers: viewer)
            #expect(alerts.status == .ok)
            let first = alerts.json?["alerts"]?.arrayValue?.first
            #expect(first?["category"]?.stringValue == "temperature")
            #expect(first?["status"]?.stringValue == "active")
            #expect(first?["actions"]?.arrayValue?.first?["action_id"]?.stringValue == "acknowledge")
            let none = try await client.execute(uri: "/api/v1/alerts?severity=critical", method: .get, headers: viewer)
            #expect(none.json?["alerts"]?.arrayValue?.isEmpty == true)
            #expect(try await client.execute(uri: "/api/v1/alerts?severity=apocalyptic", method: .get, headers: viewer).status == .badRequest)

            // Acknowledge: operators only; the alert then lists as acknowledged, by whom.
            let alertID = try #require(first?["alert_id"]?.stringValue)
            #expect(try await client.execute(uri: "/api/v1/alerts/\(alertID)/acknowledge", method: .post, headers: viewer).status == .forbidden)
            let operatorHeaders = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_001"]))
            let acknowledged = try await client.execute(uri: "/api/v1/alerts/\(alertID)/acknowledge", method: .post, headers: operatorHeaders)
            #expect(acknowledged.status == .ok)
            #expect(acknowledged.json?["status"]?.stringValue == "acknowledged")
            #expect(acknowledged.json?["acknowledged_by"]?.stringValue == "user-operator")
            let elsewhere = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_002"]))
            #expect(try await client.execute(uri: "/api/v1/alerts/\(alertID)/acknowledge", method: .post, headers: elsewhere).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/alerts/alert_nope/acknowledge", method: .post, headers: operatorHeaders).status == .notFound)
            let listed = try await client.execute(uri: "/api/v1/alerts?status=acknowledged", method: .get, headers: viewer)
            #expect(listed.json?["alerts"]?.arrayValue?.count == 1)
        }
    }

    /// A body beyond 1 MiB is refused with the standard error body, not read.
    @Test func oversizedBodiesAreRefused() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        let huge = "{\"name\": \"" + String(repeating: "x", count: 1 << 21) + "\"}"
        try await api.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/devices", method: .post, headers: APIFixture.headers(api.adminKey.key), body: body(huge))
            #expect(response.status == .contentTooLarge)
            #expect(response.json?["error"]?["code"]?.stringValue == "PAYLOAD_TOO_LARGE")
            #expect(response.json?["error"]?["trace_id"]?.stringValue == response.headers[.traceID])
        }
    }

    /// The dashboard's files are served without credentials; its data calls still need them.
    @Test func dashboardIsServed() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        try await api.application().test(.router) { client in
            let page = try await client.execute(uri: "/dashboard/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("dashboard.js"))
            let script = try await client.execute(uri: "/dashboard/dashboard.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(try await client.execute(uri: "/dashboard", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/dashboard/secret.txt", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/devices", method: .get).status == .unauthorized)
        }
    }

    /// The OpenAPI document describes exactly the operations the router serves.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" })
        let served = Set(RelayAPI.operations.map { "\($0.method) \($0.path)" })
        #expect(documented == served)
        let api = try APIFixture()
        defer { api.remove() }
        try await api.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/openapi.json", method: .get, headers: APIFixture.headers(api.adminKey.key))
            #expect(response.status == .ok)
            #expect(response.json?["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        }
    }
}
