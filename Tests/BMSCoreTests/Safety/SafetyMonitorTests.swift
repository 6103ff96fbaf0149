import Testing

@testable import BMSCore

@Suite("Safety monitor")
struct SafetyMonitorTests {
    static func monitor(_ chemistry: Chemistry, capacity: Double = 100) throws -> SafetyMonitor {
        SafetyMonitor(limits: try SafetyLimits.resolve(chemistry: chemistry, nominalCapacityAmpHours: capacity).get())
    }

    /// Feeds one quantity `times` times and returns the last verdict.
    static func feed(
        _ monitor: inout SafetyMonitor, _ quantity: SafetyQuantity, _ value: Double, times: Int
    ) -> SafetyVerdict {
        var verdict = monitor.evaluate(SafetyInput(values: [quantity: .init(value, cellNumber: 7)]))
        for _ in 1..<max(1, times) {
            verdict = monitor.evaluate(SafetyInput(values: [quantity: .init(value, cellNumber: 7)]))
        }
        return verdict
    }

    static let cases: [(Chemistry, Int, Severity)] = Chemistry.allCases.flatMap { chemistry in
        (0..<SafetyRule.standardRules(limits: SafetyLimits(defaultsFor: chemistry, nominalCapacityAmpHours: 100)).count)
            .flatMap { rule in [Severity.warning, .alarm, .critical].map { (chemistry, rule, $0) } }
    }

    /// Every rule of every chemistry, every level: just inside the threshold does not trip it, just beyond does.
    @Test(arguments: cases)
    func eachThresholdFromBothSides(chemistry: Chemistry, ruleIndex: Int, severity: Severity) throws {
        var inside = try Self.monitor(chemistry)
        let rule = inside.rules[ruleIndex]
        let threshold = try #require(rule.limit.threshold(severity))
        let epsilon = max(abs(threshold) * 1e-6, 1e-6)
        let (justInside, justBeyond) = rule.limit.direction == .upper
            ? (threshold, threshold + epsilon) : (threshold, threshold - epsilon)
        let quiet = Self.feed(&inside, rule.quantity, justInside, times: rule.debounceSamples + 2)
        let insideLevel = quiet.alarms.first { $0.code == rule.code }?.severity
        #expect(insideLevel == nil || insideLevel! < severity, "\(rule.id) at \(justInside)")

        var beyond = try Self.monitor(chemistry)
        let tripped = Self.feed(&beyond, rule.quantity, justBeyond, times: rule.debounceSamples)
        let alarm = try #require(tripped.alarms.first { $0.code == rule.code }, "\(rule.id) at \(justBeyond)")
        #expect(alarm.severity == severity)
        #expect(alarm.data["threshold"] == .number(threshold))
        #expect(alarm.data["rule"] == .string(rule.id))
        #expect(tripped.flags.contains("\(rule.flagStem)_\(severity.rawValue)"))
        for action in rule.actions(at: severity) {
            switch action {
            case .openContactors: #expect(tripped.actions.contains(.openContactors))
            case .stopCharge: #expect(tripped.chargeCurrentLimit == 0)
            case .stopDischarge: #expect(tripped.dischargeCurrentLimit == 0)
            case .derateCharge(let fraction): #expect(tripped.chargeCurrentLimit <= beyond.limits.chargeCurrentMax.operating * fraction + 1e-9)
            case .derateDischarge(let fraction): #expect(tripped.dischargeCurrentLimit <= beyond.limits.dischargeCurrentMax.operating * fraction + 1e-9)
            }
        }
    }

    @Test func debounceNeedsConsecutiveNetViolations() throws {
        var monitor = try Self.monitor(.nmc)
        let hot = 56.0  // above the 55 °C alarm level
        #expect(Self.feed(&monitor, .maxTemperature, hot, times: 2).alarms.isEmpty)  // 2 of 3 samples
        // One clear sample takes the counter back down (up/down counter), so two more are not enough...
        _ = Self.feed(&monitor, .maxTemperature, 20, times: 1)
        #expect(Self.feed(&monitor, .maxTemperature, hot, times: 1).alarms.isEmpty)
        // ...but the next one is.
        let verdict = Self.feed(&monitor, .maxTemperature, hot, times: 1)
        #expect(verdict.alarms.first { $0.code == "TEMP_001" }?.severity == .alarm)
    }

    @Test func hysteresisHoldsTheAlarmUntilClearlyBelow() throws {
        var monitor = try Self.monitor(.lfp)
        _ = Self.feed(&monitor, .maxTemperature, 46, times: 3)  // warning at 45
        // 44 °C is below 45 but inside the 2 K band: the warning holds.
        #expect(Self.feed(&monitor, .maxTemperature, 44, times: 10).alarms.first { $0.code == "TEMP_001" }?.severity == .warning)
        // 43 °C clears by the full hysteresis; it takes the debounce count of clear samples to release.
        #expect(Self.feed(&monitor, .maxTemperature, 43, times: 2).alarms.contains { $0.code == "TEMP_001" })
        let released = Self.feed(&monitor, .maxTemperature, 43, times: 1)
        #expect(!released.alarms.contains { $0.code == "TEMP_001" })
        #expect(released.transitions.contains(AlarmTransition(ruleID: "SAF-OT-01", code: "TEMP_001", from: .warning, to: nil)))
    }

    /// The client's temperature table: 45 °C → 75 %, 55 °C → 25 %, 65 °C → emergency shutdown.
    @Test func clientTemperatureActions() throws {
        var monitor = try Self.monitor(.nmc)
        let base = monitor.limits.dischargeCurrentMax.operating
        var verdict = Self.feed(&monitor, .maxTemperature, 45.5, times: 3)
        #expect(verdict.dischargeCurrentLimit == base * 0.75)
        verdict = Self.feed(&monitor, .maxTemperature, 55.5, times: 3)
        #expect(verdict.dischargeCurrentLimit == base * 0.25)
        #expect(verdict.transitions.contains { $0.code == "TEMP_001" && $0.from == .warning && $0.to == .alarm })
        verdict = Self.feed(&monitor, .maxTemperature, 65.5, times: 3)
        #expect(verdict.actions.first == .openContactors)
        #expect(verdict.chargeCurrentLimit == 0 && verdict.dischargeCurrentLimit == 0)
        #expect(verdict.highestSeverity == .critical)
    }

    /// The verdict says when temperature sets a current limit (reported as `temperature_derate`): only when a
    /// temperature rule derates or stops that direction and nothing else cuts deeper.
    @Test func temperatureDeratingIsToldApart() throws {
        var monitor = try Self.monitor(.nmc)
        var verdict = Self.feed(&monitor, .maxTemperature, 25, times: 3)
        #expect(!verdict.chargeDeratedForTemperature && !verdict.dischargeDeratedForTemperature)
        // 45.5 °C: discharge derated to 75 % (SAF-OT-01); charge stopped by the 45 °C charging maximum (SAF-OTC-01).
        verdict = Self.feed(&monitor, .maxTemperature, 45.5, times: 3)
        #expect(verdict.dischargeDeratedForTemperature && verdict.chargeDeratedForTemperature)

        // 46 °C with the lowest cell at 2.9 V: the under-voltage warning (50 %) cuts discharge deeper than 75 %.
        var both = try Self.monitor(.nmc)
        let input = SafetyInput(values: [.maxTemperature: .init(46), .minCellVoltage: .init(2.9, cellNumber: 3)])
        for _ in 0..<3 { verdict = both.evaluate(input) }
        #expect(verdict.dischargeCurrentLimit == both.limits.dischargeCurrentMax.operating * 0.5)
        #expect(!verdict.dischargeDeratedForTemperature)
        #expect(verdict.chargeDeratedForTemperature)

        // A voltage derating alone is not a temperature derating.
        var voltage = try Self.monitor(.nmc)
        verdict = Self.feed(&voltage, .minCellVoltage, 2.9, times: 2)
        #expect(verdict.dischargeCurrentLimit < voltage.limits.dischargeCurrentMax.operating)
        #expect(!verdict.dischargeDeratedForTemperature && !verdict.chargeDeratedForTemperature)
    }

    @Test func criticalIsLatchedUntilResetAndResetNeedsTheCauseCleared() throws {
        var monitor = try Self.monitor(.lfp)
        _ = Self.feed(&monitor, .maxCellVoltage, 3.70, times: 2)
        #expect(monitor.latchedRuleIDs == ["SAF-OV-01"])
        // The voltage falls back to normal: the latch holds.
        var verdict = Self.feed(&monitor, .maxCellVoltage, 3.30, times: 1)
        #expect(verdict.actions.contains(.openContactors))
        // Reset while the cause is still counted (one clear sample of two) is refused.
        #expect(monitor.reset() == SafetyResetOutcome(released: [], stillLatched: ["SAF-OV-01"]))
        verdict = Self.feed(&monitor, .maxCellVoltage, 3.30, times: 1)
        #expect(verdict.actions.contains(.openContactors))
        #expect(monitor.reset() == SafetyResetOutcome(released: ["SAF-OV-01"], stillLatched: []))
        verdict = Self.feed(&monitor, .maxCellVoltage, 3.30, times: 1)
        #expect(verdict.alarms.isEmpty)
        #expect(verdict.actions.isEmpty)
    }

    @Test func staleValuesNeitherTripNorRelease() throws {
        var monitor = try Self.monitor(.nmc)
        var snapshot = PackSnapshot(
            deviceID: "p", takenAt: Timestamp(millisecondsSinceEpoch: 0),
            cellTemperatures: [Measured(70, at: Timestamp(millisecondsSinceEpoch: 0))])
        for _ in 0..<3 { _ = monitor.evaluate(SafetyInput(snapshot)) }
        #expect(monitor.latchedRuleIDs.contains("SAF-OT-01"))
        snapshot = snapshot.markedStale(at: Timestamp(millisecondsSinceEpoch: 2000), dataQuality: 0.5)
        let input = SafetyInput(snapshot)
        #expect(input[.maxTemperature] == nil)
        #expect(input[.secondsSinceLastRead]?.value == 2)
    }

    @Test func communicationLossStopsThePack() throws {
        var monitor = try Self.monitor(.lfp)
        #expect(Self.feed(&monitor, .secondsSinceLastRead, 3, times: 1).alarms.isEmpty)
        #expect(Self.feed(&monitor, .secondsSinceLastRead, 3.1, times: 1).alarms.first?.severity == .warning)
        let verdict = Self.feed(&monitor, .secondsSinceLastRead, 10.1, times: 1)
        #expect(verdict.chargeCurrentLimit == 0 && verdict.dischargeCurrentLimit == 0)
    }

    @Test func inputFromASnapshotFindsTheCells() {
        let t = Timestamp(millisecondsSinceEpoch: 0)
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: t, current: Measured(-30, at: t), soc: Measured(50, at: t),
            cellVoltages: [Measured(3.30, at: t), Measured(3.41, at: t), Measured(3.90, at: t, isStale: true), Measured(3.28, at: t)],
            cellTemperatures: [Measured(25, at: t), Measured(31, at: t)])
        let input = SafetyInput(snapshot)
        #expect(input[.maxCellVoltage] == .init(3.41, cellNumber: 2))
        #expect(input[.minCellVoltage] == .init(3.28, cellNumber: 4))
        #expect(abs((input[.cellVoltageSpread]?.value ?? 0) - 0.13) < 1e-12)
        #expect(input[.maxTemperature] == .init(31, cellNumber: 2))
        #expect(input[.chargeCurrent]?.value == 30)
        #expect(input[.dischargeCurrent]?.value == 0)
    }

    @Test func chargeTaperNearTheTopOfCharge() throws {
        var monitor = try Self.monitor(.lfp)  // operating 3.55, recommended 3.60
        let base = monitor.limits.chargeCurrentMax.operating
        #expect(Self.feed(&monitor, .maxCellVoltage, 3.55, times: 1).chargeCurrentLimit == base)
        let halfway = Self.feed(&monitor, .maxCellVoltage, 3.575, times: 1).chargeCurrentLimit
        #expect(abs(halfway - base * 0.5) < 1e-6)
    }
}

@Suite("Safety monitor with stale data")
struct SafetyMonitorStaleTests {
    @Test func taperHoldsWhenCellVoltagesGoStale() throws {
        var monitor = try SafetyMonitorTests.monitor(.lfp)  // taper from 3.55 to 3.60 V
        let base = monitor.limits.chargeCurrentMax.operating
        let tapered = SafetyMonitorTests.feed(&monitor, .maxCellVoltage, 3.59, times: 1).chargeCurrentLimit
        #expect(tapered < base * 0.25)
        // The next sample has no fresh cell voltage: the limit must not jump back up.
        let stale = monitor.evaluate(SafetyInput(values: [.secondsSinceLastRead: .init(1)]))
        #expect(stale.chargeCurrentLimit == tapered)
    }
}
