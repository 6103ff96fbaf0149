import Foundation

/// State and parameters of a battery pack of `seriesCells` × `parallelCells` identical cells, stepped in time
/// by `step(current:duration:)`; used by the pack simulator and the digital twin.
///
/// Sign convention (the project's): current and power are positive while discharging, negative while charging.
///
/// **Model.** Each cell is an `EquivalentCircuitCell` (OCV source, R0, one R1‖C1 pair); the state of charge
/// follows coulomb counting on the usable capacity (nameplate × state of health); the whole pack is one
/// `LumpedThermalModel` heated by the losses in R0 and R1.
///
/// **Pack scaling.** With s = `seriesCells` and p = `parallelCells`: capacity = cell capacity × p;
/// R0 and R1 = cell value × s / p; C1 = cell value × p / s, so τ = R1·C1 is the cell's; open-circuit voltage
/// = cell OCV × s. `polarisationVolts` (U1) is the pack's: the sum over the s series elements, each of which
/// carries U1 / s (the RC voltage of a cell that sees I / p).
///
/// **Cell spread.** `cellSoCOffsets` and `cellTemperatureOffsetsKelvin` hold one offset per series element
/// (a parallel group measures as one cell) and shift only `cellVoltages(current:)` and `cellTemperatures()`.
/// The terminal voltage, heat and coulomb counting use the pack's own `soc` and temperature, so offsets
/// should average to about zero.
public struct PackModel: Sendable, Equatable {
    // MARK: - Parameters

    /// The cell every position of the pack holds.
    public let cell: EquivalentCircuitCell
    /// Cells (parallel groups) in series.
    public let seriesCells: Int
    /// Cells in parallel in each group.
    public let parallelCells: Int
    /// Heat capacity and heat transfer of the whole pack.
    public let thermal: LumpedThermalModel
    /// State of health as the fraction of nameplate capacity still available, 0 (exclusive) to 1.
    public let stateOfHealth: Double
    /// Temperature of the air around the pack, °C; may change between steps.
    public var ambientTemperatureCelsius: Double

    // MARK: - State

    /// State of charge of the pack, 0–1, relative to the usable capacity.
    public var soc: Double
    /// U1, the pack's polarisation voltage across the RC pairs, V (> 0 after discharging).
    public var polarisationVolts: Double
    /// Pack temperature, °C.
    public var temperatureCelsius: Double
    /// State-of-charge offset of each series element from `soc`; index 0 is cell 1. Missing entries count
    /// as 0, extra ones are ignored.
    public var cellSoCOffsets: [Double]
    /// Temperature offset of each series element from `temperatureCelsius`, K; index 0 is cell 1. Missing
    /// entries count as 0, extra ones are ignored.
    public var cellTemperatureOffsetsKelvin: [Double]

    /// Most cells the model accepts in series or in parallel.
    public static let maximumCellCount = 10_000

    /// A pack of `seriesCells` × `parallelCells` cells in the given state.
    ///
    /// - Parameters:
    ///   - temperatureCelsius: starting pack temperature; `nil` starts at the ambient temperature.
    ///   - cellSoCOffsets: one per series cell; `nil` means no spread.
    ///   - cellTemperatureOffsetsKelvin: one per series cell; `nil` means no spread.
    /// - Throws: `BatteryModelError` listing every problem: cell counts outside 1…`maximumCellCount`, a state
    ///   of health outside (0, 1], a state of charge outside 0…1, a non-finite temperature or voltage, or an
    ///   offset list whose length is not `seriesCells` or that holds a non-finite value.
    public init(
        cell: EquivalentCircuitCell, seriesCells: Int, parallelCells: Int, thermal: LumpedThermalModel,
        stateOfHealth: Double = 1, ambientTemperatureCelsius: Double = 25, soc: Double = 0.5,
        temperatureCelsius: Double? = nil, polarisationVolts: Double = 0,
        cellSoCOffsets: [Double]? = nil, cellTemperatureOffsetsKelvin: [Double]? = nil
    ) throws(BatteryModelError) {
        let cellCounts = 1...Self.maximumCellCount
        var checks = ModelParameterChecks()
        checks.require(
            cellCounts.contains(seriesCells), "seriesCells",
            "must be within 1…\(Self.maximumCellCount) (got \(seriesCells))")
        checks.require(
            cellCounts.contains(parallelCells), "parallelCells",
            "must be within 1…\(Self.maximumCellCount) (got \(parallelCells))")
        checks.require(
            stateOfHealth.isFinite && stateOfHealth > 0 && stateOfHealth <= 1, "stateOfHealth",
            "must be greater than 0 and at most 1 (got \(stateOfHealth))")
        checks.requireFinite(ambientTemperatureCelsius, "ambientTemperatureCelsius")
        checks.require(soc.isFinite && soc >= 0 && soc <= 1, "soc", "must be within 0…1 (got \(soc))")
        checks.requireFinite(temperatureCelsius ?? ambientTemperatureCelsius, "temperatureCelsius")
        checks.requireFinite(polarisationVolts, "polarisationVolts")
        for (name, offsets) in [
            ("cellSoCOffsets", cellSoCOffsets), ("cellTemperatureOffsetsKelvin", cellTemperatureOffsetsKelvin),
        ] {
            guard let offsets else { continue }
            checks.require(
                offsets.count == seriesCells, name,
                "needs one offset per series cell (\(seriesCells)), got \(offsets.count)")
            checks.require(offsets.allSatisfy(\.isFinite), name, "every offset must be finite")
        }
        try checks.throwIfAny()

        self.cell = cell
        self.seriesCells = seriesCells
        self.parallelCells = parallelCells
        self.thermal = thermal
        self.stateOfHealth = stateOfHealth
        self.ambientTemperatureCelsius = ambientTemperatureCelsius
        self.soc = soc
        self.polarisationVolts = polarisationVolts
        self.temperatureCelsius = temperatureCelsius ?? ambientTemperatureCelsius
        self.cellSoCOffsets = cellSoCOffsets ?? Array(repeating: 0, count: seriesCells)
        self.cellTemperatureOffsetsKelvin = cellTemperatureOffsetsKelvin ?? Array(repeating: 0, count: seriesCells)
    }

    // MARK: - Pack-scaled parameters

    /// Nameplate capacity of the pack, Ah: cell capacity × parallel cells.
    public var packCapacityAmpHours: Double { cell.capacityAmpHours * Double(parallelCells) }

    /// Capacity still available, Ah: nameplate × state of health; coulomb counting runs on it.
    public var usableCapacityAmpHours: Double { packCapacityAmpHours * stateOfHealth }

    /// R0 of the pack, Ω: cell R0 × series / parallel.
    public var packSeriesResistanceOhms: Double { cell.seriesResistanceOhms * seriesOverParallel }

    /// R1 of the pack, Ω: cell R1 × series / parallel.
    public var packPolarisationResistanceOhms: Double { cell.polarisationResistanceOhms * seriesOverParallel }

    /// C1 of the pack, F: cell C1 × parallel / series, which keeps the cell's time constant.
    public var packPolarisationCapacitanceFarads: Double { cell.polarisationCapacitanceFarads / seriesOverParallel }

    /// Open-circuit voltage of the pack at its state of charge, V: cell OCV(soc) × series.
    public var packOpenCircuitVolts: Double {
        cell.openCircuitVoltage.voltage(soc: soc) * Double(seriesCells)
    }

    private var seriesOverParallel: Double { Double(seriesCells) / Double(parallelCells) }

    // MARK: - Time step

    /// Heat generated in the pack while `current` flows, W: I²·R0 + U1²/R1 (pack values), the losses in the
    /// series resistance and in the RC pair's resistor.
    public func heatWatts(current: Double) -> Double {
        current * current * packSeriesResistanceOhms
            + polarisationVolts * polarisationVolts / packPolarisationResistanceOhms
    }

    /// Advances the state by `duration` with `current` (A, > 0 discharging) held constant.
    ///
    /// - Coulomb counting: soc −= I·Δt / (3600 · usable capacity in Ah), clamped to 0…1. The model does not
    ///   stop the current at empty or full; that is the BMS's job.
    /// - RC pair, exact for constant current: U1 ← U1·e^(−Δt/τ) + R1·I·(1 − e^(−Δt/τ)).
    /// - Temperature: `LumpedThermalModel`'s exact step with the heat of `heatWatts(current:)` taken at the
    ///   start of the step and held constant over it.
    ///
    /// Splitting a step into smaller ones changes the state of charge and U1 only by rounding; the temperature
    /// changes only as much as U1's share of the heat moves within the step. A non-finite current or a duration
    /// of zero or less leaves the state unchanged.
    public mutating func step(current: Double, duration: Duration) {
        let seconds = duration.inSeconds
        guard seconds > 0, current.isFinite else { return }
        let heat = heatWatts(current: current)

        let charge = current * seconds / (3600 * usableCapacityAmpHours)
        soc = min(max(soc - charge, 0), 1)

        let exponent = -seconds / cell.timeConstantSeconds
        // expm1 keeps 1 − e^(−Δt/τ) accurate for steps much shorter than τ.
        polarisationVolts =
            polarisationVolts * exp(exponent) + packPolarisationResistanceOhms * current * -expm1(exponent)

        temperatureCelsius = thermal.temperature(
            after: duration, from: temperatureCelsius, heatWatts: heat, ambientCelsius: ambientTemperatureCelsius)
    }
}
