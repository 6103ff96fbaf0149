/// Remaining life by repeating a profile's stresses.
extension TwinForecast {
    /// Remaining calendar life, cycle life and time to end of life, counted from `start`.
    struct LifeProjection: Sendable, Equatable {
        var calendarSeconds: Double?
        var cycleEquivalentFullCycles: Double?
        var endOfLifeSeconds: Double?
    }

    /// Extrapolates `afterHorizon` — `start` after the forecast's series — by repeating the horizon's stresses
    /// with `AgeingModel.repeatLastUpdate()` (BLAST-Lite's `update_battery_state_repeating`, the way its
    /// `simulate_battery_life` runs a constant input to a capacity threshold) until capacity falls to
    /// `endOfLifeRelativeCapacity` and the calendar and cycle parts each reach 20 % of nameplate, or until
    /// `capSeconds` from the start.
    ///
    /// Each crossing is interpolated linearly between the repetitions around it. Every repetition is one step of
    /// BLAST's state equations, so this costs one pass per horizon: at most 262 800 cheap steps for a 1 h horizon
    /// and a 30-year cap.
    static func projectLife(start: AgeingModel, afterHorizon: AgeingModel, capSeconds: Double) -> LifeProjection {
        let lossLimit = 1 - endOfLifeRelativeCapacity
        let startSeconds = start.elapsedSeconds
        let startCycles = start.equivalentFullCycles
        var projection = LifeProjection()
        // Already past a limit at the start: nothing remains.
        if start.calendarCapacityLoss >= lossLimit { projection.calendarSeconds = 0 }
        if start.cycleCapacityLoss >= lossLimit { projection.cycleEquivalentFullCycles = 0 }
        if start.relativeCapacity <= endOfLifeRelativeCapacity { projection.endOfLifeSeconds = 0 }

        var previous = start
        var model = afterHorizon
        while true {
            let seconds = model.elapsedSeconds - startSeconds
            let previousSeconds = previous.elapsedSeconds - startSeconds
            if projection.calendarSeconds == nil, model.calendarCapacityLoss >= lossLimit {
                projection.calendarSeconds = crossing(
                    lossLimit, from: (previousSeconds, previous.calendarCapacityLoss),
                    to: (seconds, model.calendarCapacityLoss))
            }
            if projection.cycleEquivalentFullCycles == nil, model.cycleCapacityLoss >= lossLimit {
                projection.cycleEquivalentFullCycles = crossing(
                    lossLimit, from: (previous.equivalentFullCycles - startCycles, previous.cycleCapacityLoss),
                    to: (model.equivalentFullCycles - startCycles, model.cycleCapacityLoss))
            }
            if projection.endOfLifeSeconds == nil, model.relativeCapacity <= endOfLifeRelativeCapacity {
                projection.endOfLifeSeconds = crossing(
                    lossLimit, from: (previousSeconds, 1 - previous.relativeCapacity),
                    to: (seconds, 1 - model.relativeCapacity))
            }
            let done = projection.calendarSeconds != nil && projection.endOfLifeSeconds != nil
                && (projection.cycleEquivalentFullCycles != nil || model.equivalentFullCycles == startCycles)
            guard !done, seconds < capSeconds, seconds > previousSeconds else { break }
            previous = model
            guard model.repeatLastUpdate() else { break }
        }
        return projection
    }

    /// Where a quantity rising from `from.value` to `to.value` over `from.x…to.x` reaches `limit`, by linear
    /// interpolation (`to.x` when it does not rise).
    static func crossing(_ limit: Double, from: (x: Double, value: Double), to: (x: Double, value: Double)) -> Double {
        let rise = to.value - from.value
        guard rise > 0, limit > from.value else { return rise > 0 ? from.x : to.x }
        return from.x + (limit - from.value) / rise * (to.x - from.x)
    }
}
