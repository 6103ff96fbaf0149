import Foundation

/// Splits a site's power demand across packs by minimising Σ(½·wᵢ·pᵢ² − sᵢ·pᵢ) subject to Σpᵢ = target and
/// per-pack bounds: a separable convex quadratic program, solved exactly by water-filling on its Lagrange
/// multiplier λ (each pᵢ(λ) = clamp((λ + sᵢ)/wᵢ, lᵢ, uᵢ) rises with λ; bisection finds Σpᵢ(λ) = target).
///
/// - Weight wᵢ = kᵢ / Eᵢ (kWh): the C-rate stress, kᵢ from `StressFactors`.
/// - Tilt sᵢ = γ · (SoCᵢ − energy-weighted mean SoC): with γ > 0 fuller packs discharge more and charge less.
/// - Ramp penalty ½·ρ·(pᵢ − pᵢ,prev)² adds ρ to wᵢ and ρ·pᵢ,prev to sᵢ.
/// - Bounds last the whole duration: the power limit (`AllocatorPack.powerLimit(discharging:)`: the rating or the
///   temperature-derated limit, whichever is lower) and the energy left in the SoC window spread over it; zero for
///   unavailable packs; one sign for every pack (no pack charges while the site discharges).
/// - A pack on its bound names it in `constraintsActive`: `offline`; else `soc_min_energy` / `soc_max_energy` when
///   the energy limit is strictly below the power limit; else `temperature_derate` when the temperature-derated
///   limit is strictly below the rating; else `max_discharge_power` / `max_charge_power`.
public enum SiteAllocator {
    public struct Options: Sendable, Equatable {
        /// γ, W of tilt per unit of SoC difference (0: no balancing).
        public var socBalancingGain: Double
        /// ρ, 1/W (0: no ramp penalty).
        public var rampPenalty: Double

        public init(socBalancingGain: Double = 0, rampPenalty: Double = 0) {
            self.socBalancingGain = socBalancingGain
            self.rampPenalty = rampPenalty
        }
    }

    public enum Outcome: String, Sendable, Equatable {
        case met
        case withinFlexibility = "within_flexibility"
        case shortfall
    }

    public struct Setpoint: Sendable, Equatable {
        public var deviceID: String
        public var powerWatts: Double
        public var lowerBoundWatts: Double
        public var upperBoundWatts: Double
        /// wᵢ, 1/kWh-scaled weight used (after the ramp penalty).
        public var weight: Double
        public var tilt: Double
        /// The bound the pack sits on, by name (`max_discharge_power`, `temperature_derate`, `soc_min_energy`,
        /// `offline`, …); empty between its bounds or when the site asks for no power.
        public var constraintsActive: [String]
    }

    public struct Result: Sendable, Equatable {
        public var setpoints: [Setpoint]
        public var totalWatts: Double
        public var outcome: Outcome
        /// |target| − |total| when the target could not be met, else 0.
        public var shortfallWatts: Double
        /// The common marginal cost λ of the packs between their bounds.
        public var lambda: Double
    }

    /// The allocation for `targetWatts` over `durationMinutes`.
    public static func allocate(
        packs: [AllocatorPack], targetWatts: Double, durationMinutes: Double, flexibility: Double = 0,
        options: Options = Options()
    ) -> Result {
        let discharging = targetWatts >= 0
        let hours = max(durationMinutes, 1e-9) / 60
        let energy = packs.map { $0.isAvailable ? max(0, $0.usableEnergyWattHours) : 0 }
        let totalEnergy = energy.reduce(0, +)
        let meanSoC = totalEnergy > 0 ? zip(packs, energy).map { $0.soc * $1 }.reduce(0, +) / totalEnergy : 0

        var lower: [Double] = []
        var upper: [Double] = []
        var weights: [Double] = []
        var tilts: [Double] = []
        var boundNames: [(lower: String, upper: String)] = []
        for pack in packs {
            let kWh = max(pack.usableEnergyWattHours / 1000, 1e-9)
            let k = StressFactors.k(for: pack, discharging: discharging)
            weights.append(k / kWh + options.rampPenalty)
            tilts.append(options.socBalancingGain * (pack.soc - meanSoC) + options.rampPenalty * pack.previousSetpointWatts)
            guard pack.isAvailable, pack.usableEnergyWattHours > 0 else {
                lower.append(0)
                upper.append(0)
                boundNames.append(("offline", "offline"))
                continue
            }
            let power = pack.powerLimit(discharging: discharging)
            if discharging {
                let energyLimit = max(0, pack.soc - pack.socMin) * pack.usableEnergyWattHours * pack.dischargeEfficiency / hours
                lower.append(0)
                upper.append(min(power.watts, energyLimit))
                boundNames.append(("idle", power.watts <= energyLimit ? power.name : "soc_min_energy"))
            } else {
                let energyLimit = max(0, pack.socMax - pack.soc) * pack.usableEnergyWattHours / max(pack.chargeEfficiency, 1e-9) / hours
                lower.append(-min(power.watts, energyLimit))
                upper.append(0)
                boundNames.append((power.watts <= energyLimit ? power.name : "soc_max_energy", "idle"))
            }
        }

        let achievable = discharging ? upper.reduce(0, +) : lower.reduce(0, +)
        let target = discharging ? min(targetWatts, achievable) : max(targetWatts, achievable)
        func power(_ index: Int, _ lambda: Double) -> Double {
            min(upper[index], max(lower[index], (lambda + tilts[index]) / weights[index]))
        }
        func total(_ lambda: Double) -> Double { packs.indices.reduce(0) { $0 + power($1, lambda) } }

        // Bracket λ: below it every pack sits on its lower bound, above it on its upper bound.
        var low = packs.indices.map { weights[$0] * lower[$0] - tilts[$0] }.min() ?? 0
        var high = packs.indices.map { weights[$0] * upper[$0] - tilts[$0] }.max() ?? 0
        low -= 1
        high += 1
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if total(middle) < target { low = middle } else { high = middle }
            if high - low <= 1e-12 * max(1, abs(high)) { break }
        }
        let lambda = (low + high) / 2
        var powers = packs.indices.map { power($0, lambda) }
        // Close the last rounding gap on the packs still between their bounds, so Σp = target exactly.
        let gap = target - powers.reduce(0, +)
        let free = packs.indices.filter { powers[$0] > lower[$0] + 1e-9 && powers[$0] < upper[$0] - 1e-9 }
        if !free.isEmpty, abs(gap) > 0 {
            let share = free.map { 1 / weights[$0] }
            let sum = share.reduce(0, +)
            for (offset, index) in free.enumerated() {
                powers[index] = min(upper[index], max(lower[index], powers[index] + gap * share[offset] / sum))
            }
        }

        let setpoints = packs.indices.map { index -> Setpoint in
            var active: [String] = []
            // A pack held at 0 W by its own bound (an empty SoC window, a limit derated to nothing) while the site
            // asks for power names that bound too; with no power asked nothing binds.
            if boundNames[index].lower == "offline" {
                active = ["offline"]
            } else if targetWatts > 0, powers[index] >= upper[index] - 1e-6 {
                active = [boundNames[index].upper]
            } else if targetWatts < 0, powers[index] <= lower[index] + 1e-6 {
                active = [boundNames[index].lower]
            }
            return Setpoint(
                deviceID: packs[index].deviceID, powerWatts: powers[index], lowerBoundWatts: lower[index],
                upperBoundWatts: upper[index], weight: weights[index], tilt: tilts[index], constraintsActive: active)
        }
        let allocated = powers.reduce(0, +)
        let shortfall = max(0, abs(targetWatts) - abs(allocated))
        let outcome: Outcome = shortfall <= 1e-6 ? .met : (shortfall <= flexibility * abs(targetWatts) ? .withinFlexibility : .shortfall)
        return Result(setpoints: setpoints, totalWatts: allocated, outcome: outcome, shortfallWatts: shortfall <= 1e-6 ? 0 : shortfall, lambda: lambda)
    }
}
