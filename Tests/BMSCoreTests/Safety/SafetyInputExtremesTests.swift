import Testing

@testable import BMSCore

/// Packs that report only their lowest and highest cell (CAN-bus BMS 0x373, `cell_voltage_min`, …): the safety
/// rules see those extremes with no cell number, stale extremes neither trip nor release, and per-cell values
/// win where a pack has both.
@Suite("Safety input from cell extremes")
struct SafetyInputExtremesTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    /// A pack that reports only its extremes, sample `step` (one per second), everything else well inside
    /// its limits. The lowest cell sits 10 mV under the highest and the coldest 1 K under the hottest, so
    /// neither spread rule interferes.
    static func extremesOnly(
        step: Int = 0, highestCell: Double = 3.30, hottestCell: Double = 25, isStale: Bool = false
    ) -> PackSnapshot {
        let time = start.adding(milliseconds: Int64(step) * 1000)
        func reading(_ value: Double) -> Measured<Double> { Measured(value, at: time, isStale: isStale) }
        return PackSnapshot(
            deviceID: "can-pack", takenAt: time, voltage: Measured(52.8, at: time), current: Measured(10, at: time),
            temperature: reading(hottestCell - 0.5), soc: Measured(50, at: time),
            cellVoltageMin: reading(highestCell - 0.01), cellVoltageMax: reading(highestCell),
            cellTemperatureMin: reading(hottestCell - 1), cellTemperatureMax: reading(hottestCell))
    }

    /// Feeds `samples` extremes-only snapshots and returns the last verdict.
    static func feed(
        _ monitor: inout SafetyMonitor, samples: Int, highestCell: Double = 3.30, hottestCell: Double = 25,
        isStale: Bool = false
    ) -> SafetyVerdict {
        func input(_ step: Int) -> SafetyInput {
            SafetyInput(extremesOnly(step: step, highestCell: highestCell, hottestCell: hottestCell, isStale: isStale))
        }
        var verdict = monitor.evaluate(input(0))
        for step in 1..<max(1, samples) { verdict = monitor.evaluate(input(step)) }
        return verdict
    }

    static func rule(_ id: String) throws -> SafetyRule {
        try #require(try SafetyMonitorTests.monitor(.lfp).rules.first { $0.id == id })
    }

    // MARK: - Quantities

    @Test func extremesBecomeTheQuantitiesWithoutACellNumber() {
        let t = Self.start
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: t, temperature: Measured(27, at: t), cellVoltageMin: Measured(3.28, at: t),
            cellVoltageMax: Measured(3.41, at: t), cellTemperatureMin: Measured(24, at: t),
            cellTemperatureMax: Measured(31, at: t))
        let input = SafetyInput(snapshot)
        #expect(input[.maxCellVoltage] == SafetyInput.Value(3.41))
        #expect(input[.minCellVoltage] == SafetyInput.Value(3.28))
        #expect(abs((input[.cellVoltageSpread]?.value ?? 0) - 0.13) < 1e-12)
        #expect(input[.cellVoltageSpread]?.cellNumber == nil)
        // The pack temperature (27 °C) lies between the coldest and hottest cell.
        #expect(input[.maxTemperature] == SafetyInput.Value(31))
        #expect(input[.minTemperature] == SafetyInput.Value(24))
        #expect(input[.temperatureSpread] == SafetyInput.Value(7))
    }

    @Test func onlyOneExtremeGivesOnlyItsQuantity() {
        let t = Self.start
        let input = SafetyInput(PackSnapshot(deviceID: "p", takenAt: t, cellVoltageMax: Measured(3.41, at: t)))
        #expect(input[.maxCellVoltage] == SafetyInput.Value(3.41))
        #expect(input[.minCellVoltage] == nil)
        #expect(input[.cellVoltageSpread] == nil)
        #expect(input[.maxTemperature] == nil)
    }

    // MARK: - Thresholds from both sides

    /// SAF-OV-01 on the highest cell the pack reports: exactly on each level's threshold does not trip it,
    /// just beyond does, with the level's actions and no cell number.
    @Test(arguments: [Severity.warning, .alarm, .critical])
    func overVoltageFromExtremes(severity: Severity) throws {
        let rule = try Self.rule("SAF-OV-01")
        let threshold = try #require(rule.limit.threshold(severity))
        let epsilon = max(abs(threshold) * 1e-6, 1e-6)

        var inside = try SafetyMonitorTests.monitor(.lfp)
        let quiet = Self.feed(&inside, samples: rule.debounceSamples + 2, highestCell: threshold)
        let insideLevel = quiet.alarms.first { $0.code == rule.code }?.severity
        #expect(insideLevel.map { $0 < severity } ?? true, "\(rule.id) at \(threshold)")

        var beyond = try SafetyMonitorTests.monitor(.lfp)
        let tripped = Self.feed(&beyond, samples: rule.debounceSamples, highestCell: threshold + epsilon)
        let alarm = try #require(tripped.alarms.first { $0.code == rule.code }, "\(rule.id) at \(threshold + epsilon)")
        #expect(alarm.severity == severity)
        #expect(alarm.data["voltage"] == .number(threshold + epsilon))
        #expect(alarm.data["cell_number"] == nil)
        switch severity {
        case .critical: #expect(tripped.actions.contains(.openContactors))
        case .alarm: #expect(tripped.chargeCurrentLimit == 0)
        default: #expect(tripped.chargeCurrentLimit <= beyond.limits.chargeCurrentMax.operating * 0.5 + 1e-9)
        }
    }

    /// SAF-OT-01 on the hottest cell the pack reports: 45 / 55 / 65 °C for LFP.
    @Test(arguments: [Severity.warning, .alarm, .critical])
    func overTemperatureFromExtremes(severity: Severity) throws {
        let rule = try Self.rule("SAF-OT-01")
        let threshold = try #require(rule.limit.threshold(severity))
        let epsilon = max(abs(threshold) * 1e-6, 1e-6)

        var inside = try SafetyMonitorTests.monitor(.lfp)
        let quiet = Self.feed(&inside, samples: rule.debounceSamples + 2, hottestCell: threshold)
        let insideLevel = quiet.alarms.first { $0.code == rule.code }?.severity
        #expect(insideLevel.map { $0 < severity } ?? true, "\(rule.id) at \(threshold)")

        var beyond = try SafetyMonitorTests.monitor(.lfp)
        let tripped = Self.feed(&beyond, samples: rule.debounceSamples, hottestCell: threshold + epsilon)
        let alarm = try #require(tripped.alarms.first { $0.code == rule.code }, "\(rule.id) at \(threshold + epsilon)")
        #expect(alarm.severity == severity)
        #expect(alarm.data["temperature"] == .number(threshold + epsilon))
        #expect(alarm.data["cell_number"] == nil)
        let operating = beyond.limits.dischargeCurrentMax.operating
        switch severity {
        case .critical: #expect(tripped.actions.contains(.openContactors))
        case .alarm: #expect(tripped.dischargeCurrentLimit <= operating * 0.25 + 1e-9)
        default: #expect(tripped.dischargeCurrentLimit <= operating * 0.75 + 1e-9)
        }
    }

    // MARK: - Staleness

    @Test func staleExtremesNeitherTrip() throws {
        var monitor = try SafetyMonitorTests.monitor(.lfp)
        let verdict = Self.feed(&monitor, samples: 10, highestCell: 3.70, hottestCell: 70, isStale: true)
        #expect(!verdict.alarms.contains { $0.code == "VOLT_001" || $0.code == "TEMP_001" })
        let input = SafetyInput(Self.extremesOnly(highestCell: 3.70, hottestCell: 70, isStale: true))
        #expect(input[.maxCellVoltage] == nil && input[.minCellVoltage] == nil && input[.cellVoltageSpread] == nil)
        #expect(input[.maxTemperature] == nil && input[.minTemperature] == nil && input[.temperatureSpread] == nil)
    }

    @Test func staleExtremesNeitherRelease() throws {
        var monitor = try SafetyMonitorTests.monitor(.lfp)
        let warned = Self.feed(&monitor, samples: 3, hottestCell: 46)  // LFP warning at 45 °C, not latched
        #expect(warned.alarms.first { $0.code == "TEMP_001" }?.severity == .warning)
        // A cool reading that has gone stale must not release the warning.
        let held = Self.feed(&monitor, samples: 10, hottestCell: 30, isStale: true)
        #expect(held.alarms.first { $0.code == "TEMP_001" }?.severity == .warning)
        // Fresh again, it releases after the debounce count.
        let released = Self.feed(&monitor, samples: 3, hottestCell: 30)
        #expect(!released.alarms.contains { $0.code == "TEMP_001" })
    }

    @Test func markingStaleCoversTheExtremes() {
        let fresh = Self.extremesOnly(highestCell: 3.40, hottestCell: 31)
        let stale = fresh.markedStale(at: Self.start.adding(milliseconds: 2000), dataQuality: 0.5)
        #expect(stale.cellVoltageMin == fresh.cellVoltageMin?.markedStale)
        #expect(stale.cellVoltageMax == Measured(3.40, at: Self.start, isStale: true))
        #expect(stale.cellTemperatureMin?.isStale == true && stale.cellTemperatureMax?.isStale == true)
        #expect(stale.cellTemperatureMax?.value == 31)
        let input = SafetyInput(stale)
        #expect(input[.maxCellVoltage] == nil && input[.maxTemperature] == nil)
        #expect(input[.secondsSinceLastRead]?.value == 2)
    }

    // MARK: - Per-cell values win

    @Test func perCellValuesWinOverExtremes() {
        let t = Self.start
        // Extremes that would trip every level: ignored while the per-cell arrays have fresh values.
        let both = PackSnapshot(
            deviceID: "p", takenAt: t, cellVoltages: [Measured(3.30, at: t), Measured(3.41, at: t)],
            cellTemperatures: [Measured(25, at: t), Measured(31, at: t)], cellVoltageMin: Measured(2.0, at: t),
            cellVoltageMax: Measured(3.90, at: t), cellTemperatureMin: Measured(-30, at: t),
            cellTemperatureMax: Measured(80, at: t))
        let input = SafetyInput(both)
        #expect(input[.maxCellVoltage] == SafetyInput.Value(3.41, cellNumber: 2))
        #expect(input[.minCellVoltage] == SafetyInput.Value(3.30, cellNumber: 1))
        #expect(input[.maxTemperature] == SafetyInput.Value(31, cellNumber: 2))
        #expect(input[.minTemperature] == SafetyInput.Value(25, cellNumber: 1))

        // With every per-cell value stale, the fresh extremes are what is known.
        var cellsStale = both
        cellsStale.cellVoltages = both.cellVoltages.map(\.markedStale)
        cellsStale.cellTemperatures = both.cellTemperatures.map(\.markedStale)
        let fallback = SafetyInput(cellsStale)
        #expect(fallback[.maxCellVoltage] == SafetyInput.Value(3.90))
        #expect(fallback[.minCellVoltage] == SafetyInput.Value(2.0))
        #expect(fallback[.maxTemperature] == SafetyInput.Value(80))
        #expect(fallback[.minTemperature] == SafetyInput.Value(-30))
    }
}
