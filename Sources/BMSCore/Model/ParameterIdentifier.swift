import Foundation

/// Online identification of a cell's R0, R1 and C1 by recursive least squares with a forgetting factor.
///
/// With z = OCV − V (current > 0 discharging) and each sample's current the one that flowed during the
/// interval before it, the 1-RC model (U1ₖ = a·U1ₖ₋₁ + b·Iₖ, zₖ = R0·Iₖ + U1ₖ) is the ARX relation
/// zₖ = a·zₖ₋₁ + (R0 + b)·Iₖ − a·R0·Iₖ₋₁, a = e^(−Δt/τ), b = R1·(1 − a), τ = R1·C1. RLS estimates
/// θ = [a, R0 + b, −a·R0]; the parameters follow from θ. Updates are frozen while the current does not
/// change (no excitation: the regressors carry no new information and the covariance would wind up), and an
/// estimate that is not physical (a outside (0, 1), R0 or R1 not positive) is not published.
public struct ParameterIdentifier: Sendable, Equatable {
    public struct Estimate: Sendable, Equatable {
        public var seriesResistanceOhms: Double
        public var polarisationResistanceOhms: Double
        public var polarisationCapacitanceFarads: Double
    }

    /// Forgetting factor λ (1: never forget).
    public let forgetting: Double
    /// A current change smaller than this (A) is no excitation.
    public let excitationThresholdAmps: Double
    public private(set) var theta: [Double]
    private var covariance: [Double]  // 3 × 3, row-major
    private var previousZ: Double?
    private var previousCurrent: Double?
    private var stepSeconds: Double?
    /// The last physical estimate.
    public private(set) var estimate: Estimate?
    /// Updates skipped for lack of excitation, and estimates rejected as non-physical.
    public private(set) var frozenSteps = 0
    public private(set) var rejectedEstimates = 0

    public init(forgetting: Double = 0.999, excitationThresholdAmps: Double = 0.01, initialCovariance: Double = 1000) {
        self.forgetting = forgetting
        self.excitationThresholdAmps = excitationThresholdAmps
        theta = [0.9, 0.01, 0.001]
        covariance = [initialCovariance, 0, 0, 0, initialCovariance, 0, 0, 0, initialCovariance]
    }

    /// One sample: terminal voltage, the open-circuit voltage at the current SoC estimate, and the current,
    /// taken `interval` after the previous sample (a fixed interval is assumed).
    public mutating func update(terminalVolts: Double, openCircuitVolts: Double, current: Double, interval: Duration) {
        let z = openCircuitVolts - terminalVolts
        defer {
            previousZ = z
            previousCurrent = current
        }
        guard let lastZ = previousZ, let lastCurrent = previousCurrent, z.isFinite, current.isFinite else { return }
        stepSeconds = interval.inSeconds
        guard abs(current - lastCurrent) >= excitationThresholdAmps || abs(z - lastZ) >= 1e-4 else {
            frozenSteps += 1
            return
        }
        let phi = [lastZ, current, lastCurrent]
        // K = P φ / (λ + φᵀ P φ); θ += K (z − φᵀθ); P = (P − K φᵀ P) / λ.
        var pPhi = [0.0, 0.0, 0.0]
        for row in 0..<3 { for column in 0..<3 { pPhi[row] += covariance[row * 3 + column] * phi[column] } }
        let denominator = forgetting + zip(phi, pPhi).map(*).reduce(0, +)
        guard denominator > 0 else { return }
        let gain = pPhi.map { $0 / denominator }
        let error = z - zip(phi, theta).map(*).reduce(0, +)
        for index in 0..<3 { theta[index] += gain[index] * error }
        var next = covariance
        for row in 0..<3 {
            for column in 0..<3 { next[row * 3 + column] = (covariance[row * 3 + column] - gain[row] * pPhi[column]) / forgetting }
        }
        covariance = next
        publishIfPhysical()
    }

    private mutating func publishIfPhysical() {
        let a = theta[0]
        guard a > 0 else {
            rejectedEstimates += 1
            return
        }
        let r0 = -theta[2] / a
        let b = theta[1] - r0
        guard let dt = stepSeconds, a < 1, r0 > 0, b > 0 else {
            rejectedEstimates += 1
            return
        }
        let r1 = b / (1 - a)
        let tau = -dt / log(a)
        estimate = Estimate(seriesResistanceOhms: r0, polarisationResistanceOhms: r1, polarisationCapacitanceFarads: tau / r1)
    }
}
