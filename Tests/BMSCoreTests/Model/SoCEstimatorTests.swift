import Foundation
import Testing
import TestSupport

@testable import BMSCore

@Suite("SoC estimator (EKF)")
struct SoCEstimatorTests {
    /// A true cell simulated by the pack model, measured with noise; the filter starts from a wrong SoC.
    static func run(chemistry: Chemistry, trueSoC: Double, initialSoC: Double, seconds: Int, seed: UInt64) throws -> (estimator: SoCEstimator, truth: PackModel, coulombCounted: Double) {
        let cell = EquivalentCircuitCell.defaults(for: chemistry)
        let thermal = try LumpedThermalModel(thermalMassJoulesPerKelvin: 1000, heatTransferWattsPerKelvin: 1)
        var truth = try PackModel(cell: cell, seriesCells: 1, parallelCells: 1, thermal: thermal, soc: trueSoC)
        var estimator = SoCEstimator(cell: cell, initialSoC: initialSoC)
        var generator = SplitMix64(seed: seed)
        var counted = initialSoC
        for second in 0..<seconds {
            // A duty cycle: 0.5 C discharge, rest, 0.3 C charge, rest.
            let phase = (second / 300) % 4
            let current = [0.5, 0, -0.3, 0][phase] * cell.capacityAmpHours
            truth.step(current: current, duration: .seconds(1))
            let noise = (Double(generator.next() % 2001) - 1000) / 1000 * 0.005  // ±5 mV
            estimator.step(current: current, duration: .seconds(1), measuredVolts: truth.terminalVoltage(current: current) + noise)
            counted -= current / (3600 * cell.capacityAmpHours)
        }
        return (estimator, truth, counted)
    }

    @Test func convergesFromAWrongInitialSoCOnNMC() throws {
        let result = try Self.run(chemistry: .nmc, trueSoC: 0.80, initialSoC: 0.50, seconds: 3600, seed: 3)
        #expect(abs(result.estimator.soc - result.truth.soc) < 0.02, "estimate \(result.estimator.soc), truth \(result.truth.soc)")
        #expect(abs(result.coulombCounted - result.truth.soc) > 0.25)  // counting alone keeps the initial error
    }

    @Test func voltageCountsLessOnTheLFPPlateau() {
        // Same prior, same 20 mV surprise. The share of the SoC shift the voltage implies (Δv / slope) that the
        // filter applies is far smaller on the LFP plateau than on the sloped NMC curve.
        func appliedShare(_ chemistry: Chemistry) -> Double {
            let cell = EquivalentCircuitCell.defaults(for: chemistry)
            var estimator = SoCEstimator(cell: cell, initialSoC: 0.5)
            estimator.step(current: 0, duration: .seconds(1), measuredVolts: cell.openCircuitVoltage.voltage(soc: 0.5) + 0.02)
            let implied = 0.02 / cell.openCircuitVoltage.slope(soc: 0.5)
            return abs(estimator.soc - 0.5) / implied
        }
        #expect(appliedShare(.lfp) < appliedShare(.nmc) / 3, "LFP \(appliedShare(.lfp)), NMC \(appliedShare(.nmc))")
    }

    /// A voltage sensor reading 15 mV high on the plateau: the plateau-aware filter stays with coulomb
    /// counting; the same filter trusting voltage everywhere is dragged away.
    @Test func aBiasedSensorOnThePlateauDoesNotDragTheEstimate() throws {
        func drift(slopeThreshold: Double) throws -> Double {
            let cell = EquivalentCircuitCell.defaults(for: .lfp)
            let thermal = try LumpedThermalModel(thermalMassJoulesPerKelvin: 1000, heatTransferWattsPerKelvin: 1)
            var truth = try PackModel(cell: cell, seriesCells: 1, parallelCells: 1, thermal: thermal, soc: 0.55)
            var estimator = SoCEstimator(cell: cell, initialSoC: 0.55, initialSoCVariance: 1e-4, slopeThreshold: slopeThreshold)
            for second in 0..<900 {
                let current = second % 300 < 150 ? 0.2 * cell.capacityAmpHours : -0.2 * cell.capacityAmpHours
                truth.step(current: current, duration: .seconds(1))
                estimator.step(current: current, duration: .seconds(1), measuredVolts: truth.terminalVoltage(current: current) + 0.015)
            }
            return abs(estimator.soc - truth.soc)
        }
        let aware = try drift(slopeThreshold: 0.5)
        let naive = try drift(slopeThreshold: 0)
        #expect(aware < 0.05, "plateau-aware drift \(aware)")
        #expect(aware < naive / 2, "aware \(aware) vs naive \(naive)")
    }

    /// The anomaly residual: quiet under normal noise, flagged once a 150 mV fault persists for N samples.
    @Test func anomalyIsFlaggedWhenTheInnovationStaysAboveTheBound() throws {
        let cell = EquivalentCircuitCell.defaults(for: .nmc)
        let thermal = try LumpedThermalModel(thermalMassJoulesPerKelvin: 1000, heatTransferWattsPerKelvin: 1)
        var truth = try PackModel(cell: cell, seriesCells: 1, parallelCells: 1, thermal: thermal, soc: 0.6)
        var estimator = SoCEstimator(cell: cell, initialSoC: 0.6, initialSoCVariance: 1e-4)
        var generator = SplitMix64(seed: 9)
        var flaggedAt: Int?
        for second in 0..<400 {
            let current = second % 120 < 60 ? 0.3 * cell.capacityAmpHours : 0
            truth.step(current: current, duration: .seconds(1))
            let noise = (Double(generator.next() % 2001) - 1000) / 1000 * 0.005
            let fault = second >= 300 ? -0.15 : 0  // a sudden 150 mV sag from sample 300 on
            estimator.step(current: current, duration: .seconds(1), measuredVolts: truth.terminalVoltage(current: current) + noise + fault)
            if second < 300 { #expect(!estimator.isAnomalous, "false alarm at \(second)") }
            if estimator.isAnomalous && flaggedAt == nil { flaggedAt = second }
        }
        let flagged = try #require(flaggedAt)
        #expect(flagged >= 300 + estimator.anomalyWindow - 1 && flagged < 300 + 3 * estimator.anomalyWindow, "flagged at \(flagged)")
    }
}
