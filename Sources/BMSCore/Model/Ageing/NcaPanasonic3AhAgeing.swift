import Foundation

/// BLAST-Lite 1.1.1 `Nca_Gr_Panasonic3Ah_Battery` (Paul Gasper, NREL): Panasonic 18650B NCA/graphite cells.
/// Calendar data: Keil et al., doi:10.1149/2.0411609jes (SoC widely varied at 25, 40 and 50 °C, up to 300 days);
/// cycling data: Preger et al., doi:10.1149/1945-7111/abae37 (batteryarchive.com).
///
/// - k_cal = A · exp(B / T) · exp(C · SoC / T), time-averaged; calendar loss = k_cal · t(days)^p_cal.
/// - k_cyc = (A + B · C-rate + C · DoD) · (exp(D / T) + exp(−E / T)), time-averaged; cycle loss = k_cyc · EFC^p_cyc.
/// - q = 1 − calendar loss − cycle loss. The model has no resistance growth.
///
/// BLAST's notes: no knee point is modelled; cycling was tested at 25, 35 and 45 °C only.
enum NcaPanasonic3AhAgeing: AgeingEquations {
    // Parameters of `_params_life`.
    static let qcalA = 75.4
    static let qcalB = -3.34e+03
    static let qcalC = 353.0
    static let qcalP = 0.512
    static let qcycA = 1.86e-06
    static let qcycB = 4.74e-11
    static let qcycC = 0.000177
    static let qcycD = 3.34e-11
    static let qcycE = 2.81e-09
    static let qcycP = 0.699

    // States: [qLoss_t, qLoss_EFC]. Rates: [k_cal, k_cyc].
    static let initialStates: [Double] = [0, 0]
    static let modelsResistance = false
    static let initialNamedOutputs: [String: Double] = ["q": 1, "q_t": 1, "q_EFC": 1]

    static func rates(_ stressors: AgeingStressors) -> [Double] {
        let kelvin = stressors.temperatureKelvin
        let soc = stressors.soc
        let dod = stressors.depthOfDischarge
        let crate = stressors.cRate
        let kcal = stressors.timeAverage { index in
            let arrhenius: Double = exp(qcalB / kelvin[index])
            let socTerm: Double = exp(qcalC * soc[index] / kelvin[index])
            return qcalA * arrhenius * socTerm
        }
        let kcyc = stressors.timeAverage { index in
            let stress: Double = qcycA + qcycB * crate + qcycC * dod
            let temperature: Double = exp(qcycD / kelvin[index]) + exp(-qcycE / kelvin[index])
            return stress * temperature
        }
        return [kcal, kcyc]
    }

    static func increments(states: [Double], rates: [Double], deltaDays: Double, deltaEFC: Double) -> [Double] {
        [
            AgeingTrajectory.powerLawIncrement(state: states[0], step: deltaDays, coefficient: rates[0], exponent: qcalP),
            AgeingTrajectory.powerLawIncrement(state: states[1], step: deltaEFC, coefficient: rates[1], exponent: qcycP),
        ]
    }

    static func outputs(states: [Double]) -> AgeingOutputs {
        AgeingOutputs(relativeCapacity: 1 - states[0] - states[1], calendarCapacityLoss: states[0], relativeResistance: nil)
    }

    static func namedOutputs(states: [Double]) -> [String: Double] {
        ["q": 1 - states[0] - states[1], "q_t": 1 - states[0], "q_EFC": 1 - states[1]]
    }
}
