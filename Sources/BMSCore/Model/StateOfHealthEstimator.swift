/// State of health from capacity: the charge counted between two rests whose state of charge is read from the
/// open-circuit voltage, capacity = ΔAh / ΔSoC, SoH = capacity / nameplate capacity. (SoH from resistance:
/// `stateOfHealth(resistanceOhms:newResistanceOhms:endOfLifeResistanceOhms:)`.)
///
/// **Method.** Samples (time, current with > 0 discharging, terminal voltage) are fed in order. The charge is
/// integrated with the trapezoid rule. A rest is a run of samples with |I| below `restCurrentAmps`; once it has
/// lasted `minimumRestSeconds` (the polarisation has relaxed), each of its samples is read as a point
/// (SoC = OCV⁻¹(V / series cells), charge counted so far). When current flows again, the rest's last point
/// becomes the anchor. While a later rest is being read, capacity = (charge between the anchor and the point) /
/// (SoC of the anchor − SoC of the point), refreshed with every rest sample.
///
/// **What is rejected.** A point whose voltage lies outside the curve, or where the curve is flatter than
/// `minimumSlopeVoltsPerUnitSoC` within ±1 % SoC of the reading (the LFP plateau: there a millivolt moves the
/// reading by several per cent), is not used; such a rest leaves the previous anchor in place. A pair whose
/// |ΔSoC| is below `minimumSoCChange`, or whose charge and SoC change disagree in sign, gives no estimate. A gap
/// between samples longer than `maximumSampleGapSeconds` drops the anchor (the count is no longer trustworthy).
///
/// **Error budget at the defaults.** A rest-voltage error of δV per cell moves each reading by at most
/// δV / 0.3 V, so 1 mV gives ≤ 0.33 % SoC per reading and ≤ 2.2 % of capacity at the minimum swing of 0.3.
public struct StateOfHealthEstimator: Sendable, Equatable {
    /// Thresholds of the method (see the type's documentation).
    public struct Configuration: Sendable, Equatable {
        /// |I| below this counts as rest, A.
        public var restCurrentAmps: Double
        /// How long a rest must last before its voltage is read, s.
        public var minimumRestSeconds: Double
        /// Smallest |ΔSoC| between two rests that gives an estimate, 0–1.
        public var minimumSoCChange: Double
        /// Smallest cell dOCV/dSoC within ±1 % SoC of a reading for it to be trusted, V per unit SoC.
        public var minimumSlopeVoltsPerUnitSoC: Double
        /// Longest gap between samples the charge count bridges, s.
        public var maximumSampleGapSeconds: Double

        /// Thresholds with the documented defaults: 30 min rests, ΔSoC ≥ 0.3, slope ≥ 0.3 V per unit SoC
        /// (3 mV per %), gaps ≤ 5 min.
        public init(
            restCurrentAmps: Double, minimumRestSeconds: Double = 1800, minimumSoCChange: Double = 0.3,
            minimumSlopeVoltsPerUnitSoC: Double = 0.3, maximumSampleGapSeconds: Double = 300
        ) {
            self.restCurrentAmps = restCurrentAmps
            self.minimumRestSeconds = minimumRestSeconds
            self.minimumSoCChange = minimumSoCChange
            self.minimumSlopeVoltsPerUnitSoC = minimumSlopeVoltsPerUnitSoC
            self.maximumSampleGapSeconds = maximumSampleGapSeconds
        }
    }

    /// One capacity measurement between two rests.
    public struct CapacityEstimate: Sendable, Equatable {
        /// Capacity, Ah: `dischargedAmpHours` / (`startSoC` − `endSoC`).
        public var capacityAmpHours: Double
        /// Capacity / nameplate capacity, 0–1 and above for a pack better than its nameplate.
        public var stateOfHealth: Double
        /// Charge counted from the first rest's reading to the second's, Ah (> 0 when discharged).
        public var dischargedAmpHours: Double
        /// State of charge read at the first rest, 0–1.
        public var startSoC: Double
        /// State of charge read at the second rest, 0–1.
        public var endSoC: Double
        /// Time of the first reading, s.
        public var startTimeSeconds: Double
        /// Time of the second reading, s.
        public var endTimeSeconds: Double
    }

    /// A rest sample read as a point of the OCV curve.
    struct RestReading: Sendable, Equatable {
        var soc: Double
        var countedAmpHours: Double
        var timeSeconds: Double
    }

    /// Cell open-circuit voltage curve used to read the rests.
    public let openCircuitVoltage: OpenCircuitVoltage
    /// Cells (parallel groups) in series: the terminal voltage is divided by this.
    public let seriesCells: Int
    /// Nameplate capacity of the pack, Ah.
    public let nameplateCapacityAmpHours: Double
    /// The thresholds in use.
    public let configuration: Configuration
    /// The most recent estimate, refreshed with every sample of a rest that gives one.
    public private(set) var latestEstimate: CapacityEstimate?

    private var lastTimeSeconds: Double?
    private var lastCurrentAmps = 0.0
    private var countedAmpHours = 0.0
    private var restStartSeconds: Double?
    private var currentRest: RestReading?
    private var anchor: RestReading?

    /// An estimator for a pack of `seriesCells` cells with `openCircuitVoltage`.
    ///
    /// - Parameter configuration: `nil` takes the defaults with a rest current of C/100
    ///   (0.01 × `nameplateCapacityAmpHours` A).
    /// - Throws: `BatteryModelError` unless the cell count is within 1…`PackModel.maximumCellCount`, the capacity
    ///   is finite and positive, and every threshold is finite and positive with `minimumSoCChange` at most 1.
    public init(
        openCircuitVoltage: OpenCircuitVoltage, seriesCells: Int, nameplateCapacityAmpHours: Double,
        configuration: Configuration? = nil
    ) throws(BatteryModelError) {
        let configuration = configuration ?? Configuration(restCurrentAmps: 0.01 * nameplateCapacityAmpHours)
        var checks = ModelParameterChecks()
        checks.require(
            (1...PackModel.maximumCellCount).contains(seriesCells), "seriesCells",
            "must be within 1…\(PackModel.maximumCellCount) (got \(seriesCells))")
        checks.requirePositive(nameplateCapacityAmpHours, "nameplateCapacityAmpHours")
        checks.requirePositive(configuration.restCurrentAmps, "restCurrentAmps")
        checks.requirePositive(configuration.minimumRestSeconds, "minimumRestSeconds")
        checks.requirePositive(configuration.minimumSlopeVoltsPerUnitSoC, "minimumSlopeVoltsPerUnitSoC")
        checks.requirePositive(configuration.maximumSampleGapSeconds, "maximumSampleGapSeconds")
        checks.require(
            configuration.minimumSoCChange.isFinite && configuration.minimumSoCChange > 0
                && configuration.minimumSoCChange <= 1, "minimumSoCChange",
            "must be greater than 0 and at most 1 (got \(configuration.minimumSoCChange))")
        try checks.throwIfAny()
        self.openCircuitVoltage = openCircuitVoltage
        self.seriesCells = seriesCells
        self.nameplateCapacityAmpHours = nameplateCapacityAmpHours
        self.configuration = configuration
    }

    /// An estimator for `pack`: its cell's curve, series count and nameplate capacity (`packCapacityAmpHours`).
    public init(pack: PackModel, configuration: Configuration? = nil) throws(BatteryModelError) {
        try self.init(
            openCircuitVoltage: pack.cell.openCircuitVoltage, seriesCells: pack.seriesCells,
            nameplateCapacityAmpHours: pack.packCapacityAmpHours, configuration: configuration)
    }

    // MARK: - Samples

    /// Feeds one sample: time, s; current, A (> 0 discharging); terminal voltage of the pack, V.
    ///
    /// - Returns: the estimate this sample made or refreshed, if any (also kept in `latestEstimate`).
    /// - Throws: `BatteryModelError` for a non-finite value or a time not after the previous sample's; the
    ///   estimator is then unchanged.
    @discardableResult
    public mutating func addSample(
        timeSeconds: Double, currentAmps: Double, terminalVolts: Double
    ) throws(BatteryModelError) -> CapacityEstimate? {
        var checks = ModelParameterChecks()
        checks.requireFinite(timeSeconds, "timeSeconds")
        checks.requireFinite(currentAmps, "currentAmps")
        checks.requireFinite(terminalVolts, "terminalVolts")
        if let last = lastTimeSeconds, timeSeconds.isFinite {
            checks.require(timeSeconds > last, "timeSeconds", "must come after the previous sample (\(last) s)")
        }
        try checks.throwIfAny()

        if let last = lastTimeSeconds {
            let gap = timeSeconds - last
            if gap > configuration.maximumSampleGapSeconds {
                anchor = nil
                currentRest = nil
                restStartSeconds = nil
            } else {
                countedAmpHours += (lastCurrentAmps + currentAmps) / 2 * gap / 3600
            }
        }
        lastTimeSeconds = timeSeconds
        lastCurrentAmps = currentAmps

        guard abs(currentAmps) < configuration.restCurrentAmps else {
            // The rest is over: its last trusted reading anchors the next estimate.
            if let rest = currentRest { anchor = rest }
            currentRest = nil
            restStartSeconds = nil
            return nil
        }
        let restStart = restStartSeconds ?? timeSeconds
        restStartSeconds = restStart
        guard timeSeconds - restStart >= configuration.minimumRestSeconds else { return nil }
        currentRest = reading(cellVolts: terminalVolts / Double(seriesCells), timeSeconds: timeSeconds)
        guard let point = currentRest, let estimate = estimate(from: anchor, to: point) else { return nil }
        latestEstimate = estimate
        return estimate
    }

    /// The rest point at `cellVolts`, or `nil` where the curve cannot place it or is too flat to trust.
    func reading(cellVolts: Double, timeSeconds: Double) -> RestReading? {
        let curve = openCircuitVoltage
        guard let lowestVolts = curve.voltageBreakpoints.first, let highestVolts = curve.voltageBreakpoints.last,
            let lowestSoC = curve.socBreakpoints.first, let highestSoC = curve.socBreakpoints.last,
            cellVolts > lowestVolts, cellVolts < highestVolts
        else { return nil }
        let soc = curve.soc(voltage: cellVolts)
        let neighbourhood = [soc - 0.01, soc, soc + 0.01].map { min(max($0, lowestSoC), highestSoC) }
        let flattest = neighbourhood.map { curve.slope(soc: $0) }.min() ?? 0
        guard soc.isFinite, flattest >= configuration.minimumSlopeVoltsPerUnitSoC else { return nil }
        return RestReading(soc: soc, countedAmpHours: countedAmpHours, timeSeconds: timeSeconds)
    }

    /// Capacity between two readings, if they are far enough apart and consistent.
    func estimate(from start: RestReading?, to end: RestReading) -> CapacityEstimate? {
        guard let start else { return nil }
        let socChange = start.soc - end.soc
        let charge = end.countedAmpHours - start.countedAmpHours
        guard abs(socChange) >= configuration.minimumSoCChange, charge * socChange > 0 else { return nil }
        let capacity = charge / socChange
        guard capacity.isFinite, capacity > 0 else { return nil }
        return CapacityEstimate(
            capacityAmpHours: capacity, stateOfHealth: capacity / nameplateCapacityAmpHours, dischargedAmpHours: charge,
            startSoC: start.soc, endSoC: end.soc, startTimeSeconds: start.timeSeconds, endTimeSeconds: end.timeSeconds)
    }
}

extension StateOfHealthEstimator {
    /// State of health from resistance, 0–1: (R_eol − R) / (R_eol − R_new), clamped to 0…1, so 1 at the new
    /// resistance and 0 at the end-of-life resistance.
    ///
    /// - Parameters:
    ///   - resistanceOhms: the resistance now (e.g. `ParameterIdentifier`'s R0), Ω.
    ///   - newResistanceOhms: the same resistance when new, Ω.
    ///   - endOfLifeResistanceOhms: the resistance at end of life, Ω; `nil` takes 2 × `newResistanceOhms`, the
    ///     common convention that a cell has reached end of life when its DC resistance has doubled.
    /// - Returns: `nil` unless every value is finite, R and R_new are positive and R_eol > R_new.
    public static func stateOfHealth(
        resistanceOhms: Double, newResistanceOhms: Double, endOfLifeResistanceOhms: Double? = nil
    ) -> Double? {
        let endOfLife = endOfLifeResistanceOhms ?? 2 * newResistanceOhms
        guard resistanceOhms.isFinite, newResistanceOhms.isFinite, endOfLife.isFinite, resistanceOhms > 0,
            newResistanceOhms > 0, endOfLife > newResistanceOhms
        else { return nil }
        let health = (endOfLife - resistanceOhms) / (endOfLife - newResistanceOhms)
        return min(max(health, 0), 1)
    }
}
