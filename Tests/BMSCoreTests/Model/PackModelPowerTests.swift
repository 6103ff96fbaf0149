import Testing

@testable import BMSCore

@Suite("Pack model: power setpoints")
struct PackModelPowerTests {
    /// A 16s1p 100 Ah LFP pack at 50 %, after a minute at 100 A so that U1 is not zero.
    static func lfpPack() throws -> PackModel {
        var pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 16, parallelCells: 1, thermal: makeThermal(), soc: 0.5)
        pack.step(current: 100, duration: .seconds(60))
        return pack
    }

    @Test(arguments: [-20_000.0, -5_000, -500, -1, 0, 1, 500, 5_000, 20_000, 60_000])
    func currentForPowerRoundTrips(watts: Double) throws {
        let pack = try Self.lfpPack()
        #expect(pack.polarisationVolts > 0)
        #expect(watts < pack.maximumDischargePowerWatts)
        let current = pack.current(forPower: watts)
        #expect(abs(pack.power(current: current) - watts) <= 1e-9 * max(1, abs(watts)))
        // Discharge power needs discharge current, charge power charge current.
        #expect(current.sign == watts.sign || watts == 0)
        // The physical root: the terminal voltage stays above half the electromotive force.
        let emf = pack.packOpenCircuitVolts - pack.polarisationVolts
        #expect(pack.terminalVoltage(current: current) > emf / 2)
    }

    @Test(arguments: [Chemistry.nmc, .nca, .lco])
    func currentForPowerRoundTripsForEveryChemistry(chemistry: Chemistry) throws {
        let pack = try PackModel(
            cell: .defaults(for: chemistry), seriesCells: 14, parallelCells: 2, thermal: makeThermal(), soc: 0.3)
        for watts in [-30_000.0, -3_000, 3_000, 30_000] {
            let current = pack.current(forPower: watts)
            #expect(abs(pack.power(current: current) - watts) <= 1e-9 * abs(watts), "\(chemistry) \(watts) W")
        }
    }

    @Test func infeasiblePowerGivesTheCurrentAtMaximumPower() throws {
        let pack = try Self.lfpPack()
        let emf = pack.packOpenCircuitVolts - pack.polarisationVolts
        let resistance = pack.packSeriesResistanceOhms
        let current = pack.current(forPower: 10 * pack.maximumDischargePowerWatts)
        #expect(abs(current - emf / (2 * resistance)) < 1e-9)
        #expect(current > 0)
        let peak = pack.power(current: current)
        #expect(abs(peak - pack.maximumDischargePowerWatts) <= 1e-9 * peak)
        #expect(pack.power(current: current - 10) < peak)
        #expect(pack.power(current: current + 10) < peak)
    }

    @Test func nonFinitePowerGivesNoCurrent() throws {
        let pack = try Self.lfpPack()
        #expect(pack.current(forPower: .nan) == 0)
        #expect(pack.current(forPower: .infinity) == 0)
    }

    @Test func zeroSeriesResistanceDividesPowerByVoltage() throws {
        let cell = try EquivalentCircuitCell(
            chemistry: .nmc, capacityAmpHours: 50, seriesResistanceOhms: 0, polarisationResistanceOhms: 0.001,
            polarisationCapacitanceFarads: 10_000)
        let pack = try PackModel(cell: cell, seriesCells: 10, parallelCells: 1, thermal: makeThermal(), soc: 0.5)
        #expect(pack.maximumDischargePowerWatts == .infinity)
        let current = pack.current(forPower: 3_680)
        #expect(abs(current - 3_680 / pack.packOpenCircuitVolts) < 1e-12)
    }
}
