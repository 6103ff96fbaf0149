/// Open-circuit voltage of one cell against state of charge, as a piecewise-linear table.
///
/// Between breakpoints the voltage is interpolated linearly; outside the table's state-of-charge range it is
/// held at the end values. The standard curve of each chemistry is `standard(for:)`
/// (`OpenCircuitVoltage+Tables.swift`, with its sources).
public struct OpenCircuitVoltage: Sendable, Equatable {
    /// State of charge at each breakpoint, 0–1, strictly increasing.
    public let socBreakpoints: [Double]
    /// Cell open-circuit voltage at each breakpoint, V, never decreasing.
    public let voltageBreakpoints: [Double]

    /// A curve through the given breakpoints.
    ///
    /// - Throws: `BatteryModelError` unless both lists have the same length of at least two, every value is
    ///   finite, the states of charge lie within 0…1 and strictly increase, and the voltages never decrease.
    ///   Equal neighbouring voltages are allowed (a flat segment).
    public init(socBreakpoints: [Double], voltageBreakpoints: [Double]) throws(BatteryModelError) {
        var checks = ModelParameterChecks()
        checks.require(
            socBreakpoints.count >= 2 && socBreakpoints.count == voltageBreakpoints.count, "socBreakpoints",
            "needs at least two breakpoints and as many as voltageBreakpoints "
                + "(got \(socBreakpoints.count) and \(voltageBreakpoints.count))")
        checks.require(
            socBreakpoints.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "socBreakpoints",
            "every state of charge must be finite and within 0…1")
        checks.require(
            !zip(socBreakpoints, socBreakpoints.dropFirst()).contains { $0 >= $1 }, "socBreakpoints",
            "must strictly increase")
        checks.require(
            voltageBreakpoints.allSatisfy(\.isFinite), "voltageBreakpoints", "every voltage must be finite")
        checks.require(
            !zip(voltageBreakpoints, voltageBreakpoints.dropFirst()).contains { $0 > $1 }, "voltageBreakpoints",
            "must never decrease")
        try checks.throwIfAny()
        self.socBreakpoints = socBreakpoints
        self.voltageBreakpoints = voltageBreakpoints
    }

    /// A curve from a table already known to be valid (the standard tables, checked by tests).
    init(validatedTable table: [(soc: Double, volts: Double)]) {
        self.socBreakpoints = table.map { $0.soc }
        self.voltageBreakpoints = table.map { $0.volts }
    }

    // MARK: - Look-ups

    /// Cell open-circuit voltage at `soc`, V; a state of charge outside the table is clamped to its ends.
    public func voltage(soc: Double) -> Double {
        let socs = socBreakpoints
        let volts = voltageBreakpoints
        guard let lastIndex = socs.indices.last, lastIndex >= 1, volts.count == socs.count else {
            return volts.first ?? .nan
        }
        if soc <= socs[0] { return volts[0] }
        if soc >= socs[lastIndex] { return volts[lastIndex] }
        let index = segment(containing: soc)
        let fraction = (soc - socs[index]) / (socs[index + 1] - socs[index])
        return volts[index] + fraction * (volts[index + 1] - volts[index])
    }

    /// State of charge at which the curve reaches `voltage`, 0–1 — the inverse of `voltage(soc:)`.
    ///
    /// A voltage below or above the table gives its first or last state of charge. A voltage on a flat part
    /// of the curve (equal neighbouring breakpoints) gives the midpoint of that flat part, the estimate with
    /// the smallest worst-case error. A NaN voltage gives NaN.
    public func soc(voltage: Double) -> Double {
        let socs = socBreakpoints
        let volts = voltageBreakpoints
        guard !voltage.isNaN, volts.count == socs.count, let firstVolts = volts.first, let lastVolts = volts.last
        else { return .nan }
        if voltage < firstVolts { return socs[0] }
        if voltage > lastVolts { return socs[socs.count - 1] }
        // Breakpoints at exactly this voltage: a single one, or a flat run whose midpoint is returned.
        if let low = volts.firstIndex(of: voltage), let high = volts.lastIndex(of: voltage) {
            return (socs[low] + socs[high]) / 2
        }
        // Here firstVolts < voltage < lastVolts, so the segment below `upper` rises strictly through it.
        guard let upper = volts.firstIndex(where: { $0 > voltage }), upper > 0 else { return .nan }
        let lower = upper - 1
        let fraction = (voltage - volts[lower]) / (volts[upper] - volts[lower])
        return socs[lower] + fraction * (socs[upper] - socs[lower])
    }

    /// dV/dSoC of the curve at `soc`, V per unit state of charge (V per 100 %).
    ///
    /// On a breakpoint this is the slope of the segment above it (below it at the last breakpoint). Outside
    /// the table the voltage is clamped, so the slope there is 0.
    public func slope(soc: Double) -> Double {
        let socs = socBreakpoints
        let volts = voltageBreakpoints
        guard let first = socs.first, let last = socs.last, socs.count >= 2, volts.count == socs.count,
            soc >= first, soc <= last
        else { return 0 }
        let index = segment(containing: soc)
        return (volts[index + 1] - volts[index]) / (socs[index + 1] - socs[index])
    }

    /// Index `i` of the segment `socBreakpoints[i]…socBreakpoints[i + 1]` that holds `soc`: the segment
    /// starting at a breakpoint owns it, and values beyond the table fall in the first or last segment.
    private func segment(containing soc: Double) -> Int {
        // The tables have a few dozen points at most; a linear scan is simpler than a binary search.
        var index = 0
        while index + 2 < socBreakpoints.count && soc >= socBreakpoints[index + 1] { index += 1 }
        return index
    }
}
