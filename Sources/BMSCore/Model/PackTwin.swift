/// The digital twin of one pack: its electrical and thermal state (`PackModel`) and its ageing (`AgeingModel`).
///
/// Both are values, so the what-if runs here (`forecast`, `degradationImpactPercent`) work on copies and never
/// change the twin. Keep `pack.stateOfHealth` in step with the capacity the twin has measured or aged to (e.g.
/// `StateOfHealthEstimator`); the forecast does not feed the ageing back into the pack over its short horizon.
public struct PackTwin: Sendable, Equatable {
    /// Electrical and thermal state of the pack.
    public var pack: PackModel
    /// Ageing state of the pack's cells.
    public var ageing: AgeingModel

    /// A twin of `pack` ageing as `ageing`; `nil` takes the standard model of the cell's chemistry
    /// (`AgeingModel.standard(for:)`).
    public init(pack: PackModel, ageing: AgeingModel? = nil) {
        self.pack = pack
        self.ageing = ageing ?? .standard(for: pack.cell.chemistry)
    }

    /// Shortest and longest forecast horizons, s (1 h and 24 h).
    public static let forecastHorizonSeconds: ClosedRange<Double> = 3600...86_400
    /// Shortest step of a power profile, s.
    public static let minimumStepSeconds = 1.0

    /// What-if: simulates `powerProfileWatts` (one value per `step`, > 0 discharging) from the twin's state.
    ///
    /// - Every step turns its power into current at the step's start (`PackModel.current(forPower:)`) and steps
    ///   the pack; a step that would leave `socMinimum…socMaximum` is shortened to end on the edge, and later
    ///   steps get 0 W there (`TwinForecast.clampedSteps` lists them, as well as steps above the maximum power).
    /// - The SoC and pack-temperature series over the horizon is fed to a copy of the ageing model as one update
    ///   (one BLAST `update_battery_state`): `capacityFade` and `resistanceGrowth`.
    /// - Life: the horizon's stresses are repeated (`AgeingModel.repeatLastUpdate()`) until capacity falls to
    ///   80 % of nameplate and the calendar and cycle parts of the loss each reach 20 %, or for `lifeHorizonYears`
    ///   at most: `endOfLifeSeconds`, `remainingCalendarLifeSeconds`, `remainingCycleLifeEquivalentFullCycles`,
    ///   counted from now; `nil` when beyond the horizon.
    ///
    /// - Parameters:
    ///   - ambientTemperatureCelsius: air temperature over the horizon; `nil` keeps the pack's.
    ///   - socMinimum: lowest SoC the profile may discharge to, 0–1.
    ///   - socMaximum: highest SoC the profile may charge to, 0–1.
    ///   - lifeHorizonYears: how far to extrapolate life, years of 365 days (> 0, at most 100); 30 by default.
    /// - Throws: `BatteryModelError` for an empty or non-finite profile, a step shorter than
    ///   `minimumStepSeconds`, a horizon (steps × step) outside `forecastHorizonSeconds`, a SoC window outside
    ///   0…1 or empty, a non-finite ambient temperature, a life horizon outside (0, 100] years, or a pack
    ///   temperature the ageing model rejects.
    public func forecast(
        powerProfileWatts: [Double], step: Duration, ambientTemperatureCelsius: Double? = nil,
        socMinimum: Double = 0, socMaximum: Double = 1, lifeHorizonYears: Double = 30
    ) throws(BatteryModelError) -> TwinForecast {
        let stepSeconds = step.inSeconds
        let ambient = ambientTemperatureCelsius ?? pack.ambientTemperatureCelsius
        var checks = ModelParameterChecks()
        checks.require(
            !powerProfileWatts.isEmpty && powerProfileWatts.allSatisfy(\.isFinite), "powerProfileWatts",
            "needs at least one step and finite powers")
        checks.require(
            stepSeconds.isFinite && stepSeconds >= Self.minimumStepSeconds, "step",
            "must be at least \(Self.minimumStepSeconds) s (got \(stepSeconds) s)")
        let horizon = stepSeconds * Double(powerProfileWatts.count)
        let range = Self.forecastHorizonSeconds
        checks.require(
            range.lowerBound - 1e-9 <= horizon && horizon <= range.upperBound + 1e-9, "powerProfileWatts",
            "steps × step must be within \(range.lowerBound)…\(range.upperBound) s (got \(horizon) s)")
        Self.checkWindow(&checks, ambient: ambient, socMinimum: socMinimum, socMaximum: socMaximum)
        checks.require(
            lifeHorizonYears.isFinite && lifeHorizonYears > 0 && lifeHorizonYears <= 100, "lifeHorizonYears",
            "must be greater than 0 and at most 100 (got \(lifeHorizonYears))")
        try checks.throwIfAny()

        let run = try TwinForecast.simulate(
            pack: pack, ageing: ageing, powerWatts: powerProfileWatts, stepSeconds: stepSeconds,
            ambientTemperatureCelsius: ambient, socMinimum: socMinimum, socMaximum: socMaximum)
        let life = TwinForecast.projectLife(
            start: ageing, afterHorizon: run.ageing, capSeconds: lifeHorizonYears * 365 * 86_400)
        return TwinForecast(
            samples: run.samples, clampedSteps: run.clampedSteps, finalPack: run.pack, finalAgeing: run.ageing,
            capacityFade: ageing.relativeCapacity - run.ageing.relativeCapacity,
            resistanceGrowth: run.ageing.relativeResistance - ageing.relativeResistance,
            remainingCalendarLifeSeconds: life.calendarSeconds,
            remainingCycleLifeEquivalentFullCycles: life.cycleEquivalentFullCycles,
            endOfLifeSeconds: life.endOfLifeSeconds)
    }

    /// The extra capacity loss caused by running at `powerWatts` (> 0 discharging) for `duration` rather than
    /// staying idle over the same time, in percent of nameplate capacity (percentage points of q) — the spec's
    /// `degradation_impact` of one device.
    ///
    /// Both runs start from the twin's state, are simulated in steps of at most 60 s like `forecast` (the SoC
    /// window clamps the run) and are fed to copies of the ageing model as one update each: impact =
    /// 100 × (q after idling − q after running). It can be slightly negative where the run relieves calendar
    /// stress more than it adds cycling stress (discharging a full NMC pack lowers its SoC).
    ///
    /// - Throws: `BatteryModelError` for a non-finite power, a duration outside (0, 24 h], a SoC window outside
    ///   0…1 or empty, a non-finite ambient temperature, or a pack temperature the ageing model rejects.
    public func degradationImpactPercent(
        powerWatts: Double, duration: Duration, ambientTemperatureCelsius: Double? = nil,
        socMinimum: Double = 0, socMaximum: Double = 1
    ) throws(BatteryModelError) -> Double {
        let seconds = duration.inSeconds
        let ambient = ambientTemperatureCelsius ?? pack.ambientTemperatureCelsius
        var checks = ModelParameterChecks()
        checks.requireFinite(powerWatts, "powerWatts")
        checks.require(
            seconds > 0 && seconds <= Self.forecastHorizonSeconds.upperBound, "duration",
            "must be greater than 0 and at most \(Self.forecastHorizonSeconds.upperBound) s (got \(seconds) s)")
        Self.checkWindow(&checks, ambient: ambient, socMinimum: socMinimum, socMaximum: socMaximum)
        try checks.throwIfAny()

        let steps = max(1, Int((seconds / 60).rounded(.up)))
        let stepSeconds = seconds / Double(steps)
        let running = try TwinForecast.simulate(
            pack: pack, ageing: ageing, powerWatts: Array(repeating: powerWatts, count: steps), stepSeconds: stepSeconds,
            ambientTemperatureCelsius: ambient, socMinimum: socMinimum, socMaximum: socMaximum)
        let idling = try TwinForecast.simulate(
            pack: pack, ageing: ageing, powerWatts: Array(repeating: 0, count: steps), stepSeconds: stepSeconds,
            ambientTemperatureCelsius: ambient, socMinimum: socMinimum, socMaximum: socMaximum)
        return 100 * (idling.ageing.relativeCapacity - running.ageing.relativeCapacity)
    }

    /// Records problems with an ambient temperature and a SoC window.
    private static func checkWindow(
        _ checks: inout ModelParameterChecks, ambient: Double, socMinimum: Double, socMaximum: Double
    ) {
        checks.requireFinite(ambient, "ambientTemperatureCelsius")
        checks.require(
            socMinimum.isFinite && socMaximum.isFinite && 0 <= socMinimum && socMinimum < socMaximum
                && socMaximum <= 1, "socMinimum",
            "socMinimum…socMaximum must be a non-empty window within 0…1 (got \(socMinimum)…\(socMaximum))")
    }
}
