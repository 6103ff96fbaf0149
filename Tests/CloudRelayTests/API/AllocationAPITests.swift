import BMSCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import CloudRelay

/// POST /api/v1/fleet/{site_id}/allocation over a real SQLite store, with the MQTT link recorded.
@Suite("Relay REST API: power allocations")
struct AllocationAPITests {
    static let uri = "/api/v1/fleet/site_001/allocation"

    /// A power allocation body in the spec's shape, made now for 30 minutes unless told otherwise.
    static func allocationBody(
        id: String = "alloc_1", site: String? = "site_001", at time: Timestamp = Timestamp(Date()), minutes: String = "30",
        devices: [String] = ["pack_001", "pack_002"]
    ) -> String {
        let shares = devices.map { #"{"device_id": "\#($0)", "allocated_power": -5000, "confidence": 0.9, "constraints_active": []}"# }
        let siteMember = site.map { #""site_id": "\#($0)", "# } ?? ""
        return """
            {"schema_version": "1.0", "timestamp": "\(time.rfc3339)", "allocation_id": "\(id)", \(siteMember)
             "demand": {"total_power_target": -10000, "duration_minutes": \(minutes), "flexibility": 0.1, "priority": "high"},
             "allocation": {"optimization_method": "RL", "total_allocated": -10000, "efficiency_score": 0.94,
                            "devices": [\(shares.joined(separator: ", "))]},
             "forecasts": {"degradation_impact": {}, "efficiency_prediction": 0.93, "completion_probability": 0.97}}
            """
    }

    /// An API over a store with pack_001 and pack_002 at site_001 and pack_other at site_002.
    static func fixture() throws -> APIFixture {
        let api = try APIFixture()
        for id in ["pack_001", "pack_002"] {
            _ = try api.store.register(StorageSamples.registration(id), at: StorageSamples.start)
        }
        _ = try api.store.register(StorageSamples.registration("pack_other", site: "site_002"), at: StorageSamples.start)
        return api
    }

    static func fields(_ response: TestResponse) -> Set<String> {
        Set(response.json?["error"]?["details"]?["field_errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
    }

    /// A valid allocation is published for the site and answered 202 with its end; once recorded (as the relay's
    /// own subscription does when the broker hands it back), the fleet status carries `optimization`.
    @Test func validAllocationIsForwarded() async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        let operatorHeaders = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_001"]))
        let made = Timestamp(Date())
        try await api.application().test(.router) { client in
            let accepted = try await client.execute(
                uri: Self.uri, method: .post, headers: operatorHeaders, body: body(Self.allocationBody(at: made)))
            #expect(accepted.status == .accepted)
            let end = made.adding(milliseconds: 30 * 60_000)
            let expected: JSONValue = [
                "allocation_id": "alloc_1", "site_id": "site_001", "status": "forwarded", "expires_at": .string(end.rfc3339),
            ]
            #expect(accepted.json == expected)
            let sent = api.commands.allocations.withLock { $0 }
            try #require(sent.count == 1)
            #expect(sent[0].1 == "site_001")
            #expect(sent[0].0.allocationID == "alloc_1")
            #expect(sent[0].0.timestamp == made)
            #expect(sent[0].0.allocation.devices.map(\.deviceID) == ["pack_001", "pack_002"])

            // site_id may be left out: the path's is used.
            let implicit = try await client.execute(
                uri: Self.uri, method: .post, headers: operatorHeaders, body: body(Self.allocationBody(id: "alloc_2", site: nil, at: made)))
            #expect(implicit.status == .accepted)
            #expect(api.commands.allocations.withLock { $0.last?.0.siteID } == "site_001")

            // Recorded as soon as the broker has it (a relay sharing the subscription may be the one to hear it).
            #expect(try api.store.fleetSummary(siteID: "site_001").allocation?.message.allocationID == "alloc_2")
            let fleet = try await client.execute(uri: "/api/v1/fleet/site_001", method: .get, headers: operatorHeaders)
            #expect(fleet.json?["optimization"]?["active_policy"]?.stringValue == "RL")
            #expect(fleet.json?["optimization"]?["performance_score"]?.numberValue == 0.94)
            #expect(fleet.json?["optimization"]?["next_update"]?.stringValue == end.rfc3339)
        }
    }

    /// Each invalid body → the fields its 400 names. Nothing is forwarded.
    static let invalidBodies: [(String, Set<String>)] = [
        (allocationBody(site: "site_002"), ["site_id"]),
        (allocationBody(devices: ["pack_001", "pack_999"]), ["allocation.devices[1].device_id"]),
        (allocationBody(devices: ["pack_other"]), ["allocation.devices[0].device_id"]),
        (allocationBody(devices: ["pack_001", "pack_001"]), ["allocation.devices[1].device_id"]),
        (allocationBody(minutes: "0"), ["demand.duration_minutes"]),
        (allocationBody(minutes: "-5"), ["demand.duration_minutes"]),
        (allocationBody(minutes: "1440.5"), ["demand.duration_minutes"]),
        (allocationBody(minutes: "1e300"), ["demand.duration_minutes"]),
        (allocationBody(minutes: "\"60\""), ["demand.duration_minutes"]),
        (allocationBody(id: ""), ["allocation_id"]),
        (allocationBody().replacingOccurrences(of: "\"efficiency_score\": 0.94", with: "\"efficiency_score\": 1.5"), ["allocation.efficiency_score"]),
        (allocationBody().replacingOccurrences(of: "\"priority\": \"high\"", with: "\"priority\": \"high\", \"urgency\": 3"), ["demand.urgency"]),
        (allocationBody().replacingOccurrences(of: "\"allocated_power\": -5000", with: "\"allocated_power\": null"),
         ["allocation.devices[0].allocated_power", "allocation.devices[1].allocated_power"]),
        (allocationBody(site: "site_002", devices: ["pack_999"]), ["site_id", "allocation.devices[0].device_id"]),
        (#"{"schema_version": "1.0", "timestamp": "#, [""]),
        ("[]", [""]),
    ]

    @Test(arguments: invalidBodies)
    func invalidAllocationIsRefused(text: String, expected: Set<String>) async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        try await api.application().test(.router) { client in
            let refused = try await client.execute(uri: Self.uri, method: .post, headers: APIFixture.headers(api.adminKey.key), body: body(text))
            #expect(refused.status == .badRequest)
            #expect(refused.json?["error"]?["code"]?.stringValue == "VALIDATION_ERROR")
            #expect(refused.json?["error"]?["trace_id"]?.stringValue == refused.headers[.traceID])
            #expect(Self.fields(refused) == expected)
            #expect(api.commands.allocations.withLock { $0.isEmpty })
        }
    }

    /// Milliseconds from now to the allocation's timestamp (30 minutes long) → accepted. Over (made 30 minutes
    /// ago or earlier) or dated more than 300 s ahead of the relay's clock: refused, naming `timestamp`.
    static let windows: [(Int64, Bool)] = [
        (-31 * 60_000, false), (-29 * 60_000, true), (0, true), (240_000, true), (10 * 60_000, false),
    ]

    @Test(arguments: windows)
    func allocationMustBeCurrent(offset: Int64, accepted: Bool) async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        let text = Self.allocationBody(at: Timestamp(Date()).adding(milliseconds: offset))
        try await api.application().test(.router) { client in
            let response = try await client.execute(uri: Self.uri, method: .post, headers: APIFixture.headers(api.adminKey.key), body: body(text))
            let expected: HTTPResponse.Status = accepted ? .accepted : .badRequest
            #expect(response.status == expected)
            if !accepted { #expect(Self.fields(response) == ["timestamp"]) }
        }
    }

    /// The unknown device is named in the message.
    @Test func unknownDeviceIsNamed() async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        try await api.application().test(.router) { client in
            let refused = try await client.execute(
                uri: Self.uri, method: .post, headers: APIFixture.headers(api.adminKey.key),
                body: body(Self.allocationBody(devices: ["pack_001", "pack_999"])))
            let error = refused.json?["error"]?["details"]?["field_errors"]?.arrayValue?.first
            #expect(error?["received_value"]?.stringValue == "pack_999")
            #expect(error?["message"]?.stringValue?.contains("pack_999") == true)
        }
    }

    /// Operators of the site only; a site with neither packs nor an agent is 404; a site with only an agent is
    /// known.
    @Test func rolesSitesAndUnknownSites() async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        let agent = AgentStatusMessage(timestamp: Timestamp(Date()), siteID: "site_003", status: .online, agentVersion: "1.0", deviceIDs: [])
        try api.store.recordAgentStatus(siteID: "site_003", agent, receivedAt: Timestamp(Date()))
        let viewer = APIFixture.headers(try APIFixture.token(role: "viewer"))
        let otherSiteOperator = APIFixture.headers(try APIFixture.token(role: "operator", sites: ["site_002"]))
        let admin = APIFixture.headers(api.adminKey.key)
        try await api.application().test(.router) { client in
            let anonymous = try await client.execute(uri: Self.uri, method: .post, headers: APIFixture.headers(nil), body: body(Self.allocationBody()))
            #expect(anonymous.status == .unauthorized)
            let read = try await client.execute(uri: Self.uri, method: .post, headers: viewer, body: body(Self.allocationBody()))
            #expect(read.status == .forbidden)
            #expect(read.json?["error"]?["code"]?.stringValue == "INSUFFICIENT_PERMISSIONS")
            let foreign = try await client.execute(uri: Self.uri, method: .post, headers: otherSiteOperator, body: body(Self.allocationBody()))
            #expect(foreign.status == .forbidden)
            #expect(foreign.json?["error"]?["code"]?.stringValue == "SITE_FORBIDDEN")
            let missing = try await client.execute(
                uri: "/api/v1/fleet/site_404/allocation", method: .post, headers: admin, body: body(Self.allocationBody(site: "site_404")))
            #expect(missing.status == .notFound)
            #expect(missing.json?["error"]?["code"]?.stringValue == "SITE_NOT_FOUND")
            #expect(api.commands.allocations.withLock { $0.isEmpty })

            let agentOnly = try await client.execute(
                uri: "/api/v1/fleet/site_003/allocation", method: .post, headers: admin,
                body: body(Self.allocationBody(site: "site_003", devices: [])))
            #expect(agentOnly.status == .accepted)
            #expect(api.commands.allocations.withLock { sent in sent.map { $0.1 } } == ["site_003"])
        }
    }

    /// A broker that does not take the allocation: 503, and the caller knows it was not delivered.
    @Test func undeliveredAllocationIsReported() async throws {
        let api = try Self.fixture()
        defer { api.remove() }
        api.commands.failing.withLock { $0 = true }
        try await api.application().test(.router) { client in
            let undelivered = try await client.execute(
                uri: Self.uri, method: .post, headers: APIFixture.headers(api.adminKey.key), body: body(Self.allocationBody()))
            #expect(undelivered.status == .serviceUnavailable)
            #expect(undelivered.json?["error"]?["code"]?.stringValue == "ALLOCATION_NOT_DELIVERED")
            #expect(undelivered.json?["error"]?["details"]?["allocation_id"]?.stringValue == "alloc_1")
        }
    }
}
