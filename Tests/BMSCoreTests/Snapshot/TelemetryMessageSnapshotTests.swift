import Foundation
import Testing

@testable import BMSCore

/// The telemetry message built from a snapshot never publishes the cell extremes of a pack that reports only
/// those as if they were cells: the spec's telemetry has per-cell arrays and no field for a lowest or highest
/// cell, so such a message has no `cells` block at all.
@Suite("Telemetry from a snapshot")
struct TelemetryMessageSnapshotTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    static func message(_ snapshot: PackSnapshot, verdict: SafetyVerdict) throws -> TelemetryMessage {
        try #require(
            TelemetryMessage(snapshot: snapshot, verdict: verdict, siteID: "site_001", sequenceNumber: 7, uptimeSeconds: 60))
    }

    @Test func extremesOnlyPackHasNoFakeCells() throws {
        var image = CANBusBMSPackImage(voltage: 52.8, current: 20, temperature: 30, soc: 60)
        image.cellVoltageMin = 3.30
        image.cellVoltageMax = 3.31
        image.cellTemperatureMin = 29.85
        image.cellTemperatureMax = 70.85  // above the LFP critical limit (65 °C)
        var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100))
        var snapshot = PackSnapshot(deviceID: "can-pack", takenAt: Self.start)
        var verdict = monitor.evaluate(SafetyInput(snapshot))
        for step in 0..<3 {
            var accumulator = CANBusBMSAccumulator()
            let time = Self.start.adding(milliseconds: Int64(step) * 1000)
            for frame in CANBusBMSEncoder.frames(for: image) { accumulator.ingest(frame, at: time) }
            snapshot = accumulator.snapshot(deviceID: "can-pack", at: time)
            verdict = monitor.evaluate(SafetyInput(snapshot))
        }
        #expect(snapshot.cellVoltageMax != nil && snapshot.cellTemperatureMax != nil)

        let message = try Self.message(snapshot, verdict: verdict)
        #expect(message.measurements.cells == nil)
        #expect(CANTestFixtures.close(message.measurements.pack.voltage, 52.8))
        #expect(CANTestFixtures.close(message.measurements.pack.temperature ?? .nan, 30))  // 0x356, not a cell
        let alarm = try #require(message.alarms.details.first { $0.code == "TEMP_001" })
        #expect(alarm.severity == .critical)
        #expect(alarm.data["cell_number"] == nil)

        let json = String(decoding: try WireCoding.encode(message), as: UTF8.self)
        #expect(!json.contains("\"cells\""))
        #expect(!json.contains("\"cell_number\""))
        #expect(try WireCoding.decode(TelemetryMessage.self, from: Data(json.utf8)) == message)
    }

    @Test func perCellPackKeepsItsCellsAndIgnoresExtremes() throws {
        let t = Self.start
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: t, voltage: Measured(52.8, at: t), current: Measured(-10, at: t),
            cellVoltages: [Measured(3.30, at: t), Measured(3.31, at: t)],
            cellTemperatures: [Measured(25, at: t), Measured(26, at: t)], cellVoltageMin: Measured(3.0, at: t),
            cellVoltageMax: Measured(3.5, at: t), balancing: [Measured(false, at: t), Measured(true, at: t)])
        var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100))
        let message = try Self.message(snapshot, verdict: monitor.evaluate(SafetyInput(snapshot)))
        #expect(message.measurements.cells == CellMeasurements(
            count: 2, voltages: [3.30, 3.31], temperatures: [25, 26], balancingStatus: [0, 1]))
    }

    @Test func staleExtremesAreNotPublishedEither() throws {
        let t = Self.start
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: t, voltage: Measured(52.8, at: t), current: Measured(0, at: t),
            cellVoltageMin: Measured(3.3, at: t, isStale: true), cellVoltageMax: Measured(3.31, at: t, isStale: true))
        var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100))
        let message = try Self.message(snapshot, verdict: monitor.evaluate(SafetyInput(snapshot)))
        #expect(message.measurements.cells == nil)
    }
}
