import Foundation

/// BLAST-Lite 1.1.1 `Lfp_Gr_250AhPrismatic` (Paul Gasper, NREL): large-format prismatic LFP/graphite cells of more
/// than 250 Ah from a large manufacturer, energy-to-power ratio 6 h⁻¹. Aging data: doi:10.1016/j.est.2023.109042
/// (calendar: temperature × SoC; cycling: DoD, mean SoC, C-rate at 10–45 °C, charge ≤ 0.65 C).
///
/// - kcal = |p1| · exp(p2 / T) · exp(p3 · Ua / T), time-averaged; calendar loss = kcal · t(days)^pcal.
/// - kcyc = (p4 + p5 · DoD + p6 · C-rate) · (exp(p7 / T) + exp(−p8 / T)), time-averaged; cycle loss =
///   kcyc · EFC^pcyc.
/// - q = 1 − calendar loss − cycle loss. The model has no resistance growth.
///
/// BLAST's notes: the fitted cycling fade is almost temperature independent over 10–45 °C; extrapolation outside
/// that range, and to charge rates above 0.65 C, is poor.
enum Lfp250AhPrismaticAgeing: AgeingEquations {
    // Parameters of `_params_life`.
    static let p1 = 8.37e+04
    static let p2 = -5.21e+03
    static let p3 = -3.56e+03
    static let pcal = 0.526
    static let p4 = 4.38e-08
    static let p5 = 1.55e-08
    static let p6 = 1.68e-07
    static let p7 = 2.19e+03
    static let p8 = 1.55e+05
    static let pcyc = 0.828

    // States: [qLoss_t, qLoss_EFC]. Rates: [kcal, kcyc].
    static let initialStates: [Double] = [0, 0]
    static let modelsResistance = false
    static let initialNamedOutputs: [String: Double] = ["q": 1, "q_t": 1, "q_EFC": 1]

    static func rates(_ stressors: AgeingStressors) -> [Double] {
        let kelvin = stressors.temperatureKelvin
        let ua = stressors.anodePotentialVolts
        let dod = stressors.depthOfDischarge
        let crate = stressors.cRate
        let kcal = stressors.timeAverage { index in
            let arrhenius: Double = exp(p2 / kelvin[index])
            let tafel: Double = exp(p3 * ua[index] / kelvin[index])
            return abs(p1) * arrhenius * tafel
        }
        let kcyc = stressors.timeAverage { index in
            let stress: Double = p4 + p5 * dod + p6 * crate
            let temperature: Double = exp(p7 / kelvin[index]) + exp(-p8 / kelvin[index])
            return stress * temperature
        }
        return [kcal, kcyc]
    }

    static func increments(states: [Double], rates: [Double], deltaDays: Double, deltaEFC: Double) -> [Double] {
        [
            AgeingTrajectory.powerLawIncrement(state: states[0], step: deltaDays, coefficient: rates[0], exponent: pcal),
            AgeingTrajectory.powerLawIncrement(state: states[1], step: deltaEFC, coefficient: rates[1], exponent: pcyc),
        ]
    }

    static func outputs(states: [Double]) -> AgeingOutputs {
        AgeingOutputs(relativeCapacity: 1 - states[0] - states[1], calendarCapacityLoss: states[0], relativeResistance: nil)
    }

    static func namedOutputs(states: [Double]) -> [String: Double] {
        ["q": 1 - states[0] - states[1], "q_t": 1 - states[0], "q_EFC": 1 - states[1]]
    }
}
