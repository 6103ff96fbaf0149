import Foundation

/// BLAST-Lite 1.1.1 `Nmc111_Gr_Kokam75Ah_Battery` (Paul Gasper, NREL): a Kokam 75 Ah NMC/graphite pouch cell
/// (NMC "probably 1-1-1, certainly not high-nickel"), data from Smith et al., ACC 2017,
/// https://ieeexplore.ieee.org/iel7/7951530/7962914/07963578.pdf. Calendar and cycle ageing at 0–55 °C, 1 C,
/// mostly 80 % DoD.
///
/// Loss of lithium inventory (LLI) and loss of active material (LAM) compete; the cell is limited by the worse:
/// - q1 = q1_0 · exp(q1_1 / T̃) · exp(q1_2 · Ũa / T̃), T̃ = T / 308.15 K, Ũa = Ua / 0.123 V; LLI(t) = q1 · t^q2.
/// - q3 = q3_0 · exp(q3_1 / T̃) · exp(q3_2 · exp(DoD²)); LLI(EFC) = q3 · EFC^q4.
/// - q5 = q5_0 + q5_1 · (T − 55 °C) · DoD · mean(SoC) / 0.6; LAM = sigmoid(EFC; y∞ = 1, k = 1/q5, p = p_LAM).
/// - q = min(1 − LLI(t) − LLI(EFC), 1.01 − LAM).
/// - Resistance: r_LLI = 1 + r1·q1·t^r2 + r3·q3·EFC^r4, r_LAM = r5 + r6 / q_LAM, r = max(r_LLI, r_LAM).
///
/// BLAST's note: the model has no C-rate dependence (all tests at 1 C); low-temperature cycling sensitivity is
/// inferred from physical insight.
enum Nmc111Kokam75AhAgeing: AgeingEquations {
    // Parameters of `_params_life`.
    static let q10 = 2.66e7
    static let q11 = -17.8
    static let q12 = -5.21
    static let q2 = 0.357
    static let q30 = 3.80e3
    static let q31 = -18.4
    static let q32 = 1.04
    static let q4 = 0.778
    static let q50 = 1e4
    static let q51 = 153.0
    static let pLAM = 10.0
    static let r1 = 0.0570
    static let r2 = 1.25
    static let r3 = 4.87
    static let r4 = 0.712
    static let r5 = -0.08
    static let r6 = 1.09

    // States: [qLoss_LLI_t, qLoss_LLI_EFC, qLoss_LAM, rGain_LLI_t, rGain_LLI_EFC]. Rates: [q1, q3, q5].
    static let initialStates: [Double] = [0, 0, 1e-8, 0, 0]
    static let modelsResistance = true
    static let initialNamedOutputs: [String: Double] = [
        "q": 1, "q_LLI": 1, "q_LLI_t": 1, "q_LLI_EFC": 1, "q_LAM": 1.01,
        "r": 1, "r_LLI": 1, "r_LLI_t": 1, "r_LLI_EFC": 1, "r_LAM": 1,
    ]

    static func rates(_ stressors: AgeingStressors) -> [Double] {
        let kelvin = stressors.temperatureKelvin
        let ua = stressors.anodePotentialVolts
        let dod = stressors.depthOfDischarge
        let meanSoC = stressors.meanSoC
        let q1 = stressors.timeAverage { index in
            let normalisedKelvin: Double = kelvin[index] / (273.15 + 35)
            let normalisedUa: Double = ua[index] / 0.123
            let arrhenius: Double = exp(q11 * (1 / normalisedKelvin))
            let tafel: Double = exp(q12 * (normalisedUa / normalisedKelvin))
            return q10 * arrhenius * tafel
        }
        let q3 = stressors.timeAverage { index in
            let normalisedKelvin: Double = kelvin[index] / (273.15 + 35)
            let arrhenius: Double = exp(q31 * (1 / normalisedKelvin))
            let depth: Double = exp(q32 * exp(dod * dod))
            return q30 * arrhenius * depth
        }
        let q5 = stressors.timeAverage { index in
            let celsius: Double = kelvin[index] - 273.15
            return q50 + q51 * (celsius - 55) * dod * (meanSoC / 0.6)
        }
        return [q1, q3, q5]
    }

    static func increments(states: [Double], rates: [Double], deltaDays: Double, deltaEFC: Double) -> [Double] {
        let q1 = rates[0]
        let q3 = rates[1]
        let q5 = rates[2]
        return [
            AgeingTrajectory.powerLawIncrement(state: states[0], step: deltaDays, coefficient: q1, exponent: q2),
            AgeingTrajectory.powerLawIncrement(state: states[1], step: deltaEFC, coefficient: q3, exponent: q4),
            AgeingTrajectory.sigmoidIncrement(state: states[2], step: deltaEFC, limit: 1, rate: 1 / q5, exponent: pLAM),
            AgeingTrajectory.powerLawIncrement(state: states[3], step: deltaDays, coefficient: r1 * q1, exponent: r2),
            AgeingTrajectory.powerLawIncrement(state: states[4], step: deltaEFC, coefficient: r3 * q3, exponent: r4),
        ]
    }

    static func outputs(states: [Double]) -> AgeingOutputs {
        let parts = capacityAndResistance(states)
        return AgeingOutputs(relativeCapacity: parts.q, calendarCapacityLoss: states[0], relativeResistance: parts.r)
    }

    static func namedOutputs(states: [Double]) -> [String: Double] {
        let parts = capacityAndResistance(states)
        return [
            "q": parts.q, "q_LLI": parts.qLLI, "q_LLI_t": 1 - states[0], "q_LLI_EFC": 1 - states[1], "q_LAM": parts.qLAM,
            "r": parts.r, "r_LLI": parts.rLLI, "r_LLI_t": 1 + states[3], "r_LLI_EFC": 1 + states[4], "r_LAM": parts.rLAM,
        ]
    }

    /// q = min(q_LLI, q_LAM) and r = max(r_LLI, r_LAM) with their parts.
    static func capacityAndResistance(
        _ states: [Double]
    ) -> (q: Double, qLLI: Double, qLAM: Double, r: Double, rLLI: Double, rLAM: Double) {
        let qLLI = 1 - states[0] - states[1]
        let qLAM = 1.01 - states[2]
        // np.min / np.max propagate NaN; Swift's min/max would not, and a NaN must reach the finiteness check.
        let q = qLLI.isNaN || qLAM.isNaN ? Double.nan : min(qLLI, qLAM)
        let rLLI = 1 + states[3] + states[4]
        let rLAM = r5 + r6 * (1 / qLAM)
        let r = rLLI.isNaN || rLAM.isNaN ? Double.nan : max(rLLI, rLAM)
        return (q, qLLI, qLAM, r, rLLI, rLAM)
    }
}
