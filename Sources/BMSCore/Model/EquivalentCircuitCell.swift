/// First-order equivalent circuit of one cell: an open-circuit voltage source, the ohmic series resistance R0
/// and one RC pair (R1 in parallel with C1) for polarisation.
///
/// `PackModel` scales these values to a pack of series × parallel cells.
public struct EquivalentCircuitCell: Sendable, Equatable {
    /// Cell chemistry.
    public let chemistry: Chemistry
    /// Nominal capacity of a new cell, Ah.
    public let capacityAmpHours: Double
    /// R0, the ohmic series resistance, Ω.
    public let seriesResistanceOhms: Double
    /// R1, the resistance of the polarisation RC pair, Ω.
    public let polarisationResistanceOhms: Double
    /// C1, the capacitance of the polarisation RC pair, F.
    public let polarisationCapacitanceFarads: Double
    /// Open-circuit voltage against state of charge.
    public let openCircuitVoltage: OpenCircuitVoltage

    /// A cell with the given parameters.
    ///
    /// - Parameter openCircuitVoltage: the cell's curve; `nil` takes `OpenCircuitVoltage.standard(for:)`.
    /// - Throws: `BatteryModelError` unless the capacity, R1 and C1 are finite and positive and R0 is finite
    ///   and not negative. (To leave out the RC pair, give it a tiny R1: its voltage R1·I then vanishes.)
    public init(
        chemistry: Chemistry, capacityAmpHours: Double, seriesResistanceOhms: Double,
        polarisationResistanceOhms: Double, polarisationCapacitanceFarads: Double,
        openCircuitVoltage: OpenCircuitVoltage? = nil
    ) throws(BatteryModelError) {
        var checks = ModelParameterChecks()
        checks.requirePositive(capacityAmpHours, "capacityAmpHours")
        checks.requireNonNegative(seriesResistanceOhms, "seriesResistanceOhms")
        checks.requirePositive(polarisationResistanceOhms, "polarisationResistanceOhms")
        checks.requirePositive(polarisationCapacitanceFarads, "polarisationCapacitanceFarads")
        try checks.throwIfAny()
        self.init(
            validatedChemistry: chemistry, capacityAmpHours: capacityAmpHours,
            seriesResistanceOhms: seriesResistanceOhms, polarisationResistanceOhms: polarisationResistanceOhms,
            polarisationCapacitanceFarads: polarisationCapacitanceFarads,
            openCircuitVoltage: openCircuitVoltage ?? .standard(for: chemistry))
    }

    private init(
        validatedChemistry chemistry: Chemistry, capacityAmpHours: Double, seriesResistanceOhms: Double,
        polarisationResistanceOhms: Double, polarisationCapacitanceFarads: Double,
        openCircuitVoltage: OpenCircuitVoltage
    ) {
        self.chemistry = chemistry
        self.capacityAmpHours = capacityAmpHours
        self.seriesResistanceOhms = seriesResistanceOhms
        self.polarisationResistanceOhms = polarisationResistanceOhms
        self.polarisationCapacitanceFarads = polarisationCapacitanceFarads
        self.openCircuitVoltage = openCircuitVoltage
    }

    /// τ = R1·C1, the time constant of the polarisation RC pair, s.
    public var timeConstantSeconds: Double { polarisationResistanceOhms * polarisationCapacitanceFarads }

    // MARK: - Defaults

    /// Default parameters of a new 100 Ah prismatic cell of `chemistry` at about 25 °C, with the chemistry's
    /// standard open-circuit voltage curve.
    ///
    /// Plausible values, not from a datasheet (UNVERIFIED): large-format cells of 100 Ah have a DC internal
    /// resistance of roughly 0.3–1.5 mΩ, lowest for LFP; the RC pair adds about half of R0 with a time
    /// constant of 15–30 s, the usual first-order fit of a pulse relaxation.
    ///
    /// | Chemistry | R0 | R1 | τ | C1 |
    /// |---|---|---|---|---|
    /// | LFP | 0.50 mΩ | 0.30 mΩ | 30 s | 100 000 F |
    /// | NMC | 0.80 mΩ | 0.40 mΩ | 20 s | 50 000 F |
    /// | NCA | 1.00 mΩ | 0.50 mΩ | 20 s | 40 000 F |
    /// | LCO | 1.50 mΩ | 0.75 mΩ | 15 s | 20 000 F |
    ///
    /// Use `resized(toCapacityAmpHours:)` for another capacity.
    public static func defaults(for chemistry: Chemistry) -> EquivalentCircuitCell {
        let values: (r0: Double, r1: Double, c1: Double)
        switch chemistry {
        case .lfp: values = (0.000_50, 0.000_30, 100_000)
        case .nmc: values = (0.000_80, 0.000_40, 50_000)
        case .nca: values = (0.001_00, 0.000_50, 40_000)
        case .lco: values = (0.001_50, 0.000_75, 20_000)
        }
        return EquivalentCircuitCell(
            validatedChemistry: chemistry, capacityAmpHours: 100, seriesResistanceOhms: values.r0,
            polarisationResistanceOhms: values.r1, polarisationCapacitanceFarads: values.c1,
            openCircuitVoltage: .standard(for: chemistry))
    }

    /// The same cell design built to another capacity: resistances scale with 1 / capacity and the
    /// capacitance with capacity (a larger cell is more electrode area in parallel), so τ is unchanged.
    ///
    /// - Throws: `BatteryModelError` unless `capacityAmpHours` is finite and positive and the scaled values
    ///   stay finite.
    public func resized(toCapacityAmpHours newCapacity: Double) throws(BatteryModelError) -> EquivalentCircuitCell {
        var checks = ModelParameterChecks()
        checks.requirePositive(newCapacity, "capacityAmpHours")
        try checks.throwIfAny()
        let ratio = newCapacity / capacityAmpHours
        return try EquivalentCircuitCell(
            chemistry: chemistry, capacityAmpHours: newCapacity,
            seriesResistanceOhms: seriesResistanceOhms / ratio,
            polarisationResistanceOhms: polarisationResistanceOhms / ratio,
            polarisationCapacitanceFarads: polarisationCapacitanceFarads * ratio,
            openCircuitVoltage: openCircuitVoltage)
    }
}
