import Foundation
import Testing
import TestSupport

@testable import BMSCore

@Suite("State of health estimator")
struct StateOfHealthEstimatorTests {
    /// A 16s2p pack of known state of health simulated by `PackModel`, sampled every 10 s into the estimator with
    /// ±1 mV per cell of voltage noise.
    struct Bench {
        var truth: PackModel
        var estimator: StateOfHealthEstimator
        var generator: SplitMix64
        var time = 0.0

        init(chemistry: Chemistry, stateOfHealth: Double, soc: Double, seed: UInt64 = 5) throws {
            truth = try PackModel(
                cell: .defaults(for: chemistry), seriesCells: 16, parallelCells: 2, thermal: makeThermal(),
                stateOfHealth: stateOfHealth, soc: soc)
            estimator = try StateOfHealthEstimator(pack: truth)
            generator = SplitMix64(seed: seed)
            try estimator.addSample(timeSeconds: 0, currentAmps: 0, terminalVolts: truth.terminalVoltage(current: 0))
        }

        mutating func step(current: Double) throws {
            truth.step(current: current, duration: .seconds(10))
            time += 10
            let noise = (Double(generator.next() % 2001) - 1000) / 1000 * 0.001 * Double(truth.seriesCells)
            try estimator.addSample(
                timeSeconds: time, currentAmps: current, terminalVolts: truth.terminalVoltage(current: current) + noise)
        }

        mutating func rest(seconds: Double = 3600) throws {
            for _ in 0..<Int(seconds / 10) { try step(current: 0) }
        }

        /// Half a C (of nameplate) toward `soc` until the pack reaches it.
        mutating func move(toSoC target: Double) throws {
            let current = (truth.soc > target ? 0.5 : -0.5) * truth.packCapacityAmpHours
            for _ in 0..<100_000 {
                let reached = current > 0 ? truth.soc <= target : truth.soc >= target
                if reached { return }
                try step(current: current)
            }
        }
    }

    /// Rest, (dis)charge from `from` to `to`, rest.
    static func measure(
        _ chemistry: Chemistry, stateOfHealth: Double, from: Double, to: Double, restSeconds: Double = 3600
    ) throws -> StateOfHealthEstimator {
        var bench = try Bench(chemistry: chemistry, stateOfHealth: stateOfHealth, soc: from)
        try bench.rest(seconds: restSeconds)
        try bench.move(toSoC: to)
        try bench.rest(seconds: restSeconds)
        return bench.estimator
    }

    // MARK: - Capacity

    @Test(arguments: [1.0, 0.9, 0.8, 0.7])
    func nmcDischargeBetweenTwoRestsRecoversTheStateOfHealth(stateOfHealth: Double) throws {
        let estimator = try Self.measure(.nmc, stateOfHealth: stateOfHealth, from: 0.9, to: 0.2)
        let estimate = try #require(estimator.latestEstimate)
        #expect(abs(estimate.stateOfHealth - stateOfHealth) < 0.01, "\(estimate)")
        #expect(abs(estimate.capacityAmpHours - 200 * stateOfHealth) < 2)
        #expect(abs(estimate.startSoC - 0.9) < 0.01 && abs(estimate.endSoC - 0.2) < 0.01)
        #expect(estimate.dischargedAmpHours > 0)
    }

    @Test func nmcChargeRecoversItToo() throws {
        let estimator = try Self.measure(.nmc, stateOfHealth: 0.85, from: 0.2, to: 0.9)
        let estimate = try #require(estimator.latestEstimate)
        #expect(abs(estimate.stateOfHealth - 0.85) < 0.01, "\(estimate)")
        #expect(estimate.dischargedAmpHours < 0)
    }

    @Test func lfpRestsOnTheSteepEndsRecoverTheStateOfHealth() throws {
        let estimator = try Self.measure(.lfp, stateOfHealth: 0.85, from: 0.97, to: 0.08)
        let estimate = try #require(estimator.latestEstimate)
        #expect(abs(estimate.stateOfHealth - 0.85) < 0.02, "\(estimate)")
    }

    @Test func lfpPlateauOnlyRestsGiveNoEstimate() throws {
        let estimator = try Self.measure(.lfp, stateOfHealth: 0.85, from: 0.7, to: 0.3)
        #expect(estimator.latestEstimate == nil)
    }

    /// A rest on the plateau in between is not trusted, so it does not replace the steep first rest as the anchor.
    @Test func aPlateauRestInBetweenKeepsTheSteepAnchor() throws {
        var bench = try Bench(chemistry: .lfp, stateOfHealth: 0.9, soc: 0.97)
        try bench.rest()
        try bench.move(toSoC: 0.5)
        try bench.rest()
        #expect(bench.estimator.latestEstimate == nil)
        try bench.move(toSoC: 0.08)
        try bench.rest()
        let estimate = try #require(bench.estimator.latestEstimate)
        #expect(abs(estimate.stateOfHealth - 0.9) < 0.02, "\(estimate)")
        #expect(estimate.startSoC > 0.95)
    }

    @Test func tooSmallASwingGivesNoEstimate() throws {
        #expect(try Self.measure(.nmc, stateOfHealth: 0.9, from: 0.6, to: 0.45).latestEstimate == nil)
    }

    @Test func restsShorterThanTheMinimumGiveNoEstimate() throws {
        #expect(try Self.measure(.nmc, stateOfHealth: 0.9, from: 0.9, to: 0.2, restSeconds: 900).latestEstimate == nil)
    }

    @Test func invalidSamplesAreRejectedAndLeaveTheEstimatorUnchanged() throws {
        var bench = try Bench(chemistry: .nmc, stateOfHealth: 0.9, soc: 0.9)
        try bench.rest(seconds: 100)
        let before = bench.estimator
        let invalid: [(time: Double, current: Double, volts: Double)] = [
            (.nan, 0, 58), (200, .infinity, 58), (200, 0, .nan), (100, 0, 58), (50, 0, 58),
        ]
        for sample in invalid {
            #expect(throws: BatteryModelError.self) {
                var estimator = before
                try estimator.addSample(timeSeconds: sample.time, currentAmps: sample.current, terminalVolts: sample.volts)
            }
        }
        #expect(bench.estimator == before)
        #expect(throws: BatteryModelError.self) {
            try StateOfHealthEstimator(
                openCircuitVoltage: .standard(for: .nmc), seriesCells: 0, nameplateCapacityAmpHours: -1)
        }
    }

    // MARK: - Resistance

    @Test func stateOfHealthFromResistance() {
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.010, newResistanceOhms: 0.010) == 1)
        let half = StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.015, newResistanceOhms: 0.010)
        #expect(abs((half ?? 0) - 0.5) < 1e-12)
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.020, newResistanceOhms: 0.010) == 0)
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.025, newResistanceOhms: 0.010) == 0)
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.008, newResistanceOhms: 0.010) == 1)
        let custom = StateOfHealthEstimator.stateOfHealth(
            resistanceOhms: 0.012, newResistanceOhms: 0.010, endOfLifeResistanceOhms: 0.018)
        #expect(abs((custom ?? 0) - 0.75) < 1e-12)
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: .nan, newResistanceOhms: 0.010) == nil)
        #expect(StateOfHealthEstimator.stateOfHealth(resistanceOhms: 0.012, newResistanceOhms: 0) == nil)
        #expect(
            StateOfHealthEstimator.stateOfHealth(
                resistanceOhms: 0.012, newResistanceOhms: 0.010, endOfLifeResistanceOhms: 0.009) == nil)
    }
}
