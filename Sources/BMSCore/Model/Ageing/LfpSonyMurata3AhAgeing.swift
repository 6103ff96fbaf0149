import Foundation

/// BLAST-Lite 1.1.1 `Lfp_Gr_SonyMurata3Ah_Battery` (Paul Gasper, NREL): Sony-Murata 3 Ah LFP/graphite cylindrical
/// cells (high power, long life). Data from TU Munich (Naumann et al.): calendar doi:10.1016/j.est.2018.01.019,
/// cycling doi:10.1016/j.jpowsour.2019.227666; capacity model identified at NREL (doi:10.1149/1945-7111/ac86a8);
/// resistance model refitted from Naumann et al.
///
/// - Calendar LLI: sigmoid(t; y∞ = q1, k = q2, p = q3) with q1 and q3 functions of T and Ua, time-averaged.
/// - Cycle LLI: (q5 · EFC)^q6, q5 = |q5_b0 + q5_b1 · DoD + q5_b2 · exp(DoD² · C-rate³)|.
/// - Break-in: sigmoid(EFC; y∞ = q7, k = q8, p = q9), q7 from skew-normal functions of SoC and DoD; counted only
///   when an update averages more than 3 equivalent full cycles a day.
/// - q = 1 − calendar − cycle − break-in.
/// - Resistance: r = 1 + k_T·k_SoC · t(s) + k_C·k_DoD · EFC/100 (linear in time and throughput), with
///   k_T = k_ref · exp(−Ea/R · (1/T − 1/298.15 K)), k_SoC = C·(SoC − 0.5)³ + D (each time-averaged separately),
///   k_C = A · C-rate + B and k_DoD = C′·(DoD − 0.5)³ + D′.
///
/// BLAST's note: cycling was tested at 25 and 45 °C only, so cycling fade does not depend on temperature.
enum LfpSonyMurata3AhAgeing: AgeingEquations {
    // Parameters of `_params_life`, capacity.
    static let q2 = 0.000130510034211874
    static let q1b0 = 0.989687151293590
    static let q1b1 = -2881067.56019324
    static let q1b2 = 8742.06309157261
    static let q3b0 = 0.000332850281062177
    static let q3b1 = 734553185711.369
    static let q3b2 = -2.82161575620780e-06
    static let q3b3 = -3284991315.45121
    static let q3b4 = 0.00127227593657290
    static let q8 = 0.00303553871631028
    static let q9 = 1.43752162947637
    static let q7b0 = 0.582258029148225
    static let q7SoCSkew = 0.0583128906965484
    static let q7SoCWidth = 0.208738181522897
    static let q7DoDSkew = -3.80744333129564
    static let q7DoDWidth = 1.16126260428210
    static let q7DoDGrowth = 25.4130804598602
    static let q6 = 1.12847759334355
    static let q5b0 = -6.81260579372875e-06
    static let q5b1 = 2.59615973160844e-05
    static let q5b2 = 2.11559710307295e-06
    // Resistance.
    static let kRefRCal = 3.4194e-10
    static let eaRCal = 71827.0
    static let cRCal = -3.3903
    static let dRCal = 1.5604
    static let aRCyc = -0.002
    static let bRCyc = 0.0021
    static let cRCyc = 6.8477
    static let dRCyc = 0.91882

    // States: [qLoss_LLI_t, qLoss_LLI_EFC, qLoss_BreakIn_EFC, rGain_LLI_t, rGain_LLI_EFC].
    // Rates: [q1, q3, q5, q7, r_kcal, r_kcyc].
    static let initialStates: [Double] = [0, 0, 1e-10, 0, 0]
    static let modelsResistance = true
    static let initialNamedOutputs: [String: Double] = [
        "q": 1, "q_LLI_t": 1, "q_LLI_EFC": 1, "q_BreakIn_EFC": 1, "r": 1, "r_LLI_t": 1, "r_LLI_EFC": 1,
    ]

    static func rates(_ stressors: AgeingStressors) -> [Double] {
        let kelvin = stressors.temperatureKelvin
        let ua = stressors.anodePotentialVolts
        let soc = stressors.soc
        let dod = stressors.depthOfDischarge
        let crate = stressors.cRate
        let q1 = stressors.timeAverage { index in
            let root: Double = pow(ua[index], 0.5)
            let first: Double = exp(q1b1 * (1 / (kelvin[index] * kelvin[index])) * root)
            let second: Double = exp(q1b2 * (1 / kelvin[index]) * root)
            return abs(q1b0 * first * second)
        }
        let q3 = stressors.timeAverage { index in
            let t = kelvin[index]
            let cubeRoot: Double = pow(ua[index], 1.0 / 3)
            let fourthRoot: Double = pow(ua[index], 1.0 / 4)
            let first: Double = exp(q3b1 * (1 / pow(t, 4)) * cubeRoot)
            let second: Double = exp(q3b2 * pow(t, 3) * fourthRoot)
            let third: Double = exp(q3b3 * (1 / pow(t, 3)) * cubeRoot)
            let fourth: Double = exp(q3b4 * (t * t) * fourthRoot)
            return abs(q3b0 * first * second * third * fourth)
        }
        let crateCubed: Double = crate * crate * crate
        let q5 = abs(q5b0 + q5b1 * dod + q5b2 * exp((dod * dod) * crateCubed))
        let dodFactor: Double = skewNormalDensity(dod, skew: q7DoDSkew, width: q7DoDWidth) * sigmoid(dod, growth: q7DoDGrowth)
        let q7 = stressors.timeAverage { index in
            abs(q7b0 * skewNormalDensity(soc[index], skew: q7SoCSkew, width: q7SoCWidth) * dodFactor)
        }
        let kTemperature = stressors.timeAverage { index in
            let exponent: Double = (-eaRCal / 8.3144) * (1 / kelvin[index] - 1 / 298.15)
            return kRefRCal * exp(exponent)
        }
        let kSoC = stressors.timeAverage { index in
            let offset: Double = soc[index] - 0.5
            return cRCal * offset * offset * offset + dRCal
        }
        let dodOffset: Double = dod - 0.5
        let kCycle: Double = (aRCyc * crate + bRCyc) * (cRCyc * dodOffset * dodOffset * dodOffset + dRCyc)
        return [q1, q3, q5, q7, kTemperature * kSoC, kCycle]
    }

    static func increments(states: [Double], rates: [Double], deltaDays: Double, deltaEFC: Double) -> [Double] {
        let breakIn = deltaEFC / deltaDays > 3
            ? AgeingTrajectory.sigmoidIncrement(state: states[2], step: deltaEFC, limit: rates[3], rate: q8, exponent: q9)
            : 0
        return [
            AgeingTrajectory.sigmoidIncrement(
                state: states[0], step: deltaDays, limit: rates[0], rate: q2, exponent: rates[1]),
            AgeingTrajectory.powerBIncrement(state: states[1], step: deltaEFC, coefficient: rates[2], exponent: q6),
            breakIn,
            rates[4] * deltaDays * 86_400,
            rates[5] * deltaEFC / 100,
        ]
    }

    static func outputs(states: [Double]) -> AgeingOutputs {
        AgeingOutputs(
            relativeCapacity: 1 - states[0] - states[1] - states[2], calendarCapacityLoss: states[0],
            relativeResistance: 1 + states[3] + states[4])
    }

    static func namedOutputs(states: [Double]) -> [String: Double] {
        [
            "q": 1 - states[0] - states[1] - states[2], "q_LLI_t": 1 - states[0], "q_LLI_EFC": 1 - states[1],
            "q_BreakIn_EFC": 1 - states[2], "r": 1 + states[3] + states[4], "r_LLI_t": 1 + states[3],
            "r_LLI_EFC": 1 + states[4],
        ]
    }

    /// `_skewnormpdf`: 2·φ(x′)·Φ(skew·x′) with x′ = (x − 0.5) / width, φ and Φ the standard normal density and
    /// distribution.
    static func skewNormalDensity(_ x: Double, skew: Double, width: Double) -> Double {
        let shifted = (x - 0.5) / width
        let density = exp(-shifted * shifted / 2) / (2 * Double.pi).squareRoot()
        let distribution = 0.5 * erfc(-skew * shifted / 2.0.squareRoot())
        return 2 * density * distribution
    }

    /// `_sigmoid(x, 1, growth, 1)`: 2·(½ − 1/(1 + exp(growth·x))).
    static func sigmoid(_ x: Double, growth: Double) -> Double {
        2 * (0.5 - 1 / (1 + exp(growth * x)))
    }
}
