import Testing

@testable import BMSCore

@Suite("Chemistry limits")
struct SafetyLimitsTests {
    @Test(arguments: Chemistry.allCases)
    func defaultsAreOrderedAndWithinTheirOwnBounds(chemistry: Chemistry) throws {
        let limits = try SafetyLimits.resolve(chemistry: chemistry, nominalCapacityAmpHours: 100).get()
        for quantity in LimitedQuantity.allCases {
            #expect(limits[quantity].isOrdered, "\(chemistry) \(quantity)")
        }
        let defaults = ChemistryLimits.defaults(for: chemistry)
        #expect(limits.cellVoltageMax.maximumSafety <= defaults.cellVoltageCeiling)
        #expect(limits.cellVoltageMin.maximumSafety >= defaults.cellVoltageFloor)
        #expect(limits.chargeTemperatureMin.maximumSafety >= 0)
    }

    @Test func documentedNumbers() {
        let lfp = ChemistryLimits.defaults(for: .lfp)
        #expect(lfp.cellVoltageMax.maximumSafety == 3.65)
        #expect(lfp.cellVoltageMin.operating == 2.50)
        #expect(lfp.cellVoltageMin.maximumSafety == 2.00)
        let nmc = ChemistryLimits.defaults(for: .nmc)
        #expect(nmc.cellVoltageMax.maximumSafety == 4.20)
        #expect(nmc.cellVoltageMin.maximumSafety == 2.50)
        // The client's safety analysis: 45 °C warning, 55 °C alarm, 65 °C critical.
        #expect([nmc.dischargeTemperatureMax.operating, nmc.dischargeTemperatureMax.recommendedSafety,
                 nmc.dischargeTemperatureMax.maximumSafety] == [45, 55, 65])
        #expect(nmc.chargeTemperatureMin.maximumSafety == 0)
        #expect(nmc.chargeTemperatureMax.maximumSafety == 45)
    }

    @Test func currentsScaleWithCapacity() throws {
        let limits = try SafetyLimits.resolve(chemistry: .lfp, nominalCapacityAmpHours: 280).get()
        #expect(limits.chargeCurrentMax.maximumSafety == 280)
        #expect(limits.chargeCurrentMax.operating == 140)
        #expect(limits.dischargeCurrentMax.maximumSafety == 560)
    }

    @Test func constraintMovesEveryLevelAndKeepsTheMargins() throws {
        let limits = try SafetyLimits.resolve(
            chemistry: .nmc, nominalCapacityAmpHours: 100,
            constraints: SafetyConstraints(maxCellVoltage: 4.15, maxChargeCurrent: 50)
        ).get()
        #expect(abs(limits.cellVoltageMax.operating - 4.05) < 1e-9)
        #expect(abs(limits.cellVoltageMax.recommendedSafety - 4.10) < 1e-9)
        #expect(limits.cellVoltageMax.maximumSafety == 4.15)
        #expect(limits.chargeCurrentMax.maximumSafety == 50)
        #expect(limits.chargeCurrentMax.operating == 25)
        #expect(limits.safetyConstraints.maxCellVoltage == 4.15)
    }

    @Test func temperatureWindowNarrowsTheChargeWindow() throws {
        let limits = try SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 100,
            constraints: SafetyConstraints(temperatureLimits: TemperatureLimits(max: 40, min: 5))
        ).get()
        #expect(limits.dischargeTemperatureMax.maximumSafety == 40)
        #expect(limits.chargeTemperatureMax.maximumSafety == 40)  // was 45: narrowed
        #expect(limits.dischargeTemperatureMin.maximumSafety == 5)
        #expect(limits.chargeTemperatureMin.maximumSafety == 5)  // was 0: narrowed
        let wide = try SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 100,
            constraints: SafetyConstraints(temperatureLimits: TemperatureLimits(max: 70, min: -30))
        ).get()
        #expect(wide.chargeTemperatureMax.maximumSafety == 45)  // a wider pack window never widens charging
        #expect(wide.chargeTemperatureMin.maximumSafety == 0)
    }

    /// Each override bound, just inside and just outside.
    @Test(arguments: [
        (Chemistry.lfp, 3.80, true), (.lfp, 3.81, false), (.nmc, 4.35, true), (.nmc, 4.36, false),
        (.nca, 4.30, true), (.nca, 4.31, false), (.lco, 4.35, true), (.lco, 4.351, false),
    ])
    func cellVoltageCeiling(chemistry: Chemistry, maximum: Double, accepted: Bool) {
        let result = SafetyLimits.resolve(
            chemistry: chemistry, nominalCapacityAmpHours: 50, constraints: SafetyConstraints(maxCellVoltage: maximum))
        switch result {
        case .success: #expect(accepted)
        case .failure(let failure):
            #expect(!accepted)
            #expect(failure.fieldErrors.map(\.field) == ["safety_constraints.max_cell_voltage"])
            #expect(failure.fieldErrors.first?.receivedValue == .number(maximum))
        }
    }

    @Test(arguments: [(Chemistry.lfp, 2.0, true), (.lfp, 1.99, false), (.nmc, 2.5, true), (.nmc, 2.49, false)])
    func cellVoltageFloor(chemistry: Chemistry, minimum: Double, accepted: Bool) {
        let result = SafetyLimits.resolve(
            chemistry: chemistry, nominalCapacityAmpHours: 50, constraints: SafetyConstraints(minCellVoltage: minimum))
        #expect(((try? result.get()) != nil) == accepted)
    }

    @Test(arguments: [(0.0, true), (-0.1, false)])
    func chargingNeverBelowFreezing(minimum: Double, accepted: Bool) {
        let overrides = SafetyLimitOverrides([
            .chargeTemperatureMin: LevelOverride(operating: minimum + 5, recommendedSafety: minimum + 2, maximumSafety: minimum),
        ])
        let result = SafetyLimits.resolve(chemistry: .nmc, nominalCapacityAmpHours: 50, overrides: overrides)
        switch result {
        case .success: #expect(accepted)
        case .failure(let failure):
            #expect(!accepted)
            #expect(failure.fieldErrors.map(\.field) == ["safety_overrides.charge_temperature_min"])
        }
    }

    @Test func overrideThatBreaksTheOrderFailsWithItsPath() {
        // Upper limit: operating 4.18 above recommended 4.15.
        let upper = SafetyLimits.resolve(
            chemistry: .nmc, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([.cellVoltageMax: LevelOverride(operating: 4.18)]))
        guard case .failure(let failure) = upper else {
            Issue.record("accepted")
            return
        }
        #expect(failure.fieldErrors.map(\.field) == ["safety_overrides.cell_voltage_max"])
        #expect(failure.fieldErrors.first?.message.contains("operating (4.18) < recommended safety (4.15)") == true)
        #expect(failure.fieldErrors.first?.receivedValue == ["operating": 4.18])

        // Lower limit (mirror): maximum safety 2.9 above recommended 2.75.
        let lower = SafetyLimits.resolve(
            chemistry: .nmc, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([.cellVoltageMin: LevelOverride(maximumSafety: 2.9)]))
        #expect((try? lower.get()) == nil)

        // Equal levels are not ordered either.
        let equal = SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([.dischargeCurrentMax: LevelOverride(operating: 75, recommendedSafety: 75)]))
        #expect((try? equal.get()) == nil)

        // A consistent full override is accepted.
        let consistent = SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([
                .cellVoltageMax: LevelOverride(operating: 3.45, recommendedSafety: 3.50, maximumSafety: 3.55),
            ]))
        #expect((try? consistent.get())?.cellVoltageMax.maximumSafety == 3.55)
    }

    @Test func nonFiniteOverrideIsRejected() {
        let result = SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([.cellVoltageMax: LevelOverride(operating: .nan)]))
        #expect((try? result.get()) == nil)
    }

    @Test func emptyVoltageWindowIsRejected() {
        let result = SafetyLimits.resolve(
            chemistry: .lfp, nominalCapacityAmpHours: 50,
            overrides: SafetyLimitOverrides([.cellVoltageMin: LevelOverride(operating: 3.6, recommendedSafety: 3.0, maximumSafety: 2.5)]))
        guard case .failure(let failure) = result else {
            Issue.record("accepted")
            return
        }
        #expect(failure.fieldErrors.contains { $0.message.contains("operating window is empty") })
    }

    @Test func overridesDecodeFromConfigKeysAndRejectUnknownOnes() throws {
        let overrides = try WireCoding.decode(
            SafetyLimitOverrides.self, from: Array(#"{"cell_voltage_max": {"maximum_safety": 3.6}}"#.utf8))
        #expect(overrides[.cellVoltageMax]?.maximumSafety == 3.6)
        #expect(throws: WireDecodingError.self) {
            try WireCoding.decode(SafetyLimitOverrides.self, from: Array(#"{"cell_volts_max": {}}"#.utf8))
        }
    }
}
