/// Semi-empirical capacity fade and resistance growth of a cell: a Swift port of NREL's BLAST-Lite 1.1.1
/// (`blast-lite` on PyPI, https://github.com/NREL/BLAST-Lite) for four of its models, checked against it within
/// 2 % by Tests/IntegrationTests/AgeingOracleTests.swift.
///
/// Each `update(timeSeconds:soc:temperatureCelsius:)` is one BLAST `update_battery_state(t_secs, soc, T_celsius)`
/// call: the stressors of the series (`AgeingStressors`: Δt, ΔEFC, DoD, C-rate, temperature, anode potential),
/// the model's degradation rates time-averaged over it, and one step of each degradation state along its
/// trajectory from where it stands (power law, sigmoid — see `AgeingTrajectory`). Because each call is one step,
/// the result depends a little on how a history is split into calls: BLAST's own `simulate_battery_life` splits at
/// cycle ends about once a day or once per equivalent full cycle, and so should callers (a year at 25 °C and
/// 50 % SoC: 1.102 % loss as one call, 1.104 % as 365 daily calls).
///
/// A call counts only the time from its first to its last sample, as BLAST does; to lose none, start each call at
/// the previous call's last sample. Times need only increase within a call.
///
/// The model is a value: copy it for a what-if (`PackTwin.forecast`) and the original never changes.
public struct AgeingModel: Sendable, Equatable {
    /// The ported BLAST-Lite models; the raw value is the BLAST-Lite class name in `blast.models`.
    public enum Kind: String, Sendable, CaseIterable {
        /// `Lfp_Gr_250AhPrismatic`: large-format prismatic LFP/graphite (> 250 Ah). Capacity only, no resistance
        /// model. The standard for LFP: a year at 25 °C and 50 % SoC loses 1.10 % (the known answer).
        case lfpGr250AhPrismatic = "Lfp_Gr_250AhPrismatic"
        /// `Lfp_Gr_SonyMurata3Ah_Battery`: Sony-Murata 3 Ah cylindrical LFP/graphite, with resistance growth.
        case lfpGrSonyMurata3Ah = "Lfp_Gr_SonyMurata3Ah_Battery"
        /// `Nmc111_Gr_Kokam75Ah_Battery`: Kokam 75 Ah NMC/graphite pouch, with resistance growth. The standard for
        /// NMC and LCO.
        case nmc111GrKokam75Ah = "Nmc111_Gr_Kokam75Ah_Battery"
        /// `Nca_Gr_Panasonic3Ah_Battery`: Panasonic 18650B NCA/graphite. Capacity only. The standard for NCA.
        case ncaGrPanasonic3Ah = "Nca_Gr_Panasonic3Ah_Battery"
    }

    /// Which BLAST-Lite model this is.
    public let kind: Kind
    /// The model's degradation states, in the order of its BLAST `states` dictionary.
    private(set) var states: [Double]
    /// The rates of the last update, kept for `repeatLastUpdate()`; empty before the first update.
    private var lastRates: [Double] = []
    private var lastDeltaDays = 0.0
    private var lastDeltaEquivalentFullCycles = 0.0
    private var lastDeltaSeconds = 0.0
    private var latestOutputs: AgeingOutputs

    /// Time counted so far: the sum over updates of last − first sample time, s.
    public private(set) var elapsedSeconds: Double = 0
    /// Equivalent full cycles counted so far (each update's Σ|ΔSoC| / 2 × the relative capacity at its start).
    public private(set) var equivalentFullCycles: Double = 0

    /// A new cell (q = 1, r = 1) following BLAST-Lite's `kind` model.
    public init(kind: Kind) {
        self.kind = kind
        self.states = kind.equations.initialStates
        self.latestOutputs = .fresh(modelsResistance: kind.equations.modelsResistance)
    }

    /// The model for a pack of `chemistry`:
    ///
    /// | Chemistry | BLAST-Lite model | Why |
    /// |---|---|---|
    /// | LFP | `Lfp_Gr_250AhPrismatic` | large-format stationary LFP cells; gives the 1.10 %/year at 25 °C, 50 % |
    /// | NMC | `Nmc111_Gr_Kokam75Ah_Battery` | large-format NMC/graphite with capacity and resistance |
    /// | NCA | `Nca_Gr_Panasonic3Ah_Battery` | BLAST-Lite's NCA/graphite model |
    /// | LCO | `Nmc111_Gr_Kokam75Ah_Battery` | BLAST-Lite has no LCO model; NMC is the nearest layered oxide on graphite |
    public static func standard(for chemistry: Chemistry) -> AgeingModel {
        switch chemistry {
        case .lfp: AgeingModel(kind: .lfpGr250AhPrismatic)
        case .nmc, .lco: AgeingModel(kind: .nmc111GrKokam75Ah)
        case .nca: AgeingModel(kind: .ncaGrPanasonic3Ah)
        }
    }

    // MARK: - Outputs

    /// q, capacity relative to nameplate (1 when new).
    public var relativeCapacity: Double { latestOutputs.relativeCapacity }

    /// The time-driven (calendar) capacity loss, a fraction of nameplate: BLAST's `qLoss_t` / `qLoss_LLI_t`.
    public var calendarCapacityLoss: Double { latestOutputs.calendarCapacityLoss }

    /// The throughput-driven (cycle) capacity loss, a fraction of nameplate: 1 − q − `calendarCapacityLoss`, so
    /// the two parts add up to the total loss. It is BLAST's `qLoss_EFC` / `qLoss_LLI_EFC` (+ `qLoss_BreakIn_EFC`);
    /// for the Kokam NMC model, once loss of active material limits q, everything beyond the calendar loss.
    public var cycleCapacityLoss: Double { 1 - latestOutputs.relativeCapacity - latestOutputs.calendarCapacityLoss }

    /// r, resistance relative to new (1 when new); stays 1 for a model without resistance growth
    /// (`modelsResistance`).
    public var relativeResistance: Double { latestOutputs.relativeResistance ?? 1 }

    /// Whether the BLAST-Lite model predicts resistance growth (the LFP 250 Ah and NCA models do not).
    public var modelsResistance: Bool { latestOutputs.relativeResistance != nil }

    /// Every output of the model under its BLAST-Lite name (`q`, `q_t`, `q_EFC`, `r`, `q_LAM`, …), as in the
    /// Python model's `outputs`, for comparison with BLAST-Lite.
    public var blastOutputs: [String: Double] {
        let equations = kind.equations
        return lastRates.isEmpty ? equations.initialNamedOutputs : equations.namedOutputs(states: states)
    }

    // MARK: - Updates

    /// Feeds one time series, as BLAST-Lite's `update_battery_state(t_secs, soc, T_celsius)` does.
    ///
    /// - Parameters:
    ///   - timeSeconds: sample times, s, strictly increasing (by convention seconds since the model's start,
    ///     continuing from the last call; only differences matter).
    ///   - soc: state of charge per sample, 0–1.
    ///   - temperatureCelsius: cell temperature per sample, °C, within `temperatureRangeCelsius`.
    /// - Throws: `BatteryModelError` listing every problem with the series (fewer than two samples, lengths that
    ///   differ, a non-finite value, times that do not strictly increase, a SoC outside 0…1, a temperature outside
    ///   the range), or when the model's equations give a non-finite state for it (a BLAST model extrapolated far
    ///   outside its data can). The model is unchanged when it throws.
    public mutating func update(
        timeSeconds: [Double], soc: [Double], temperatureCelsius: [Double]
    ) throws(BatteryModelError) {
        try Self.validate(timeSeconds: timeSeconds, soc: soc, temperatureCelsius: temperatureCelsius)
        let stressors = AgeingStressors(
            timeSeconds: timeSeconds, soc: soc, temperatureCelsius: temperatureCelsius,
            relativeCapacity: latestOutputs.relativeCapacity)
        let rates = kind.equations.rates(stressors)
        let seconds = (timeSeconds.last ?? 0) - (timeSeconds.first ?? 0)
        guard
            apply(
                rates: rates, deltaDays: stressors.deltaDays,
                deltaEquivalentFullCycles: stressors.deltaEquivalentFullCycles, deltaSeconds: seconds)
        else {
            throw BatteryModelError([
                .init(
                    parameter: "temperatureCelsius",
                    reason: "\(kind.rawValue) gives a non-finite state for this series (outside its data)")
            ])
        }
    }

    /// Repeats the last update's stresses once more — BLAST-Lite's `update_battery_state_repeating()` with energy
    /// throughput conserved: the same Δt, ΔEFC and rates, one more step of every state.
    ///
    /// Used to extrapolate a repeated profile to end of life cheaply. Returns `false`, leaving the model
    /// unchanged, before the first update or if the step would give a non-finite state.
    @discardableResult
    public mutating func repeatLastUpdate() -> Bool {
        guard !lastRates.isEmpty else { return false }
        return apply(
            rates: lastRates, deltaDays: lastDeltaDays, deltaEquivalentFullCycles: lastDeltaEquivalentFullCycles,
            deltaSeconds: lastDeltaSeconds)
    }

    /// One step of every state with `rates`; commits and returns `true` only if everything stays finite.
    private mutating func apply(
        rates: [Double], deltaDays: Double, deltaEquivalentFullCycles: Double, deltaSeconds: Double
    ) -> Bool {
        let equations = kind.equations
        let increments = equations.increments(
            states: states, rates: rates, deltaDays: deltaDays, deltaEFC: deltaEquivalentFullCycles)
        let next = zip(states, increments).map { $0 + $1 }
        let outputs = equations.outputs(states: next)
        guard next.count == states.count, next.allSatisfy(\.isFinite), outputs.relativeCapacity.isFinite,
            (outputs.relativeResistance ?? 1).isFinite
        else { return false }
        states = next
        latestOutputs = outputs
        lastRates = rates
        lastDeltaDays = deltaDays
        lastDeltaEquivalentFullCycles = deltaEquivalentFullCycles
        lastDeltaSeconds = deltaSeconds
        elapsedSeconds += deltaSeconds
        equivalentFullCycles += deltaEquivalentFullCycles
        return true
    }
}

extension AgeingModel.Kind {
    /// The equations of this BLAST-Lite model.
    var equations: any AgeingEquations.Type {
        switch self {
        case .lfpGr250AhPrismatic: return Lfp250AhPrismaticAgeing.self
        case .lfpGrSonyMurata3Ah: return LfpSonyMurata3AhAgeing.self
        case .nmc111GrKokam75Ah: return Nmc111Kokam75AhAgeing.self
        case .ncaGrPanasonic3Ah: return NcaPanasonic3AhAgeing.self
        }
    }
}
