import Testing

@testable import BMSCore

@Suite("Pack twin from a datasheet")
struct PackTwinStandardTests {
    @Test func sizesThePackFromItsNameplate() throws {
        let twin = try PackTwin(
            standardFor: .lfp, nominalCapacityAmpHours: 280, seriesCells: 16, parallelCells: 2, soc: 0.4,
            temperatureCelsius: 31, stateOfHealth: 0.9)
        #expect(twin.pack.cell.chemistry == .lfp)
        #expect(twin.pack.cell.capacityAmpHours == 140)
        #expect(twin.pack.packCapacityAmpHours == 280)
        #expect(abs(twin.pack.usableCapacityAmpHours - 252) < 1e-9)
        #expect(twin.pack.seriesCells == 16 && twin.pack.parallelCells == 2)
        #expect(twin.pack.soc == 0.4 && twin.pack.temperatureCelsius == 31)
        #expect(twin.pack.ambientTemperatureCelsius == 31)  // the surroundings hold the pack where it is
        // 20 J/(K·Ah) × 140 Ah × 32 cells, τ = 1 h.
        #expect(abs(twin.pack.thermal.thermalMassJoulesPerKelvin - 89_600) < 1e-6)
        #expect(abs(twin.pack.thermal.timeConstantSeconds - 3600) < 1e-9)
        #expect(twin.ageing.kind == .lfpGr250AhPrismatic)
        #expect(twin.ageing.elapsedSeconds == 365 * 86_400)
        #expect(twin.ageing.relativeCapacity < 1 && twin.ageing.equivalentFullCycles == 0)

        let fresh = try PackTwin(
            standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.5, temperatureCelsius: 20,
            ambientTemperatureCelsius: 15, calendarAgeDays: 0)
        #expect(fresh.pack.ambientTemperatureCelsius == 15)
        #expect(fresh.ageing == AgeingModel.standard(for: .nmc))
    }

    /// Why the twin starts a year into its calendar life: from a brand-new model, BLAST-Lite's steep first calendar
    /// step makes the relief of a lower SoC outweigh the cycling, so discharging would look like it *slows* ageing.
    @Test func aBrandNewModelWouldShowDischargingAsRelief() throws {
        let fresh = try PackTwin(
            standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.6, temperatureCelsius: 25,
            calendarAgeDays: 0)
        let aged = try PackTwin(
            standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.6, temperatureCelsius: 25)
        #expect(try fresh.degradationImpactPercent(powerWatts: 2_000, duration: .seconds(3600)) < 0)
        #expect(try aged.degradationImpactPercent(powerWatts: 2_000, duration: .seconds(3600)) > 0)
    }

    @Test func rejectsWhatCannotBeAPack() {
        #expect(throws: BatteryModelError.self) {
            try PackTwin(standardFor: .nmc, nominalCapacityAmpHours: 0, seriesCells: 14, soc: 0.5, temperatureCelsius: 25)
        }
        #expect(throws: BatteryModelError.self) {
            try PackTwin(
                standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.5, temperatureCelsius: 25,
                calendarAgeDays: -1)
        }
        #expect(throws: BatteryModelError.self) {
            try PackTwin(standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 0, soc: 0.5, temperatureCelsius: 25)
        }
        #expect(throws: BatteryModelError.self) {
            try PackTwin(standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 1.5, temperatureCelsius: 25)
        }
        #expect(throws: BatteryModelError.self) {
            try PackTwin(
                standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.5, temperatureCelsius: .nan)
        }
    }
}
