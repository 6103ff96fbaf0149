import BMSCore
import GRDB

extension SQLiteRelayStore {
    func telemetry(
        deviceID: String, from: Timestamp, to: Timestamp, resolution: TelemetryResolution, metrics: [TelemetryMetric]
    ) throws(RelayStoreError) -> TelemetrySeries {
        let limit = maximumPoints
        // One point more than allowed tells "too many" without counting the whole range.
        let points = try reading("query telemetry of device '\(deviceID)'") { db in
            try Self.points(db, deviceID: deviceID, from: from, to: to, resolution: resolution, limit: limit + 1)
        }
        guard points.count <= limit else {
            throw RelayStoreError.tooManyPoints(
                limit: limit, suggestedResolution: resolution.coarserFitting(from: from, to: to, limit: limit))
        }
        return Self.series(points, metrics: Self.requested(metrics))
    }

    func statistics(
        deviceID: String, from: Timestamp, to: Timestamp, resolution: TelemetryResolution, metrics: [TelemetryMetric]
    ) throws(RelayStoreError) -> TelemetryStatistics {
        let requestedMetrics = Self.requested(metrics)
        let table: String
        let timeColumn: String
        let expressions: [String]
        if let rollup = Self.rollupTable(resolution) {
            table = rollup
            timeColumn = "bucket_start_ms"
            expressions = requestedMetrics.flatMap { metric in
                let name = metric.rawValue
                return ["COALESCE(SUM(\(name)_n), 0)", "TOTAL(\(name)_sum)", "TOTAL(\(name)_sumsq)", "MIN(\(name)_min)", "MAX(\(name)_max)"]
            }
        } else {
            table = "telemetry_raw"
            timeColumn = "timestamp_ms"
            expressions = requestedMetrics.flatMap { metric in
                let name = metric.rawValue
                return ["COUNT(\(name))", "TOTAL(\(name))", "TOTAL(\(name) * \(name))", "MIN(\(name))", "MAX(\(name))"]
            }
        }
        let sql = """
            SELECT \(expressions.joined(separator: ", ")) FROM \(table)
            WHERE device_id = ? AND \(timeColumn) BETWEEN ? AND ?
            """
        let sums: [TelemetryMetric: MetricSums] = try reading("statistics of device '\(deviceID)'") { db in
            let arguments: StatementArguments = [deviceID, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
            guard let row = try Row.fetchOne(db, sql: sql, arguments: arguments) else { return [:] }
            var sums: [TelemetryMetric: MetricSums] = [:]
            for (position, metric) in requestedMetrics.enumerated() {
                let base = position * 5
                sums[metric] = MetricSums(
                    count: try row.decode(Int64.self, atIndex: base), sum: try row.decode(Double.self, atIndex: base + 1),
                    sumOfSquares: try row.decode(Double.self, atIndex: base + 2),
                    minimum: try row.decode(Double?.self, atIndex: base + 3),
                    maximum: try row.decode(Double?.self, atIndex: base + 4))
            }
            return sums
        }
        var statistics = TelemetryStatistics()
        for (metric, metricSums) in sums { statistics[metric] = metricSums.statistics }
        return statistics
    }

    func activeDeviceCount(receivedSince: Timestamp) throws(RelayStoreError) -> Int {
        try reading("count active devices") { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM device_state WHERE last_received_at_ms >= ?"),
                arguments: [receivedSince.millisecondsSinceEpoch]) ?? 0
        }
    }

    // MARK: - Points

    /// The requested metrics without repeats, in request order; all of them when none is named.
    static func requested(_ metrics: [TelemetryMetric]) -> [TelemetryMetric] {
        guard !metrics.isEmpty else { return TelemetryMetric.allCases }
        var seen: Set<TelemetryMetric> = []
        return metrics.filter { seen.insert($0).inserted }
    }

    /// Raw samples, or buckets with each metric's mean, with a timestamp in `[from, to]`, oldest first.
    private static func points(
        _ db: Database, deviceID: String, from: Timestamp, to: Timestamp, resolution: TelemetryResolution, limit: Int
    ) throws -> [SeriesPoint] {
        let arguments: StatementArguments = [deviceID, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch, limit]
        guard let table = rollupTable(resolution) else {
            let columns = TelemetryMetric.allCases.map(\.rawValue).joined(separator: ", ")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT timestamp_ms, \(columns) FROM telemetry_raw
                    WHERE device_id = ? AND timestamp_ms BETWEEN ? AND ?
                    ORDER BY timestamp_ms, sequence_number LIMIT ?
                    """,
                arguments: arguments)
            return try rows.map { row in
                var point = SeriesPoint(timestamp: try row.decode(Int64.self, forColumn: "timestamp_ms"))
                for metric in TelemetryMetric.allCases {
                    point.values[metric] = try row.decode(Double?.self, forColumn: metric.rawValue)
                }
                return point
            }
        }
        let columns = TelemetryMetric.allCases.map { "\($0.rawValue)_n, \($0.rawValue)_sum" }.joined(separator: ", ")
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT bucket_start_ms, \(columns) FROM \(table)
                WHERE device_id = ? AND bucket_start_ms BETWEEN ? AND ?
                ORDER BY bucket_start_ms LIMIT ?
                """,
            arguments: arguments)
        return try rows.map { row in
            var point = SeriesPoint(timestamp: try row.decode(Int64.self, forColumn: "bucket_start_ms"))
            for metric in TelemetryMetric.allCases {
                let count = try row.decode(Int64.self, forColumn: "\(metric.rawValue)_n")
                guard count > 0 else { continue }
                point.values[metric] = try row.decode(Double.self, forColumn: "\(metric.rawValue)_sum") / Double(count)
            }
            return point
        }
    }

    /// Column-wise series of `metrics`. A metric without a value in any point is left out; of the others, a
    /// point lacking any is dropped, so every array has the length of `timestamps` without invented values.
    static func series(_ points: [SeriesPoint], metrics: [TelemetryMetric]) -> TelemetrySeries {
        let present = points.isEmpty ? metrics : metrics.filter { metric in points.contains { $0.values[metric] != nil } }
        let complete = points.filter { point in present.allSatisfy { point.values[$0] != nil } }
        var series = TelemetrySeries(timestamps: complete.map { Timestamp(millisecondsSinceEpoch: $0.timestamp) })
        for metric in present {
            series[metric] = complete.compactMap { $0.values[metric] }
        }
        return series
    }
}

/// One sample or bucket: its timestamp (the bucket's start) and the metrics it has a value for.
struct SeriesPoint: Sendable, Equatable {
    var timestamp: Int64
    var values: [TelemetryMetric: Double] = [:]
}
