import Foundation

/// The equations of one BLAST-Lite model: what its `update_rates`, `update_states` and `update_outputs` compute.
///
/// States and rates are arrays in the order of the model's `self.states` and `self.rates` dictionaries, so a
/// port reads line by line against its Python source.
protocol AgeingEquations {
    /// The model's `states` when new, in its order.
    static var initialStates: [Double] { get }
    /// The model's `outputs` when new, under their BLAST names (BLAST sets them in `__init__`; they are not
    /// computed from the initial states).
    static var initialNamedOutputs: [String: Double] { get }
    /// Whether the model predicts resistance growth.
    static var modelsResistance: Bool { get }
    /// `update_rates`: the stressor-dependent degradation rates of one update, in the model's order.
    static func rates(_ stressors: AgeingStressors) -> [Double]
    /// `update_states`: the change of every state over one update with `rates`.
    static func increments(states: [Double], rates: [Double], deltaDays: Double, deltaEFC: Double) -> [Double]
    /// `update_outputs`: capacity, resistance and the calendar part from the states.
    static func outputs(states: [Double]) -> AgeingOutputs
    /// `update_outputs`: every output from the states, under its BLAST name.
    static func namedOutputs(states: [Double]) -> [String: Double]
}

/// What a BLAST-Lite model reports after an update.
struct AgeingOutputs: Sendable, Equatable {
    /// q, relative capacity (1 when new).
    var relativeCapacity: Double
    /// The time-dependent (calendar) capacity loss, as a fraction of nameplate capacity.
    var calendarCapacityLoss: Double
    /// r, relative resistance (1 when new); `nil` for a model without a resistance model.
    var relativeResistance: Double?

    /// A new cell: q = 1, no loss, r = 1 when the model has resistance growth.
    static func fresh(modelsResistance: Bool) -> AgeingOutputs {
        AgeingOutputs(relativeCapacity: 1, calendarCapacityLoss: 0, relativeResistance: modelsResistance ? 1 : nil)
    }
}

/// BLAST-Lite's integration of time-varying degradation rates (`BatteryDegradationModel._update_*_state`).
///
/// Each trajectory y(x) (x = days or equivalent full cycles) is advanced from the present state y₀ with the slope
/// the trajectory has at the x where it reaches y₀ — so a rate that changes between updates continues from the
/// damage already done rather than from zero. The step is explicit (one slope per update), so results depend a
/// little on how a time series is split into updates, as BLAST-Lite's do.
enum AgeingTrajectory {
    /// `_update_power_state`: trajectory y = k·x^p, slope dy/dx = k·p·(y/k)^((p−1)/p); from y₀ = 0 the step is
    /// k·Δx^p.
    static func powerLawIncrement(state y0: Double, step dx: Double, coefficient k: Double, exponent p: Double) -> Double {
        guard dx != 0 else { return 0 }
        if y0 == 0 {
            let start = k * pow(dx, p)
            return start / dx * dx
        }
        let slope = k * p * pow(y0 / k, (p - 1) / p)
        return slope * dx
    }

    /// `_update_power_B_state`: trajectory y = (k·x)^p; with z = y^(1/p)/k, slope p·(k·z)^p / z; from y₀ = 0 the
    /// step is (k·Δx)^p.
    static func powerBIncrement(state y0: Double, step dx: Double, coefficient k: Double, exponent p: Double) -> Double {
        guard dx != 0 else { return 0 }
        if y0 == 0 {
            let start = pow(k * dx, p)
            return start / dx * dx
        }
        let z = pow(y0, 1 / p) / k
        let slope = p * pow(k * z, p) / z
        return slope * dx
    }

    /// `_update_sigmoid_state`: trajectory y = 2·y∞·(½ − 1/(1 + exp((k·x)^p))); from y₀ = 0 the step is the
    /// trajectory at Δx, else the slope at x⁻¹(y₀) = (1/k)·ln(−2·y∞/(y₀ − y∞) − 1)^(1/p).
    static func sigmoidIncrement(
        state y0: Double, step dx: Double, limit yInfinity: Double, rate k: Double, exponent p: Double
    ) -> Double {
        guard dx != 0 else { return 0 }
        if y0 == 0 {
            let growth = exp(pow(k * dx, p))
            let dy = 2 * yInfinity * (0.5 - 1 / (1 + growth))
            return dy / dx * dx
        }
        let logarithm = log(-(2 * yInfinity / (y0 - yInfinity)) - 1)
        let xInverse = (1 / k) * pow(logarithm, 1 / p)
        let z = pow(k * xInverse, p)
        let ez = exp(z)
        let numerator = 2 * yInfinity * p * ez * z
        let denominator = xInverse * (ez + 1) * (ez + 1)
        return numerator / denominator * dx
    }
}
