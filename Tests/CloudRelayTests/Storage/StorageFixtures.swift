import BMSCore
import Foundation
import Testing
import TestSupport

@testable import CloudRelay

/// A relay store on a fresh temporary directory; `remove()` deletes both.
struct StoreFixture {
    let directory: TemporaryDirectory
    let store: SQLiteRelayStore

    init(maximumPoints: Int = SQLiteRelayStore.defaultMaximumPoints) throws {
        directory = try TemporaryDirectory("relay-store")
        store = try SQLiteRelayStore(directory: directory.path, maximumPoints: maximumPoints)
    }

    /// A second store on the same file, as after a restart.
    func reopen() throws -> SQLiteRelayStore {
        try SQLiteRelayStore(directory: directory.path, maximumPoints: store.maximumPoints)
    }

    func remove() { directory.remove() }
}

/// The error a store call throws, or `nil` if it succeeds. Any other error fails the test.
func storeError<Value>(
    _ body: () throws -> Value, sourceLocation: SourceLocation = #_sourceLocation
) -> RelayStoreError? {
    do {
        _ = try body()
        return nil
    } catch let error as RelayStoreError {
        return error
    } catch {
        Issue.record("not a RelayStoreError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `a` and `b` agree within `relative` of their magnitude, at least 1 (so values near 0 compare absolutely).
func agree(_ a: Double, _ b: Double, within relative: Double = 1e-9) -> Bool {
    abs(a - b) <= relative * max(1, abs(a), abs(b))
}

func agree(_ a: MetricStatistics?, _ b: MetricStatistics?, within relative: Double = 1e-9) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return agree(a.min, b.min, within: relative) && agree(a.max, b.max, within: relative)
        && agree(a.avg, b.avg, within: relative) && agree(a.std, b.std, within: relative)
}

enum StorageSamples {
    /// 2024-01-15T14:00:00Z: the start of a minute and of an hour; its UTC day began 14 h earlier.
    static let start = Timestamp(millisecondsSinceEpoch: 1_705_327_200_000)

    static func at(seconds: Int64) -> Timestamp { start.adding(milliseconds: seconds * 1000) }

    static func registration(_ id: String, site: String = "site_001", capacity: Double = 100) -> DeviceRegistration {
        DeviceRegistration(
            deviceID: id, siteID: site, name: "Pack \(id)", chemistry: .lfp,
            specifications: DeviceSpecifications(
                nominalCapacityAmpHours: capacity, nominalVoltageVolts: 51.2, seriesCells: 16, parallelCells: 1))
    }

    static func pack(
        voltage: Double = 51.2, current: Double = -10, power: Double? = -512, temperature: Double? = 25,
        soc: Double? = 60, soh: Double? = 95
    ) -> PackMeasurements {
        PackMeasurements(voltage: voltage, current: current, power: power, temperature: temperature, soc: soc, soh: soh)
    }

    static func telemetry(
        _ device: String, site: String = "site_001", sequence: UInt64, at time: Timestamp, pack: PackMeasurements = StorageSamples.pack(),
        state: OperationalState = .idle, alarms: AlarmSummary = .none, cells: Int = 0
    ) -> TelemetryMessage {
        let cellBlock =
            cells > 0
            ? CellMeasurements(
                count: cells, voltages: (0..<cells).map { 3.2 + Double($0 % 7) * 0.001 },
                temperatures: (0..<cells).map { 25 + Double($0 % 5) * 0.1 }, balancingStatus: (0..<cells).map { $0 % 2 })
            : nil
        return TelemetryMessage(
            timestamp: time, sequenceNumber: sequence, deviceInfo: DeviceInfo(deviceID: device, siteID: site),
            measurements: Measurements(pack: pack, cells: cellBlock),
            status: RuntimeStatus(operationalState: state, communicationQuality: 1, uptimeSeconds: 100), alarms: alarms)
    }

    /// Sample `second` of a synthetic 1 Hz series: smooth signals with means well away from 0, so that relative
    /// comparisons mean something.
    static func synthetic(_ device: String, second: Int) -> TelemetryMessage {
        let t = Double(second)
        let voltage = 400 + 10 * sin(2 * .pi * t / 600)
        let current = 20 + 50 * sin(2 * .pi * t / 900 + 0.3)
        let pack = PackMeasurements(
            voltage: voltage, current: current, power: voltage * current, temperature: 25 + 5 * sin(2 * .pi * t / 3600),
            soc: 20 + 60 * t / 3600, soh: 90 - 2 * t / 3600)
        return telemetry(device, sequence: UInt64(second + 1), at: at(seconds: Int64(second)), pack: pack)
    }

    /// Two-pass statistics, the reference the store's sums are checked against.
    static func reference(_ values: [Double]) -> MetricStatistics? {
        guard let minimum = values.min(), let maximum = values.max() else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return MetricStatistics(min: minimum, max: maximum, avg: mean, std: variance.squareRoot())
    }

    static func alarms(_ details: [AlarmDetail]) -> AlarmSummary {
        AlarmSummary(activeCount: details.count, flags: details.map { $0.code.lowercased() }, details: details)
    }
}
