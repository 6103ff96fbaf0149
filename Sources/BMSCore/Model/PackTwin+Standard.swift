/// A twin built from what an agent or coordinator knows of a pack (datasheet and latest reading), for figures such
/// as the allocation message's `degradation_impact`.
extension PackTwin {
    /// How far into its calendar life `init(standardFor:…)` starts the ageing model, days (one year).
    ///
    /// BLAST-Lite's power-law trajectories are steepest at zero age (an hour's calendar loss from new is k·Δt^p with
    /// p ≈ 0.36–0.53), so from a brand-new model the small change in calendar stress a setpoint makes outweighs its
    /// cycling stress: discharging an NMC pack would show as *relieving* ageing. A year into service the slopes are
    /// those of a pack in use and the impact is dominated by the cycling, as it should be.
    public static let standardCalendarAgeDays = 365.0

    /// m·cp per ampere-hour of cell capacity, J/(K·Ah): a 100 Ah prismatic cell of about 2 kg at about
    /// 1 000 J/(kg·K). Plausible, not from a datasheet (UNVERIFIED).
    public static let standardThermalMassJoulesPerKelvinPerAmpHour = 20.0

    /// τ = m·cp / hA of the standard pack, s: an hour, a rack in a ventilated enclosure (UNVERIFIED).
    public static let standardThermalTimeConstantSeconds = 3600.0

    /// A twin of a `seriesCells` × `parallelCells` pack of `chemistry` known only by its nameplate capacity and its
    /// latest state.
    ///
    /// - Cells: `EquivalentCircuitCell.defaults(for:)` resized to `nominalCapacityAmpHours / parallelCells`.
    /// - Thermal: m·cp = `standardThermalMassJoulesPerKelvinPerAmpHour` × cell Ah × cells, hA = m·cp /
    ///   `standardThermalTimeConstantSeconds`.
    /// - Ageing: `AgeingModel.standard(for:)` after one update of `calendarAgeDays` at 25 °C and SoC 0.5 (the
    ///   pack's real history is unknown; see `standardCalendarAgeDays`). Its q is not matched to `stateOfHealth`,
    ///   which sets the usable capacity the pack model counts charge on; the ageing model's figures are changes of
    ///   q, in percent of nameplate.
    ///
    /// Cost: one ageing update of two samples and the model checks, a few microseconds. A caller that allocates
    /// often may keep the twin per pack and set `pack.soc` and `pack.temperatureCelsius` from each new reading.
    ///
    /// - Parameters:
    ///   - nominalCapacityAmpHours: the pack's nameplate capacity, Ah (`DeviceSpecifications.nominalCapacityAmpHours`).
    ///   - soc: state of charge, 0–1.
    ///   - temperatureCelsius: pack temperature, °C.
    ///   - ambientTemperatureCelsius: the air around the pack; `nil` takes `temperatureCelsius` (the pack's
    ///     surroundings hold it where it is, apart from its own heating).
    ///   - stateOfHealth: usable fraction of nameplate capacity, (0, 1].
    ///   - calendarAgeDays: calendar age the ageing model starts at, 0…36 500 days.
    /// - Throws: `BatteryModelError` for a capacity that is not finite and positive, a calendar age outside
    ///   0…36 500 days, or anything `PackModel.init` rejects (cell counts, SoC, state of health, temperatures).
    public init(
        standardFor chemistry: Chemistry, nominalCapacityAmpHours: Double, seriesCells: Int, parallelCells: Int = 1,
        soc: Double, temperatureCelsius: Double, ambientTemperatureCelsius: Double? = nil, stateOfHealth: Double = 1,
        calendarAgeDays: Double = PackTwin.standardCalendarAgeDays
    ) throws(BatteryModelError) {
        var checks = ModelParameterChecks()
        checks.requirePositive(nominalCapacityAmpHours, "nominalCapacityAmpHours")
        checks.require(
            calendarAgeDays.isFinite && calendarAgeDays >= 0 && calendarAgeDays <= 36_500, "calendarAgeDays",
            "must be within 0…36500 days (got \(calendarAgeDays))")
        try checks.throwIfAny()

        // Invalid cell counts are reported by PackModel; until then count at least one cell so the sizes stay valid.
        let parallel = Double(max(1, parallelCells))
        let cellCount = Double(max(1, seriesCells)) * parallel
        let cellAmpHours = nominalCapacityAmpHours / parallel
        let cell = try EquivalentCircuitCell.defaults(for: chemistry).resized(toCapacityAmpHours: cellAmpHours)
        let thermalMass = Self.standardThermalMassJoulesPerKelvinPerAmpHour * cellAmpHours * cellCount
        let thermal = try LumpedThermalModel(
            thermalMassJoulesPerKelvin: thermalMass,
            heatTransferWattsPerKelvin: thermalMass / Self.standardThermalTimeConstantSeconds)
        let pack = try PackModel(
            cell: cell, seriesCells: seriesCells, parallelCells: parallelCells, thermal: thermal,
            stateOfHealth: stateOfHealth, ambientTemperatureCelsius: ambientTemperatureCelsius ?? temperatureCelsius,
            soc: soc, temperatureCelsius: temperatureCelsius)

        var ageing = AgeingModel.standard(for: chemistry)
        if calendarAgeDays > 0 {
            try ageing.update(
                timeSeconds: [0, calendarAgeDays * 86_400], soc: [0.5, 0.5], temperatureCelsius: [25, 25])
        }
        self.init(pack: pack, ageing: ageing)
    }
}
