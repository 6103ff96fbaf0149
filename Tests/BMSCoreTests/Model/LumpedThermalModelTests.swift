import Foundation
import Testing

@testable import BMSCore

@Suite("Lumped thermal model")
struct LumpedThermalModelTests {
    /// The issue's pack: 300 kg × 1000 J/(kg·K) = 300 000 J/K, hA = 30 W/K, so τ = 10 000 s.
    static func issuePack() throws -> LumpedThermalModel {
        try LumpedThermalModel(thermalMassJoulesPerKelvin: 300 * 1000, heatTransferWattsPerKelvin: 30)
    }

    /// (500 / 30) · (1 − e^(−3600 / 10 000)) = 5.0387 K.
    static let issueRiseKelvin = (500.0 / 30) * (1 - exp(-0.36))

    @Test func knownAnswerForOneHourAtFiveHundredWatts() throws {
        let thermal = try Self.issuePack()
        #expect(thermal.timeConstantSeconds == 10_000)
        let oneStep = thermal.temperature(after: .seconds(3600), from: 25, heatWatts: 500, ambientCelsius: 25)
        #expect(abs((oneStep - 25) - 5.04) < 0.01)
        #expect(abs((oneStep - 25) - Self.issueRiseKelvin) < 1e-9)

        var stepped = 25.0
        for _ in 0..<3600 {
            stepped = thermal.temperature(after: .seconds(1), from: stepped, heatWatts: 500, ambientCelsius: 25)
        }
        #expect(abs(stepped - oneStep) < 1e-6)
    }

    @Test func packHeatedByItsSeriesResistanceGivesTheKnownAnswer() throws {
        // 1s1p, R0 = 0.05 Ω at 100 A → I²R0 = 500 W. A vanishing R1 keeps U1 = R1·I, and its heat
        // U1²/R1 = R1·I², negligible; the large capacity keeps the cell away from empty.
        let cell = try EquivalentCircuitCell(
            chemistry: .lfp, capacityAmpHours: 1000, seriesResistanceOhms: 0.05,
            polarisationResistanceOhms: 1e-12, polarisationCapacitanceFarads: 1)
        let start = try PackModel(
            cell: cell, seriesCells: 1, parallelCells: 1, thermal: Self.issuePack(), ambientTemperatureCelsius: 25,
            soc: 0.9)
        #expect(abs(start.heatWatts(current: 100) - 500) < 1e-9)

        var oneStep = start
        oneStep.step(current: 100, duration: .seconds(3600))
        #expect(abs((oneStep.temperatureCelsius - 25) - 5.04) < 0.01)
        #expect(abs((oneStep.temperatureCelsius - 25) - Self.issueRiseKelvin) < 1e-9)

        var stepped = start
        for _ in 0..<3600 { stepped.step(current: 100, duration: .seconds(1)) }
        #expect(abs(stepped.temperatureCelsius - oneStep.temperatureCelsius) < 1e-6)
        #expect(abs(stepped.soc - oneStep.soc) < 1e-9)
    }

    @Test func coolsTowardsTheAmbientWithoutHeat() throws {
        let thermal = try Self.issuePack()
        let cooled = thermal.temperature(after: .seconds(10_000), from: 45, heatWatts: 0, ambientCelsius: 25)
        #expect(abs(cooled - (25 + 20 * exp(-1))) < 1e-9)
        #expect(thermal.steadyStateTemperature(heatWatts: 300, ambientCelsius: 20) == 30)
    }

    @Test func adiabaticPackOnlyHeatsUp() throws {
        let thermal = try LumpedThermalModel(thermalMassJoulesPerKelvin: 300_000, heatTransferWattsPerKelvin: 0)
        #expect(thermal.timeConstantSeconds == .infinity)
        let heated = thermal.temperature(after: .seconds(3600), from: 25, heatWatts: 500, ambientCelsius: 25)
        #expect(abs(heated - (25 + 500.0 * 3600 / 300_000)) < 1e-9)
    }

    @Test func nonPositiveDurationKeepsTheTemperature() throws {
        let thermal = try Self.issuePack()
        #expect(thermal.temperature(after: .zero, from: 31, heatWatts: 500, ambientCelsius: 25) == 31)
        #expect(thermal.temperature(after: .seconds(-1), from: 31, heatWatts: 500, ambientCelsius: 25) == 31)
    }
}
