/// The result of a what-if run of a pack twin (`PackTwin.forecast`): trajectories over the horizon, the ageing
/// it causes, and the remaining life if the profile were repeated.
public struct TwinForecast: Sendable, Equatable {
    /// The pack's state at one instant of the forecast.
    public struct Sample: Sendable, Equatable {
        /// Time since the start of the forecast, s.
        public var timeSeconds: Double
        /// State of charge, 0–1.
        public var soc: Double
        /// Terminal voltage, V.
        public var terminalVolts: Double
        /// Current during the step that ended here, A (> 0 discharging); 0 at the start.
        public var currentAmps: Double
        /// Power at the terminals during the step that ended here, W (> 0 discharging); 0 at the start.
        public var powerWatts: Double
        /// Pack temperature, °C.
        public var temperatureCelsius: Double
    }

    /// The state at the start (index 0, no current) and at the end of every step: one more than the steps.
    public var samples: [Sample]
    /// Steps (0-based) whose power was reduced: to stay inside the SoC window (down to 0 once at its edge) or to
    /// the pack's maximum discharge power.
    public var clampedSteps: [Int]
    /// The pack at the end of the horizon.
    public var finalPack: PackModel
    /// The ageing model after the horizon's series was fed to a copy of it.
    public var finalAgeing: AgeingModel
    /// Capacity lost over the horizon, a fraction of nameplate: q at the start − q at the end.
    public var capacityFade: Double
    /// Resistance growth over the horizon, relative to new: r at the end − r at the start (0 for an ageing model
    /// without resistance growth).
    public var resistanceGrowth: Double
    /// Time from the start of the forecast until the calendar part of the capacity loss reaches 20 % of nameplate,
    /// s, with the profile repeated; `nil` beyond the extrapolation horizon.
    public var remainingCalendarLifeSeconds: Double?
    /// Equivalent full cycles from the start of the forecast until the cycle part of the capacity loss reaches
    /// 20 % of nameplate, with the profile repeated; `nil` beyond the extrapolation horizon (or without cycling).
    public var remainingCycleLifeEquivalentFullCycles: Double?
    /// Time from the start of the forecast until the capacity falls to 80 % of nameplate (end of life), s, with
    /// the profile repeated; `nil` beyond the extrapolation horizon.
    public var endOfLifeSeconds: Double?

    /// The horizon, s.
    public var horizonSeconds: Double { samples.last?.timeSeconds ?? 0 }

    /// The relative capacity (q) that marks end of life.
    public static let endOfLifeRelativeCapacity = 0.8
}

extension TwinForecast {
    /// What a simulation of the pack over a power profile gives.
    struct Run {
        var samples: [Sample]
        var clampedSteps: [Int]
        var pack: PackModel
        var ageing: AgeingModel
    }

    /// Steps a copy of `pack` through `powerWatts` (one per step of `stepSeconds`) and feeds the SoC and
    /// temperature series to a copy of `ageing`.
    ///
    /// Each step turns its power into a current with `PackModel.current(forPower:)` at the step's start (the
    /// maximum-power current when the power is out of reach), then shortens the current so that the step ends on
    /// the SoC window's edge if it would cross it; past the edge the power is 0. Clamped steps are listed.
    ///
    /// - Throws: `BatteryModelError` when the ageing model rejects the series (a temperature out of its range).
    static func simulate(
        pack start: PackModel, ageing: AgeingModel, powerWatts: [Double], stepSeconds: Double,
        ambientTemperatureCelsius: Double, socMinimum: Double, socMaximum: Double
    ) throws(BatteryModelError) -> Run {
        var pack = start
        pack.ambientTemperatureCelsius = ambientTemperatureCelsius
        let duration = Duration.seconds(stepSeconds)
        let ampSecondsPerUnitSoC = 3600 * pack.usableCapacityAmpHours
        var samples = [
            Sample(
                timeSeconds: 0, soc: pack.soc, terminalVolts: pack.terminalVoltage(current: 0), currentAmps: 0,
                powerWatts: 0, temperatureCelsius: pack.temperatureCelsius)
        ]
        samples.reserveCapacity(powerWatts.count + 1)
        var clampedSteps: [Int] = []
        for (index, requested) in powerWatts.enumerated() {
            var current = pack.current(forPower: requested)
            var watts = pack.power(current: current)
            var clamped = abs(watts - requested) > 1e-6 * max(1, abs(requested))
            let socAfter = pack.soc - current * stepSeconds / ampSecondsPerUnitSoC
            if current > 0, socAfter < socMinimum {
                current = max(0, (pack.soc - socMinimum) * ampSecondsPerUnitSoC / stepSeconds)
                clamped = true
            } else if current < 0, socAfter > socMaximum {
                current = min(0, (pack.soc - socMaximum) * ampSecondsPerUnitSoC / stepSeconds)
                clamped = true
            }
            if clamped { watts = pack.power(current: current) }
            pack.step(current: current, duration: duration)
            samples.append(
                Sample(
                    timeSeconds: Double(index + 1) * stepSeconds, soc: pack.soc,
                    terminalVolts: pack.terminalVoltage(current: current), currentAmps: current, powerWatts: watts,
                    temperatureCelsius: pack.temperatureCelsius))
            if clamped { clampedSteps.append(index) }
        }

        var aged = ageing
        // Times continue the ageing model's own clock, by its convention (only differences matter).
        let offset = ageing.elapsedSeconds
        try aged.update(
            timeSeconds: samples.map { $0.timeSeconds + offset }, soc: samples.map(\.soc),
            temperatureCelsius: samples.map(\.temperatureCelsius))
        return Run(samples: samples, clampedSteps: clampedSteps, pack: pack, ageing: aged)
    }
}
