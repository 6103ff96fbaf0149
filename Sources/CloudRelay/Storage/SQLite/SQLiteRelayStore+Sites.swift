import BMSCore
import GRDB

extension SQLiteRelayStore {
    func recordAgentStatus(siteID: String, _ message: AgentStatusMessage, receivedAt: Timestamp) throws(RelayStoreError) {
        try writing("record agent status of site '\(siteID)'") { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_status (site_id, status, message, timestamp_ms, received_at_ms)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (site_id) DO UPDATE SET status = excluded.status, message = excluded.message,
                        timestamp_ms = excluded.timestamp_ms, received_at_ms = excluded.received_at_ms
                    WHERE excluded.received_at_ms >= agent_status.received_at_ms
                    """,
                arguments: [
                    siteID, message.status.rawValue, try Self.json(message), message.timestamp.millisecondsSinceEpoch,
                    receivedAt.millisecondsSinceEpoch,
                ])
        }
    }

    func fleetSummary(siteID: String) throws(RelayStoreError) -> StoredFleet {
        try reading("read fleet of site '\(siteID)'") { db in
            let devices = try Row.fetchAll(
                db.cachedStatement(sql: "\(Self.deviceSelect) WHERE d.site_id = ? ORDER BY d.device_id"), arguments: [siteID]
            ).map(Self.storedDevice)
            let agent = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT message, received_at_ms FROM agent_status WHERE site_id = ?"), arguments: [siteID]
            ).map { row in
                StoredAgentStatus(
                    siteID: siteID, message: try Self.decodeJSON(AgentStatusMessage.self, row, "message"),
                    receivedAt: try Self.timestamp(row, "received_at_ms"))
            }
            var acknowledged: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT device_id, COUNT(*) AS count FROM alert
                    WHERE site_id = ? AND resolved_at_ms IS NULL AND acknowledged_at_ms IS NOT NULL
                    GROUP BY device_id
                    """,
                arguments: [siteID])
            {
                acknowledged[try row.decode(String.self, forColumn: "device_id")] = try row.decode(Int.self, forColumn: "count")
            }
            return StoredFleet(
                siteID: siteID, agent: agent, devices: devices, allocation: try Self.fetchAllocation(db, siteID: siteID),
                acknowledgedAlerts: acknowledged)
        }
    }

    // MARK: - Retention

    /// One transaction per pack, so that ingest never waits for a whole prune.
    func prune(now: Timestamp, retention: RetentionPolicy) throws(RelayStoreError) -> PruneCounts {
        // Every pack with telemetry has a state row: ingest writes both in one transaction.
        let deviceIDs = try reading("list devices to prune") { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT device_id FROM device_state ORDER BY device_id"))
        }
        func cutoff(_ kept: Duration) -> Timestamp {
            now.addingSaturating(milliseconds: -max(0, kept.saturatingMilliseconds))
        }
        let rawCutoff = cutoff(retention.raw).millisecondsSinceEpoch
        // A bucket goes once all of it is past its retention: start + width <= cutoff.
        var buckets: [(resolution: TelemetryResolution, table: String, lastStart: Int64)] = []
        let retentions: [(TelemetryResolution, Duration)] = [
            (TelemetryResolution.minute, retention.minute), (TelemetryResolution.hour, retention.hour),
            (TelemetryResolution.day, retention.day),
        ]
        for (resolution, kept) in retentions {
            guard let table = Self.rollupTable(resolution), let width = resolution.bucketMilliseconds else { continue }
            buckets.append((resolution, table, cutoff(kept).addingSaturating(milliseconds: -width).millisecondsSinceEpoch))
        }
        var counts = PruneCounts()
        for deviceID in deviceIDs {
            let removed: PruneCounts = try writing("prune telemetry of device '\(deviceID)'") { db in
                var removed = PruneCounts()
                try db.execute(
                    sql: "DELETE FROM telemetry_raw WHERE device_id = ? AND timestamp_ms < ?",
                    arguments: [deviceID, rawCutoff])
                removed.raw = db.changesCount
                for bucket in buckets {
                    try db.execute(
                        sql: "DELETE FROM \(bucket.table) WHERE device_id = ? AND bucket_start_ms <= ?",
                        arguments: [deviceID, bucket.lastStart])
                    switch bucket.resolution {
                    case .minute: removed.minute = db.changesCount
                    case .hour: removed.hour = db.changesCount
                    case .day: removed.day = db.changesCount
                    case .raw: break
                    }
                }
                return removed
            }
            counts.raw += removed.raw
            counts.minute += removed.minute
            counts.hour += removed.hour
            counts.day += removed.day
        }
        return counts
    }
}
