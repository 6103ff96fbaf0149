import Foundation
import Testing
import TestSupport

@testable import BMSCore

@Suite("Parameter identification (RLS)")
struct ParameterIdentifierTests {
    /// The known answer: R0 = 0.05 Ω, R1 = 0.03 Ω, C1 = 1000 F recovered within 1 % from a noisy step profile.
    @Test func recoversR0R1C1FromANoisyStepProfile() throws {
        let cell = try EquivalentCircuitCell(
            chemistry: .nmc, capacityAmpHours: 50, seriesResistanceOhms: 0.05, polarisationResistanceOhms: 0.03,
            polarisationCapacitanceFarads: 1000)
        let thermal = try LumpedThermalModel(thermalMassJoulesPerKelvin: 1e6, heatTransferWattsPerKelvin: 1)
        var truth = try PackModel(cell: cell, seriesCells: 1, parallelCells: 1, thermal: thermal, soc: 0.6)
        var identifier = ParameterIdentifier()
        var generator = SplitMix64(seed: 11)
        var current = 0.0
        var holdUntil = 0
        for second in 0..<3000 {
            if second >= holdUntil {
                current = (Double(generator.next() % 41) - 20)  // −20…20 A steps
                holdUntil = second + 5 + Int(generator.next() % 30)
            }
            truth.step(current: current, duration: .seconds(1))
            let noise = (Double(generator.next() % 2001) - 1000) / 1000 * 0.0005  // ±0.5 mV
            identifier.update(
                terminalVolts: truth.terminalVoltage(current: current) + noise,
                openCircuitVolts: cell.openCircuitVoltage.voltage(soc: truth.soc), current: current, interval: .seconds(1))
        }
        let estimate = try #require(identifier.estimate)
        #expect(abs(estimate.seriesResistanceOhms / 0.05 - 1) < 0.01, "R0 \(estimate.seriesResistanceOhms)")
        #expect(abs(estimate.polarisationResistanceOhms / 0.03 - 1) < 0.01, "R1 \(estimate.polarisationResistanceOhms)")
        #expect(abs(estimate.polarisationCapacitanceFarads / 1000 - 1) < 0.01, "C1 \(estimate.polarisationCapacitanceFarads)")
    }

    @Test func freezesWithoutExcitationAndRejectsNonPhysicalEstimates() {
        var identifier = ParameterIdentifier()
        for _ in 0..<100 {
            identifier.update(terminalVolts: 3.7, openCircuitVolts: 3.7, current: 0, interval: .seconds(1))
        }
        #expect(identifier.frozenSteps == 99)
        #expect(identifier.estimate == nil)
        // Voltage rising while discharging harder: no physical cell does that.
        var nonsense = ParameterIdentifier()
        for step in 0..<50 {
            nonsense.update(terminalVolts: 3.7 + Double(step) * 0.01, openCircuitVolts: 3.7, current: Double(step), interval: .seconds(1))
        }
        #expect(nonsense.rejectedEstimates > 0)
        #expect(nonsense.estimate.map { $0.seriesResistanceOhms > 0 && $0.polarisationResistanceOhms > 0 } ?? true)
    }
}
