import BMSCore
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: telemetry ingest")
struct TelemetryIngestTests {
    private let t0 = StorageSamples.start
    private let oneHour = StorageSamples.start.adding(milliseconds: 3_600_000 - 1)

    private func everything(_ store: SQLiteRelayStore) throws -> [TelemetryResolution: (TelemetrySeries, TelemetryStatistics)] {
        var result: [TelemetryResolution: (TelemetrySeries, TelemetryStatistics)] = [:]
        for resolution in TelemetryResolution.allCases {
            result[resolution] = (
                try store.telemetry(deviceID: "pack_a", from: t0, to: oneHour, resolution: resolution, metrics: []),
                try store.statistics(deviceID: "pack_a", from: t0, to: oneHour, resolution: resolution, metrics: [])
            )
        }
        return result
    }

    @Test func replaysShufflesAndDuplicatesNeverChangeWhatIsStored() throws {
        let messages = (0..<1000).map { StorageSamples.synthetic("pack_a", second: $0) }
        let ordered = try StoreFixture()
        defer { ordered.remove() }
        for start in stride(from: 0, to: 1000, by: 100) {
            let outcome = try ordered.store.ingest(Array(messages[start..<start + 100]), receivedAt: t0)
            #expect(outcome.inserted == 100 && outcome.duplicates == 0 && outcome.rejected == 0)
        }

        // The same messages twice, shuffled, plus 200 random repeats interleaved with first arrivals.
        var generator = SplitMix64(seed: 42)
        var stream = messages.shuffled(using: &generator) + messages.shuffled(using: &generator)
        stream += (0..<200).map { _ in messages[Int.random(in: 0..<1000, using: &generator)] }
        stream.shuffle(using: &generator)
        let replayed = try StoreFixture()
        defer { replayed.remove() }
        var inserted = 0
        var duplicates = 0
        for start in stride(from: 0, to: stream.count, by: 97) {
            let outcome = try replayed.store.ingest(Array(stream[start..<min(start + 97, stream.count)]), receivedAt: t0)
            inserted += outcome.inserted
            duplicates += outcome.duplicates
        }
        #expect(inserted == 1000 && duplicates == stream.count - 1000)

        let expected = try everything(ordered.store)
        let actual = try everything(replayed.store)
        for resolution in TelemetryResolution.allCases {
            let (expectedSeries, expectedStatistics) = try #require(expected[resolution])
            let (actualSeries, actualStatistics) = try #require(actual[resolution])
            #expect(actualSeries.timestamps == expectedSeries.timestamps, "\(resolution)")
            for metric in TelemetryMetric.allCases {
                // Sums added in another order agree to rounding; the raw samples are the very same.
                #expect(agree(actualStatistics[metric], expectedStatistics[metric]), "\(resolution) \(metric)")
                let pairs = zip(actualSeries[metric] ?? [], expectedSeries[metric] ?? [])
                #expect(pairs.allSatisfy { agree($0, $1) }, "\(resolution) \(metric)")
            }
        }
        #expect(actual[.raw]?.0 == expected[.raw]?.0)
        #expect(expected[.minute]?.0.timestamps.count == 17)

        // Replaying everything into the first store changes nothing at all.
        let replay = try ordered.store.ingest(messages, receivedAt: t0.adding(milliseconds: 3_600_000))
        #expect(replay == IngestOutcome(inserted: 0, duplicates: 1000, rejected: 0, advancedDevices: []))
        let after = try everything(ordered.store)
        for resolution in TelemetryResolution.allCases {
            #expect(after[resolution]?.0 == expected[resolution]?.0 && after[resolution]?.1 == expected[resolution]?.1)
        }
    }

    @Test func theLatestStateKeepsTheNewestMeasurement() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        func sample(_ sequence: UInt64, second: Int64, soc: Double) -> TelemetryMessage {
            StorageSamples.telemetry("pack_a", sequence: sequence, at: StorageSamples.at(seconds: second), pack: StorageSamples.pack(soc: soc))
        }
        func state() throws -> DeviceLatestState? { try store.device(id: "pack_a")?.state }
        _ = try store.register(StorageSamples.registration("pack_a"), at: t0)
        #expect(try store.ingest([sample(10, second: 10, soc: 70)], receivedAt: StorageSamples.at(seconds: 11)).advancedDevices == ["pack_a"])
        let late = try store.ingest([sample(5, second: 5, soc: 40)], receivedAt: StorageSamples.at(seconds: 12))
        #expect(late.inserted == 1 && late.advancedDevices.isEmpty)
        var current = try #require(try state())
        #expect(current.soc == 70 && current.sequenceNumber == 10 && current.telemetryAt == StorageSamples.at(seconds: 10))
        #expect(current.lastReceivedAt == StorageSamples.at(seconds: 12))  // the relay did hear from it

        // Out of order inside one batch; then an equal timestamp with a higher sequence number.
        _ = try store.ingest([sample(12, second: 12, soc: 72), sample(11, second: 11, soc: 71)], receivedAt: StorageSamples.at(seconds: 13))
        #expect(try state()?.soc == 72)
        #expect(try store.ingest([sample(13, second: 12, soc: 73)], receivedAt: StorageSamples.at(seconds: 14)).advancedDevices == ["pack_a"])
        let duplicate = try store.ingest([sample(13, second: 12, soc: 73)], receivedAt: StorageSamples.at(seconds: 15))
        #expect(duplicate.duplicates == 1 && duplicate.advancedDevices.isEmpty)
        current = try #require(try state())
        #expect(current.soc == 73 && current.sequenceNumber == 13 && current.lastReceivedAt == StorageSamples.at(seconds: 15))
    }

    @Test func telemetryOfAnUnknownPackIsKeptAndShowsOnceRegistered() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let alarm = AlarmDetail(code: "SOC_002", severity: .warning, message: "low", data: [:])
        let message = StorageSamples.telemetry(
            "ghost", sequence: 1, at: t0, pack: StorageSamples.pack(soc: 12, soh: 88), state: .discharging,
            alarms: StorageSamples.alarms([alarm]))
        #expect(try store.ingest([message], receivedAt: t0).inserted == 1)
        #expect(try store.device(id: "ghost") == nil)
        #expect(try store.telemetry(deviceID: "ghost", from: t0, to: t0, resolution: .raw, metrics: [.soc]).soc == [12])
        #expect(try store.activeDeviceCount(receivedSince: t0) == 1)
        #expect(try store.activeDeviceCount(receivedSince: t0.adding(milliseconds: 1)) == 0)

        let registered = try store.register(StorageSamples.registration("ghost"), at: t0.adding(milliseconds: 500))
        let status = registered.currentStatus(now: t0.adding(milliseconds: 1000), offlineAfter: .seconds(60))
        #expect(status == DeviceCurrentStatus(status: .online, lastSeen: t0, currentSoC: 12, currentSoH: 88, activeAlarms: ["SOC_002"]))
        #expect(registered.device(now: t0, offlineAfter: .seconds(60)).safetyConstraints.maxCellVoltage != nil)
    }

    @Test func aMetricNoSampleHasIsLeftOutAndAGapDropsOnlyItsPoint() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let temperatures: [Double?] = [25, nil, 25]
        var messages: [TelemetryMessage] = []
        for index in 0..<3 {
            let pack = StorageSamples.pack(voltage: 50 + Double(index), temperature: temperatures[index], soh: nil)
            messages.append(
                StorageSamples.telemetry("pack_a", sequence: UInt64(index + 1), at: StorageSamples.at(seconds: Int64(index)), pack: pack))
        }
        _ = try store.ingest(messages, receivedAt: t0)
        let all = try store.telemetry(deviceID: "pack_a", from: t0, to: StorageSamples.at(seconds: 2), resolution: .raw, metrics: [])
        #expect(all.soh == nil && all.voltage == [50, 52] && all.temperature == [25, 25] && all.timestamps.count == 2)
        let voltage = try store.telemetry(
            deviceID: "pack_a", from: t0, to: StorageSamples.at(seconds: 2), resolution: .raw, metrics: [.voltage, .voltage])
        #expect(voltage == TelemetrySeries(timestamps: (0..<3).map { StorageSamples.at(seconds: $0) }, voltage: [50, 51, 52]))
        let statistics = try store.statistics(deviceID: "pack_a", from: t0, to: StorageSamples.at(seconds: 2), resolution: .minute, metrics: [])
        #expect(statistics.soh == nil && statistics.temperature == MetricStatistics(min: 25, max: 25, avg: 25, std: 0))
        #expect(statistics.voltage.map { agree($0.avg, 51) && agree($0.std, (2.0 / 3).squareRoot()) } == true)
    }

    @Test func aNonFiniteValueRejectsOnlyItsMessage() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let messages = [
            StorageSamples.telemetry("pack_a", sequence: 1, at: t0),
            StorageSamples.telemetry("pack_a", sequence: 2, at: t0, pack: StorageSamples.pack(voltage: .nan)),
            StorageSamples.telemetry("pack_a", sequence: 3, at: t0, pack: StorageSamples.pack(soc: .infinity)),
        ]
        let outcome = try fixture.store.ingest(messages, receivedAt: t0)
        #expect(outcome == IngestOutcome(inserted: 1, duplicates: 0, rejected: 2, advancedDevices: ["pack_a"]))
    }
}
