import Foundation

/// The stressors BLAST-Lite 1.1.1 derives from one `update_battery_state(t_secs, soc, T_celsius)` call
/// (`BatteryDegradationModel._extract_stressors`), computed the same way.
///
/// - Δt = t_last/86 400 − t_first/86 400, days.
/// - ΔEFC = Σ|ΔSoC| / 2 × q: equivalent full cycles in ampere-hours per nominal ampere-hour, so the SoC swing is
///   scaled by the relative capacity q before the update.
/// - DoD = max(SoC) − min(SoC) over the call.
/// - C-rate: the instantaneous |ΔSoC / Δt (h)| of each interval, values below 0.01 set to 0 (storage), integrated
///   with the trapezoid rule over the times `t[1...]` and divided by Δt, then × q; 0 when undefined.
///   (BLAST pairs the n − 1 interval rates with the n − 1 end times; kept as is.)
/// - T in kelvin and Ua, the graphite anode potential against lithium, per sample (`anodePotential(soc:)`).
struct AgeingStressors: Sendable {
    /// t, s: the samples of the call.
    let timeSeconds: [Double]
    /// State of charge per sample, 0–1.
    let soc: [Double]
    /// Δt of the call, days.
    let deltaDays: Double
    /// ΔEFC of the call, equivalent full cycles.
    let deltaEquivalentFullCycles: Double
    /// DoD, max − min state of charge over the call.
    let depthOfDischarge: Double
    /// Mean absolute C-rate, 1/h, as BLAST averages it.
    let cRate: Double
    /// T per sample, K.
    let temperatureKelvin: [Double]
    /// Ua per sample, V.
    let anodePotentialVolts: [Double]

    /// The stressors of samples already validated (at least two, strictly increasing times, same lengths) for a
    /// cell at relative capacity `relativeCapacity`.
    init(timeSeconds: [Double], soc: [Double], temperatureCelsius: [Double], relativeCapacity q: Double) {
        self.timeSeconds = timeSeconds
        self.soc = soc
        let days = timeSeconds.map { $0 / (24 * 60 * 60) }
        deltaDays = (days.last ?? 0) - (days.first ?? 0)

        var swing = 0.0
        for index in soc.indices.dropFirst() { swing += abs(soc[index] - soc[index - 1]) }
        deltaEquivalentFullCycles = swing / 2 * q
        depthOfDischarge = (soc.max() ?? 0) - (soc.min() ?? 0)

        var rates: [Double] = []
        for index in soc.indices.dropFirst() {
            let hours = timeSeconds[index] / 3600 - timeSeconds[index - 1] / 3600
            let rate = abs((soc[index] - soc[index - 1]) / hours)
            rates.append(rate < 1e-2 ? 0 : rate)
        }
        var area = 0.0
        for index in rates.indices.dropFirst() {
            // trapz(rates, x = days[1...]): rates[i] sits at days[i + 1].
            area += (days[index + 1] - days[index]) * (rates[index] + rates[index - 1]) / 2
        }
        let meanRate = area / deltaDays
        cRate = (meanRate.isNaN ? 0 : meanRate) * q

        temperatureKelvin = temperatureCelsius.map { $0 + 273.15 }
        anodePotentialVolts = soc.map { Self.anodePotential(soc: $0) }
    }

    /// The time average of a per-sample rate over the call: ∫ rate dt / Δt with the trapezoid rule, as BLAST's
    /// `np.trapz(rate, x=t_secs) / delta_t_secs`. `rate(i)` is the rate at sample i.
    func timeAverage(_ rate: (Int) -> Double) -> Double {
        guard timeSeconds.count >= 2, let first = timeSeconds.first, let last = timeSeconds.last else { return .nan }
        var area = 0.0
        var previous = rate(0)
        for index in 1..<timeSeconds.count {
            let current = rate(index)
            area += (timeSeconds[index] - timeSeconds[index - 1]) * (previous + current) / 2
            previous = current
        }
        return area / (last - first)
    }

    /// Arithmetic mean of the state of charge over the samples (`np.mean(soc)`).
    var meanSoC: Double {
        soc.isEmpty ? .nan : soc.reduce(0, +) / Double(soc.count)
    }

    /// Ua, the graphite anode potential against lithium at `soc`, V (`BatteryDegradationModel._get_Ua`).
    ///
    /// The lithiation fraction Xa = 0.0085 + SoC·(0.78 − 0.0085) (Schimpe et al., doi:10.1149/2.1181714jes) goes
    /// into the graphite curve of Safari and Delacourt (J. Electrochem. Soc. 158 (5) A562, 2011,
    /// doi:10.1149/1.3567007). BLAST uses the same anode for every cell, to place the anode's plateaus.
    static func anodePotential(soc: Double) -> Double {
        let x: Double = 8.5e-3 + soc * (0.78 - 8.5e-3)
        let term1: Double = 0.5416 * exp(-305.5309 * x)
        let term2: Double = 0.044 * tanh(-1 * (x - 0.1958) / 0.1088)
        let term3: Double = 0.1978 * tanh((x - 1.0571) / 0.0854)
        let term4: Double = 0.6875 * tanh((x + 0.0117) / 0.0529)
        let term5: Double = 0.0175 * tanh((x - 0.5692) / 0.0875)
        return 0.6379 + term1 + term2 - term3 - term4 - term5
    }
}
