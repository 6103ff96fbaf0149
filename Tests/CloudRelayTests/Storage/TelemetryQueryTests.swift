import BMSCore
import GRDB
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: telemetry queries, retention and a full disk")
struct TelemetryQueryTests {
    private let t0 = StorageSamples.start
    /// The UTC day of `t0`: 2024-01-15T00:00:00Z.
    private let dayStart = StorageSamples.start.adding(milliseconds: -14 * 3_600_000)

    @Test func rollupStatisticsAgreeWithTheRawSamplesOfASyntheticHour() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let messages = (0..<3600).map { StorageSamples.synthetic("pack_a", second: $0) }
        var generator = SplitMix64(seed: 7)
        let shuffled = messages.shuffled(using: &generator)
        for start in stride(from: 0, to: 3600, by: 100) {
            _ = try store.ingest(Array(shuffled[start..<start + 100]), receivedAt: t0)
        }
        // A range holding the whole UTC day, so that every resolution covers the same samples.
        let dayEnd = dayStart.adding(milliseconds: 86_400_000 - 1)
        let raw = try store.statistics(deviceID: "pack_a", from: dayStart, to: dayEnd, resolution: .raw, metrics: [])
        for metric in TelemetryMetric.allCases {
            let values = messages.compactMap { $0.measurements.pack.value(of: metric) }
            #expect(agree(raw[metric], StorageSamples.reference(values)), "raw \(metric)")
            for resolution in [TelemetryResolution.minute, .hour, .day] {
                let rollup = try store.statistics(deviceID: "pack_a", from: dayStart, to: dayEnd, resolution: resolution, metrics: [metric])
                #expect(agree(rollup[metric], raw[metric]), "\(resolution) \(metric)")
            }
        }

        let minutes = try store.telemetry(deviceID: "pack_a", from: dayStart, to: dayEnd, resolution: .minute, metrics: [.voltage])
        #expect(minutes.timestamps == (0..<60).map { t0.adding(milliseconds: $0 * 60_000) })
        let firstMinute = messages[0..<60].map(\.measurements.pack.voltage)
        #expect(agree(try #require(minutes.voltage?.first), firstMinute.reduce(0, +) / 60))
        #expect(try store.telemetry(deviceID: "pack_a", from: dayStart, to: dayEnd, resolution: .hour, metrics: []).timestamps == [t0])
        #expect(try store.telemetry(deviceID: "pack_a", from: dayStart, to: dayEnd, resolution: .day, metrics: []).timestamps == [dayStart])
    }

    @Test func aRangeSelectsSamplesAndBucketsByTheirStart() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        // Three hours, one sample every 10 s.
        let messages = (0..<1080).map { index in
            StorageSamples.telemetry(
                "pack_a", sequence: UInt64(index + 1), at: StorageSamples.at(seconds: Int64(index) * 10),
                pack: StorageSamples.pack(voltage: 50 + Double(index) / 100))
        }
        _ = try store.ingest(messages, receivedAt: t0)
        let from = StorageSamples.at(seconds: 1800)
        let to = StorageSamples.at(seconds: 5400)

        let raw = try store.telemetry(deviceID: "pack_a", from: from, to: to, resolution: .raw, metrics: [.voltage, .soc])
        #expect(raw.timestamps.count == 361 && raw.timestamps.first == from && raw.timestamps.last == to)
        #expect(zip(raw.timestamps, raw.timestamps.dropFirst()).allSatisfy { $0 < $1 })
        #expect(raw.voltage?.count == 361 && raw.soc?.count == 361 && raw.current == nil && raw.power == nil)
        let (first, last) = (messages[180].measurements.pack.voltage, messages[540].measurements.pack.voltage)
        #expect(raw.voltage?.first == first && raw.voltage?.last == last)
        let statistics = try store.statistics(deviceID: "pack_a", from: from, to: to, resolution: .raw, metrics: [.voltage])
        #expect(statistics.voltage?.min == first && statistics.voltage?.max == last && statistics.soc == nil)

        let minutes = try store.telemetry(deviceID: "pack_a", from: from, to: to, resolution: .minute, metrics: [.voltage])
        #expect(minutes.timestamps.count == 61 && minutes.timestamps.first == from && minutes.timestamps.last == to)
        // Hour buckets start at 0, 1 and 2 h: only the one starting at 1 h lies in [0.5 h, 1.5 h].
        let hours = try store.telemetry(deviceID: "pack_a", from: from, to: to, resolution: .hour, metrics: [.voltage])
        #expect(hours.timestamps == [StorageSamples.at(seconds: 3600)])
        #expect(agree(try #require(hours.voltage?.first), 50 + (360.0 + 719) / 2 / 100))
        #expect(try store.telemetry(deviceID: "pack_a", from: from, to: to, resolution: .day, metrics: []).timestamps.isEmpty)
        #expect(try store.statistics(deviceID: "pack_a", from: from, to: to, resolution: .day, metrics: []) == TelemetryStatistics())
        #expect(try store.telemetry(deviceID: "pack_a", from: to, to: from, resolution: .raw, metrics: []).timestamps.isEmpty)
        #expect(try store.telemetry(deviceID: "pack_b", from: from, to: to, resolution: .raw, metrics: []).timestamps.isEmpty)
    }

    @Test func tooManyPointsNamesACoarserResolution() throws {
        let fixture = try StoreFixture(maximumPoints: 100)
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.ingest((0..<200).map { StorageSamples.synthetic("pack_a", second: $0) }, receivedAt: t0)
        let last = StorageSamples.at(seconds: 199)
        #expect(storeError { try store.telemetry(deviceID: "pack_a", from: t0, to: last, resolution: .raw, metrics: []) }
            == .tooManyPoints(limit: 100, suggestedResolution: .minute))
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: StorageSamples.at(seconds: 99), resolution: .raw, metrics: []).timestamps.count == 100)
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: last, resolution: .minute, metrics: []).timestamps.count == 4)
        // Statistics are one aggregate, never bounded.
        #expect(try store.statistics(deviceID: "pack_a", from: t0, to: last, resolution: .raw, metrics: [.soc]).soc != nil)
        // Over 200 days not even day buckets fit in 100 points.
        let error = storeError {
            try store.telemetry(deviceID: "pack_a", from: t0.adding(milliseconds: -200 * 86_400_000), to: last, resolution: .raw, metrics: [])
        }
        #expect(error == .tooManyPoints(limit: 100, suggestedResolution: nil))
        #expect(error?.description.contains("more than 100 points") == true)
    }

    @Test func pruneRemovesWhatIsPastEachRetention() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        // One sample an hour for three days: each sample is its own minute and hour bucket.
        _ = try store.ingest(
            (0..<72).map { StorageSamples.telemetry("pack_a", sequence: UInt64($0 + 1), at: StorageSamples.at(seconds: Int64($0) * 3600)) },
            receivedAt: t0)
        let now = StorageSamples.at(seconds: 72 * 3600)
        let retention = RetentionPolicy(raw: .seconds(24 * 3600), minute: .seconds(48 * 3600), hour: .seconds(60 * 3600), day: .seconds(100 * 86_400))
        #expect(try store.prune(now: now, retention: retention) == PruneCounts(raw: 48, minute: 24, hour: 12, day: 0))
        #expect(try store.prune(now: now, retention: retention) == PruneCounts())
        let end = now
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: end, resolution: .raw, metrics: []).timestamps.first == StorageSamples.at(seconds: 48 * 3600))
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: end, resolution: .minute, metrics: []).timestamps.count == 48)
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: end, resolution: .hour, metrics: []).timestamps.count == 60)
        #expect(try store.telemetry(deviceID: "pack_a", from: dayStart, to: end, resolution: .day, metrics: []).timestamps.count == 4)
        // "Forever" does not overflow.
        let forever = RetentionPolicy(raw: .seconds(Int64.max), minute: .seconds(Int64.max), hour: .seconds(Int64.max), day: .seconds(Int64.max))
        #expect(try store.prune(now: now, retention: forever) == PruneCounts())
    }

    @Test func aFullDatabaseFailsTheBatchCleanlyAndKeepsEarlierData() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        func batch(_ range: Range<Int>) -> [TelemetryMessage] {
            range.map { StorageSamples.telemetry("pack_a", sequence: UInt64($0 + 1), at: StorageSamples.at(seconds: Int64($0)), cells: 144) }
        }
        _ = try store.ingest(batch(0..<50), receivedAt: t0)
        let hour = StorageSamples.at(seconds: 3600)
        let statistics = try store.statistics(deviceID: "pack_a", from: t0, to: hour, resolution: .minute, metrics: [])
        let raw = try store.telemetry(deviceID: "pack_a", from: t0, to: hour, resolution: .raw, metrics: [])

        // Cap the file at its current size: the next batch cannot grow it (SQLITE_FULL, as on a full disk).
        try store.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let flood = batch(50..<2050)
        let error = storeError { try store.ingest(flood, receivedAt: t0) }
        #expect(error == .storageFull(operation: "ingest 2000 telemetry messages"))
        #expect(error?.description.contains("full") == true)
        #expect(try store.statistics(deviceID: "pack_a", from: t0, to: hour, resolution: .minute, metrics: []) == statistics)
        #expect(try store.telemetry(deviceID: "pack_a", from: t0, to: hour, resolution: .raw, metrics: []) == raw)
        #expect(try store.device(id: "pack_a") == nil)
        try store.ping()

        // Room again: the same batch goes in whole.
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        #expect(try store.ingest(flood, receivedAt: t0).inserted == 2000)
    }
}
