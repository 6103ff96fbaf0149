import BMSCore
import GRDB

extension SQLiteRelayStore {
    /// Keeps a site's allocation if it is newer than the stored one: a later `timestamp`, or the same one and a
    /// greater `allocation_id` (so that two allocations of the same instant leave the same winner whatever
    /// order they arrive in). A redelivery of the stored allocation changes nothing.
    func recordAllocation(_ message: PowerAllocationMessage, receivedAt: Timestamp) throws(RelayStoreError) -> Bool {
        let siteID = message.siteID
        guard let expiresAt = message.endsAt else {
            throw .storage("record allocation '\(message.allocationID)' of site '\(siteID)' failed: duration_minutes is not usable")
        }
        return try writing("record allocation '\(message.allocationID)' of site '\(siteID)'") { db in
            try db.execute(
                sql: """
                    INSERT INTO site_allocation (site_id, allocation_id, message, timestamp_ms, expires_at_ms, received_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (site_id) DO UPDATE SET allocation_id = excluded.allocation_id, message = excluded.message,
                        timestamp_ms = excluded.timestamp_ms, expires_at_ms = excluded.expires_at_ms,
                        received_at_ms = excluded.received_at_ms
                    WHERE excluded.timestamp_ms > site_allocation.timestamp_ms
                        OR (excluded.timestamp_ms = site_allocation.timestamp_ms
                            AND excluded.allocation_id > site_allocation.allocation_id)
                    """,
                arguments: [
                    siteID, message.allocationID, try Self.json(message), message.timestamp.millisecondsSinceEpoch,
                    expiresAt.millisecondsSinceEpoch, receivedAt.millisecondsSinceEpoch,
                ])
            // 0 when the conflict's WHERE kept the stored row.
            return db.changesCount > 0
        }
    }

    /// The newest allocation of a site, for `fleetSummary(siteID:)`.
    static func fetchAllocation(_ db: Database, siteID: String) throws -> StoredAllocation? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT message, expires_at_ms, received_at_ms FROM site_allocation WHERE site_id = ?"),
            arguments: [siteID]
        ).map { row in
            StoredAllocation(
                message: try decodeJSON(PowerAllocationMessage.self, row, "message"),
                expiresAt: try timestamp(row, "expires_at_ms"), receivedAt: try timestamp(row, "received_at_ms"))
        }
    }

    /// Migration `site-allocation`: one row per site, its newest power allocation.
    static let siteAllocationSchema = """
        CREATE TABLE site_allocation (
            site_id TEXT PRIMARY KEY NOT NULL CHECK (site_id <> ''),
            allocation_id TEXT NOT NULL CHECK (allocation_id <> ''),
            message TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms >= timestamp_ms),
            received_at_ms INTEGER NOT NULL
        );
        """
}
