import BMSCore
import GRDB

extension SQLiteRelayStore {
    func ingest(_ messages: [TelemetryMessage], receivedAt: Timestamp) throws(RelayStoreError) -> IngestOutcome {
        // Checked and encoded before the transaction, to keep the write lock short.
        let prepared = messages.compactMap(PreparedTelemetry.init)
        let rejected = messages.count - prepared.count
        guard !prepared.isEmpty else { return IngestOutcome(inserted: 0, duplicates: 0, rejected: rejected, advancedDevices: []) }
        return try writing("ingest \(prepared.count) telemetry messages") { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO telemetry_raw (device_id, sequence_number, site_id, timestamp_ms,
                        voltage, current, power, temperature, soc, soh, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device_id, sequence_number) DO NOTHING
                    """)
            var fresh: [PreparedTelemetry] = []
            fresh.reserveCapacity(prepared.count)
            for telemetry in prepared {
                try insert.execute(arguments: telemetry.rawArguments)
                if db.changesCount > 0 { fresh.append(telemetry) }
            }
            for resolution in Self.rollupResolutions {
                try Self.accumulate(fresh, into: resolution, db)
            }
            try Self.noteReceipt(of: prepared, at: receivedAt, db)
            let advanced = try Self.advanceLatestState(with: fresh, db)
            return IngestOutcome(
                inserted: fresh.count, duplicates: prepared.count - fresh.count, rejected: rejected,
                advancedDevices: advanced)
        }
    }

    /// Adds newly stored samples to the rollup buckets of one resolution: one upsert per touched bucket.
    private static func accumulate(_ fresh: [PreparedTelemetry], into resolution: TelemetryResolution, _ db: Database) throws {
        guard let table = rollupTable(resolution), let width = resolution.bucketMilliseconds, !fresh.isEmpty else { return }
        var buckets: [BucketKey: [MetricSums]] = [:]
        for telemetry in fresh {
            let key = BucketKey(
                deviceID: telemetry.deviceID,
                start: TelemetryResolution.bucketStart(of: telemetry.timestampMilliseconds, width: width))
            var sums = buckets[key] ?? Array(repeating: MetricSums(), count: TelemetryMetric.allCases.count)
            for (index, value) in telemetry.values.enumerated() { sums[index].add(value) }
            buckets[key] = sums
        }
        let upsert = try db.cachedStatement(sql: rollupUpsertSQL(table))
        for (key, sums) in buckets {
            var arguments: [(any DatabaseValueConvertible)?] = [key.deviceID, key.start]
            for metric in sums {
                arguments += [metric.count, metric.sum, metric.sumOfSquares, metric.minimum, metric.maximum]
            }
            try upsert.execute(arguments: StatementArguments(arguments))
        }
    }

    /// `INSERT … ON CONFLICT DO UPDATE` adding a batch's sums to a bucket. Unqualified columns on the right
    /// are the stored row; `coalesce` keeps min/max right when either side has no sample yet.
    private static func rollupUpsertSQL(_ table: String) -> String {
        let metrics = TelemetryMetric.allCases.map(\.rawValue)
        let columns = ["device_id", "bucket_start_ms"] + metrics.flatMap { ["\($0)_n", "\($0)_sum", "\($0)_sumsq", "\($0)_min", "\($0)_max"] }
        let updates = metrics.flatMap { name in
            [
                "\(name)_n = \(name)_n + excluded.\(name)_n",
                "\(name)_sum = \(name)_sum + excluded.\(name)_sum",
                "\(name)_sumsq = \(name)_sumsq + excluded.\(name)_sumsq",
                "\(name)_min = min(coalesce(\(name)_min, excluded.\(name)_min), coalesce(excluded.\(name)_min, \(name)_min))",
                "\(name)_max = max(coalesce(\(name)_max, excluded.\(name)_max), coalesce(excluded.\(name)_max, \(name)_max))",
            ]
        }
        return """
            INSERT INTO \(table) (\(columns.joined(separator: ", ")))
            VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
            ON CONFLICT (device_id, bucket_start_ms) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }

    /// The relay heard from these packs now, duplicates included (a replaying agent is alive).
    private static func noteReceipt(of prepared: [PreparedTelemetry], at time: Timestamp, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO device_state (device_id, last_received_at_ms) VALUES (?, ?)
                ON CONFLICT (device_id) DO UPDATE SET last_received_at_ms =
                    max(coalesce(last_received_at_ms, excluded.last_received_at_ms), excluded.last_received_at_ms)
                """)
        for deviceID in Set(prepared.map(\.deviceID)) {
            try statement.execute(arguments: [deviceID, time.millisecondsSinceEpoch])
        }
    }

    /// Moves each pack's latest state to its newest new sample, unless a newer one is stored already
    /// (ordered by measurement time, then sequence number): out-of-order arrival keeps the newest.
    private static func advanceLatestState(with fresh: [PreparedTelemetry], _ db: Database) throws -> Set<String> {
        var newest: [String: PreparedTelemetry] = [:]
        for telemetry in fresh {
            if let held = newest[telemetry.deviceID],
                (held.timestampMilliseconds, held.sequence) >= (telemetry.timestampMilliseconds, telemetry.sequence)
            {
                continue
            }
            newest[telemetry.deviceID] = telemetry
        }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO device_state (device_id, telemetry_at_ms, sequence_number, voltage, current, power,
                    temperature, soc, soh, operational_state, alarm_count, alarm_codes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (device_id) DO UPDATE SET
                    telemetry_at_ms = excluded.telemetry_at_ms, sequence_number = excluded.sequence_number,
                    voltage = excluded.voltage, current = excluded.current, power = excluded.power,
                    temperature = excluded.temperature, soc = excluded.soc, soh = excluded.soh,
                    operational_state = excluded.operational_state, alarm_count = excluded.alarm_count,
                    alarm_codes = excluded.alarm_codes
                WHERE device_state.telemetry_at_ms IS NULL
                    OR excluded.telemetry_at_ms > device_state.telemetry_at_ms
                    OR (excluded.telemetry_at_ms = device_state.telemetry_at_ms
                        AND excluded.sequence_number > device_state.sequence_number)
                """)
        var advanced: Set<String> = []
        for (deviceID, telemetry) in newest {
            try statement.execute(arguments: try telemetry.stateArguments())
            if db.changesCount > 0 { advanced.insert(deviceID) }
        }
        return advanced
    }
}

private struct BucketKey: Hashable {
    var deviceID: String
    var start: Int64
}
