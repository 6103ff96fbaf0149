import BMSCore
import Foundation
import Hummingbird

/// Power allocations forwarded down to a site's agent.
extension RelayAPI {
    /// How far ahead of the relay's clock an allocation's `timestamp` may be. Allocations are kept newest by
    /// that timestamp, so one dated years ahead would hide every later allocation of its site.
    static let allocationClockSkew = Duration.seconds(300)

    /// POST /fleet/{site_id}/allocation: checks the spec's power allocation message against the site and
    /// publishes it, QoS 1 and not retained, on `pulsebms/{site}/coordinator/allocation`; 202 once the broker
    /// has acknowledged it, 503 (`ALLOCATION_NOT_DELIVERED`) if it does not within `deliveryTimeout`.
    ///
    /// Operators only (the permission of commands), on sites their credentials reach; 404 `SITE_NOT_FOUND` for
    /// a site with neither registered packs nor an agent, as GET /fleet/{site_id}. `site_id` may be left out of
    /// the body (the path's is used). A 400 lists the message's own problems (`PowerAllocationMessage
    /// .fieldErrors`: unknown members, types, `duration_minutes` in (0, 1440], scores in 0–1) together with a
    /// `site_id` other than the path's and devices not registered at the site; once those pass, an allocation
    /// that has already ended or is dated more than `allocationClockSkew` ahead of the relay's clock is a 400.
    ///
    /// The relay checks the message and where it goes, never what it asks of the packs: local safety stays
    /// with the agent, which holds each share inside that pack's own derated limits (`SetpointClamp`) and
    /// falls back to zero power when the allocation ends. The relay records the allocation once the broker has
    /// it, and again (idempotently) when a subscription receives it back (`IngestService`), as it does one
    /// published by any other coordinator.
    func forwardAllocation(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.sendCommand)
        let (siteID, fleet) = try await visibleFleet(context, for: principal)
        var tree = try await request.jsonBody(context: context)
        if case .object(var members) = tree, members["site_id"] == nil {
            members["site_id"] = .string(siteID)
            tree = .object(members)
        }
        let registered = Set(fleet.devices.map(\.deviceID))
        let problems =
            PowerAllocationMessage.fieldErrors(in: tree) + Self.addressingErrors(in: tree, siteID: siteID, registered: registered)
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        let allocation: PowerAllocationMessage
        do {
            allocation = try WireCoding.decode(PowerAllocationMessage.self, from: tree)
        } catch {
            throw APIError.badRequest(error.reason, field: error.path)
        }
        let now = Self.now()
        let expiresAt = try Self.checkWindow(of: allocation, now: now)
        do {
            try await Self.within(Self.deliveryTimeout) { [commands] in try await commands.send(allocation, siteID: siteID) }
        } catch {
            throw APIError(
                status: .serviceUnavailable, code: "ALLOCATION_NOT_DELIVERED",
                message: "The allocation could not be handed to the broker: \(error)",
                details: ["allocation_id": .string(allocation.allocationID), "site_id": .string(siteID)])
        }
        // Recorded here too: with relays sharing a subscription, another relay may be the one that hears it back
        // (recording is idempotent and keeps the newest).
        _ = try await blocking { try store.recordAllocation(allocation, receivedAt: now) }
        return JSONResponse.make(
            AllocationForwarded(allocationID: allocation.allocationID, siteID: siteID, expiresAt: expiresAt), status: .accepted)
    }

    /// The problems of where an allocation goes: a body `site_id` other than the path's, and each device that is
    /// not a registered pack of the site. Values of the wrong kind are left to the message's own rules.
    static func addressingErrors(in tree: JSONValue, siteID: String, registered: Set<String>) -> [FieldError] {
        var problems: [FieldError] = []
        if let bodySiteID = tree["site_id"]?.stringValue, bodySiteID != siteID {
            problems.append(FieldError(field: "site_id", message: "Must be the site of the path, '\(siteID)'", receivedValue: .string(bodySiteID)))
        }
        let shares = tree["allocation"]?["devices"]?.arrayValue ?? []
        for (index, share) in shares.enumerated() {
            guard let deviceID = share["device_id"]?.stringValue, !deviceID.isEmpty, !registered.contains(deviceID) else { continue }
            problems.append(
                FieldError(
                    field: "allocation.devices[\(index)].device_id",
                    message: "Device '\(deviceID)' is not a registered device of site '\(siteID)'", receivedValue: .string(deviceID)))
        }
        return problems
    }

    /// The allocation's end, once it is known to lie ahead of `now` and its timestamp not too far ahead of it.
    /// - Throws: a 400 naming `timestamp` otherwise.
    static func checkWindow(of allocation: PowerAllocationMessage, now: Timestamp) throws(APIError) -> Timestamp {
        guard let expiresAt = allocation.endsAt else {
            throw APIError.badRequest(
                "Must be a duration in minutes above 0", field: "demand.duration_minutes", received: .number(allocation.demand.durationMinutes))
        }
        let received = JSONValue.string(allocation.timestamp.rfc3339)
        if allocation.timestamp.millisecondsSince(now) > allocationClockSkew.saturatingMilliseconds {
            throw APIError.badRequest(
                "Must not be more than \(allocationClockSkew.components.seconds) s ahead of the relay's clock (\(now.rfc3339))",
                field: "timestamp", received: received)
        }
        guard now < expiresAt else {
            throw APIError.badRequest(
                "The allocation ended at \(expiresAt.rfc3339) (timestamp + duration_minutes), before the relay's clock (\(now.rfc3339))",
                field: "timestamp", received: received)
        }
        return expiresAt
    }
}

/// The 202 body of POST /fleet/{site_id}/allocation.
struct AllocationForwarded: Encodable, Sendable {
    var allocationID: String
    var siteID: String
    /// Always `forwarded`: the broker has the allocation. Whether the agent applied it shows in its status, and
    /// the fleet status carries `optimization` while it is in force.
    var status = "forwarded"
    /// The allocation's end by its own timestamp: `timestamp` + `duration_minutes`. (The agent counts the
    /// duration from when it applies the allocation.)
    var expiresAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case allocationID = "allocation_id"
        case siteID = "site_id"
        case status
        case expiresAt = "expires_at"
    }
}
