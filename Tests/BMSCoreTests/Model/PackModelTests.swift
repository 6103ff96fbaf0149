import Foundation
import Testing

@testable import BMSCore

/// A 30 kg pack in still air: m·cp = 30 000 J/K, hA = 10 W/K.
func makeThermal(
    thermalMassJoulesPerKelvin: Double = 30_000, heatTransferWattsPerKelvin: Double = 10
) throws -> LumpedThermalModel {
    try LumpedThermalModel(
        thermalMassJoulesPerKelvin: thermalMassJoulesPerKelvin, heatTransferWattsPerKelvin: heatTransferWattsPerKelvin)
}

@Suite("Pack model: charge, polarisation and scaling")
struct PackModelTests {
    // MARK: - Coulomb counting

    @Test func coulombCountingDischargesHalfOfAHundredAmpHourPackInAnHour() throws {
        var pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 16, parallelCells: 1, thermal: makeThermal(), soc: 0.9)
        #expect(pack.packCapacityAmpHours == 100)
        pack.step(current: 50, duration: .seconds(3600))
        #expect(abs(pack.soc - 0.4) < 1e-9)
    }

    @Test(arguments: [1, 60, 3600])
    func coulombCountingDoesNotDependOnTheStepLength(stepCount: Int) throws {
        var pack = try PackModel(
            cell: .defaults(for: .nmc), seriesCells: 4, parallelCells: 1, thermal: makeThermal(), soc: 0.9)
        for _ in 0..<stepCount { pack.step(current: 50, duration: .seconds(3600) / stepCount) }
        #expect(abs(pack.soc - 0.4) < 1e-9)
        // Charging (current < 0) brings it back.
        for _ in 0..<stepCount { pack.step(current: -50, duration: .seconds(3600) / stepCount) }
        #expect(abs(pack.soc - 0.9) < 1e-9)
    }

    @Test func coulombCountingUsesTheCapacityLeftAfterAgeing() throws {
        var pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 1, parallelCells: 1, thermal: makeThermal(),
            stateOfHealth: 0.8, soc: 0.9)
        #expect(abs(pack.usableCapacityAmpHours - 80) < 1e-12)
        pack.step(current: 40, duration: .seconds(3600))
        #expect(abs(pack.soc - 0.4) < 1e-9)
    }

    @Test func stateOfChargeIsClampedAtEmptyAndFull() throws {
        var pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 1, parallelCells: 1, thermal: makeThermal(), soc: 0.1)
        pack.step(current: 100, duration: .seconds(3600))
        #expect(pack.soc == 0)
        pack.step(current: -100, duration: .seconds(7200))
        #expect(pack.soc == 1)
    }

    @Test func nonPositiveDurationOrNonFiniteCurrentChangesNothing() throws {
        var pack = try PackModel(
            cell: .defaults(for: .nca), seriesCells: 2, parallelCells: 1, thermal: makeThermal(), soc: 0.5)
        let before = pack
        pack.step(current: 100, duration: .zero)
        pack.step(current: 100, duration: .seconds(-5))
        pack.step(current: .nan, duration: .seconds(5))
        pack.step(current: .infinity, duration: .seconds(5))
        #expect(pack == before)
    }

    // MARK: - RC pair

    @Test(arguments: [1, 4, 10, 100])
    func polarisationFollowsTheClosedFormHoweverTheTimeIsSplit(stepCount: Int) throws {
        let current = 100.0
        var pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 16, parallelCells: 1, thermal: makeThermal(), soc: 0.8)
        for _ in 0..<stepCount { pack.step(current: current, duration: .seconds(100) / stepCount) }
        let tau = pack.cell.timeConstantSeconds
        let expected = pack.packPolarisationResistanceOhms * current * (1 - exp(-100 / tau))
        #expect(abs(pack.polarisationVolts - expected) < 1e-9)
        #expect(pack.polarisationVolts > 0)
    }

    @Test func polarisationRelaxesAtRest() throws {
        var pack = try PackModel(
            cell: .defaults(for: .nmc), seriesCells: 10, parallelCells: 1, thermal: makeThermal(),
            polarisationVolts: 0.2)
        let tau = pack.cell.timeConstantSeconds
        pack.step(current: 0, duration: .seconds(20))
        #expect(abs(pack.polarisationVolts - 0.2 * exp(-20 / tau)) < 1e-12)
    }

    // MARK: - Pack scaling

    @Test(arguments: Chemistry.allCases)
    func seriesAndParallelCountsScaleThePack(chemistry: Chemistry) throws {
        let cell = EquivalentCircuitCell.defaults(for: chemistry)
        var pack = try PackModel(cell: cell, seriesCells: 16, parallelCells: 2, thermal: makeThermal(), soc: 0.5)
        let cellVolts = cell.openCircuitVoltage.voltage(soc: 0.5)
        #expect(abs(pack.terminalVoltage(current: 0) - 16 * cellVolts) < 1e-12)
        #expect(abs(pack.packOpenCircuitVolts - 16 * cellVolts) < 1e-12)
        #expect(pack.packCapacityAmpHours == 2 * cell.capacityAmpHours)
        #expect(abs(pack.packSeriesResistanceOhms - cell.seriesResistanceOhms * 8) < 1e-15)
        #expect(abs(pack.packPolarisationResistanceOhms - cell.polarisationResistanceOhms * 8) < 1e-15)
        let packTau = pack.packPolarisationResistanceOhms * pack.packPolarisationCapacitanceFarads
        #expect(abs(packTau - cell.timeConstantSeconds) < 1e-9)
        for volts in pack.cellVoltages(current: 0) { #expect(volts == cellVolts) }
        #expect(pack.cellVoltages(current: 0).count == 16)

        // Twice the capacity: 50 A for an hour moves a 2 × 100 Ah pack by a quarter.
        pack.step(current: 50, duration: .seconds(3600))
        #expect(abs(pack.soc - 0.25) < 1e-9)
    }

    @Test func terminalVoltageSubtractsPolarisationAndOhmicDrop() throws {
        let pack = try PackModel(
            cell: .defaults(for: .nmc), seriesCells: 12, parallelCells: 3, thermal: makeThermal(), soc: 0.6,
            polarisationVolts: 0.12)
        let current = 150.0
        let expected = pack.packOpenCircuitVolts - 0.12 - current * pack.packSeriesResistanceOhms
        #expect(abs(pack.terminalVoltage(current: current) - expected) < 1e-12)
        #expect(pack.terminalVoltage(current: -current) > pack.terminalVoltage(current: current))
        // Without spread the cells add up to the terminal voltage.
        let sum = pack.cellVoltages(current: current).reduce(0, +)
        #expect(abs(sum - pack.terminalVoltage(current: current)) < 1e-9)
        #expect(abs(pack.power(current: current) - expected * current) < 1e-9)
    }

    @Test func cellOffsetsSpreadVoltagesAndTemperatures() throws {
        let cell = EquivalentCircuitCell.defaults(for: .nmc)
        let pack = try PackModel(
            cell: cell, seriesCells: 3, parallelCells: 1, thermal: makeThermal(), soc: 0.5, temperatureCelsius: 30,
            cellSoCOffsets: [0.05, 0, -0.05], cellTemperatureOffsetsKelvin: [1.5, 0, -2])
        let current = 80.0
        let drop = current * pack.packSeriesResistanceOhms / 3
        let volts = pack.cellVoltages(current: current)
        #expect(volts.count == 3)
        #expect(abs(volts[0] - (cell.openCircuitVoltage.voltage(soc: 0.55) - drop)) < 1e-12)
        #expect(abs(volts[1] - (cell.openCircuitVoltage.voltage(soc: 0.5) - drop)) < 1e-12)
        #expect(abs(volts[2] - (cell.openCircuitVoltage.voltage(soc: 0.45) - drop)) < 1e-12)
        #expect(pack.cellTemperatures() == [31.5, 30, 28])
    }

    @Test func missingOffsetsCountAsZero() throws {
        var pack = try PackModel(cell: .defaults(for: .lfp), seriesCells: 3, parallelCells: 1, thermal: makeThermal())
        pack.cellTemperatureOffsetsKelvin = [2]
        pack.cellSoCOffsets = []
        #expect(pack.cellTemperatures() == [27, 25, 25])
        #expect(pack.cellVoltages(current: 0).count == 3)
    }

    // MARK: - Validation

    @Test func invalidParametersAreAllReported() throws {
        let thermal = try makeThermal()
        do throws(BatteryModelError) {
            _ = try PackModel(
                cell: .defaults(for: .lfp), seriesCells: 0, parallelCells: 1, thermal: thermal, stateOfHealth: 1.5,
                soc: -0.1, cellSoCOffsets: [0, 0])
            Issue.record("invalid parameters were accepted")
        } catch {
            let parameters = error.problems.map(\.parameter)
            #expect(parameters == ["seriesCells", "stateOfHealth", "soc", "cellSoCOffsets"], "\(error)")
        }
        #expect(throws: BatteryModelError.self) {
            try LumpedThermalModel(thermalMassJoulesPerKelvin: 0, heatTransferWattsPerKelvin: -1)
        }
        #expect(throws: BatteryModelError.self) {
            try EquivalentCircuitCell(
                chemistry: .lfp, capacityAmpHours: 100, seriesResistanceOhms: 0.001,
                polarisationResistanceOhms: 0, polarisationCapacitanceFarads: 1000)
        }
    }

    @Test func resizingKeepsTheTimeConstant() throws {
        let cell = EquivalentCircuitCell.defaults(for: .lfp)
        let large = try cell.resized(toCapacityAmpHours: 280)
        #expect(large.capacityAmpHours == 280)
        #expect(abs(large.seriesResistanceOhms - cell.seriesResistanceOhms * 100 / 280) < 1e-15)
        #expect(abs(large.timeConstantSeconds - cell.timeConstantSeconds) < 1e-9)
        #expect(large.openCircuitVoltage == cell.openCircuitVoltage)
    }
}
