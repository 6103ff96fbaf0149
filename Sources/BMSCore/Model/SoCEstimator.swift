import Foundation

/// An extended Kalman filter on x = [SoC, U1] of one cell (or a pack scaled to one cell), driven by current
/// and corrected by terminal voltage through the cell's 1-RC model.
///
/// Where the OCV curve is flat (the LFP plateau) a voltage error says little about SoC, so the measurement
/// noise is inflated by (slopeThreshold / |dOCV/dSoC|)²: the filter then leans on coulomb counting instead of
/// trusting voltage. Current > 0 discharges.
public struct SoCEstimator: Sendable, Equatable {
    public let cell: EquivalentCircuitCell
    /// State: SoC (0–1) and polarisation voltage U1 (V).
    public private(set) var soc: Double
    public private(set) var polarisationVolts: Double
    /// Covariance [[Pss, Psu], [Psu, Puu]].
    public private(set) var covariance: [Double]
    /// Process noise per second on SoC and U1.
    public var socProcessNoisePerSecond: Double
    public var polarisationProcessNoisePerSecond: Double
    /// Voltage measurement noise variance, V².
    public var voltageNoiseVariance: Double
    /// Below this |dOCV/dSoC| (V per unit SoC) voltage is trusted less and less.
    public var slopeThreshold: Double
    /// The last normalised innovation squared (for anomaly detection: χ² with 1 degree of freedom).
    public private(set) var normalisedInnovationSquared: Double = 0
    /// The last Kalman gain on SoC (0 means pure coulomb counting).
    public private(set) var socGain: Double = 0
    /// The χ²(1) 99 % bound the normalised innovation is compared with.
    public static let chiSquare99 = 6.635
    /// How many consecutive samples above the bound make an anomaly.
    public var anomalyWindow = 10
    /// Consecutive samples whose normalised innovation exceeded the bound.
    public private(set) var samplesAboveBound = 0
    /// The model no longer explains the measurements (a failing sensor, an internal short, a wrong model):
    /// the normalised innovation stayed above the χ² 99 % bound for `anomalyWindow` samples in a row.
    public var isAnomalous: Bool { samplesAboveBound >= anomalyWindow }

    public init(
        cell: EquivalentCircuitCell, initialSoC: Double, initialSoCVariance: Double = 0.04,
        socProcessNoisePerSecond: Double = 1e-9, polarisationProcessNoisePerSecond: Double = 1e-7,
        voltageNoiseVariance: Double = 1e-4, slopeThreshold: Double = 0.5
    ) {
        self.cell = cell
        self.soc = min(1, max(0, initialSoC))
        self.polarisationVolts = 0
        self.covariance = [initialSoCVariance, 0, 0, 1e-4]
        self.socProcessNoisePerSecond = socProcessNoisePerSecond
        self.polarisationProcessNoisePerSecond = polarisationProcessNoisePerSecond
        self.voltageNoiseVariance = voltageNoiseVariance
        self.slopeThreshold = slopeThreshold
    }

    /// One step: `current` flowed for `duration`, then the terminal voltage read `measuredVolts`.
    public mutating func step(current: Double, duration: Duration, measuredVolts: Double) {
        let dt = duration.inSeconds
        guard dt > 0, current.isFinite, measuredVolts.isFinite else { return }
        // Predict with the exact exponential step of the RC pair.
        let tau = max(cell.timeConstantSeconds, 1e-9)
        let a = exp(-dt / tau)
        soc -= current * dt / (3600 * cell.capacityAmpHours)
        polarisationVolts = a * polarisationVolts + cell.polarisationResistanceOhms * (1 - a) * current
        // P = F P Fᵀ + Q with F = diag(1, a).
        var p = covariance
        p[0] += socProcessNoisePerSecond * dt
        p[1] *= a
        p[2] *= a
        p[3] = a * a * p[3] + polarisationProcessNoisePerSecond * dt

        // Update with V = OCV(SoC) − U1 − I·R0; H = [dOCV/dSoC, −1].
        let ocv = cell.openCircuitVoltage
        let slope = ocv.slope(soc: min(1, max(0, soc)))
        let predicted = ocv.voltage(soc: soc) - polarisationVolts - current * cell.seriesResistanceOhms
        let innovation = measuredVolts - predicted
        let flatness = abs(slope) < slopeThreshold ? pow(slopeThreshold / max(abs(slope), 1e-6), 2) : 1
        let r = voltageNoiseVariance * flatness
        let h0 = slope
        let h1 = -1.0
        let ph0 = p[0] * h0 + p[1] * h1
        let ph1 = p[2] * h0 + p[3] * h1
        let s = h0 * ph0 + h1 * ph1 + r
        guard s > 0 else { return }
        let k0 = ph0 / s
        let k1 = ph1 / s
        soc = min(1, max(0, soc + k0 * innovation))
        polarisationVolts += k1 * innovation
        // Joseph-free form is enough here: P = (I − K H) P.
        covariance = [
            p[0] - k0 * (h0 * p[0] + h1 * p[2]), p[1] - k0 * (h0 * p[1] + h1 * p[3]),
            p[2] - k1 * (h0 * p[0] + h1 * p[2]), p[3] - k1 * (h0 * p[1] + h1 * p[3]),
        ]
        normalisedInnovationSquared = innovation * innovation / s
        samplesAboveBound = normalisedInnovationSquared > Self.chiSquare99 ? samplesAboveBound + 1 : 0
        socGain = k0
    }
}
