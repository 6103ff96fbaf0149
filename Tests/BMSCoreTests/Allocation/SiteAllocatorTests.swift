import Foundation
import Testing
import TestSupport

@testable import BMSCore

@Suite("Site allocator")
struct SiteAllocatorTests {
    /// The hand-checked example: +30 kW for 1 h, window 0.1–0.9, no tilt.
    @Test func handCheckedExample() {
        let packs = [
            AllocatorPack(deviceID: "nmc54", usableEnergyWattHours: 54_000, soc: 0.70, maxChargePowerWatts: 50_000, maxDischargePowerWatts: 50_000, stressFactorOverride: 1.2),
            AllocatorPack(deviceID: "lfp30", usableEnergyWattHours: 30_000, soc: 0.55, maxChargePowerWatts: 50_000, maxDischargePowerWatts: 50_000, dischargeEfficiency: 1, stressFactorOverride: 1.5),
            AllocatorPack(deviceID: "nmc30", usableEnergyWattHours: 30_000, soc: 0.80, temperatureCelsius: 35, maxChargePowerWatts: 50_000, maxDischargePowerWatts: 50_000, stressFactorOverride: 2.726),
        ]
        let result = SiteAllocator.allocate(packs: packs, targetWatts: 30_000, durationMinutes: 60)
        let kW = result.setpoints.map { $0.powerWatts / 1000 }
        #expect(abs(kW[0] - 17.76) < 0.01)
        #expect(abs(kW[1] - 7.89) < 0.01)
        #expect(abs(kW[2] - 4.34) < 0.01)
        #expect(abs(result.setpoints[1].upperBoundWatts - 13_500) < 1e-6)  // LFP energy cap: (0.55 − 0.1) × 30 kWh over 1 h
        #expect(result.outcome == .met)
        #expect(abs(result.totalWatts - 30_000) < 1e-6)
    }

    static func randomFleet(_ generator: inout SplitMix64, count: Int) -> [AllocatorPack] {
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + Double(generator.next() % 1_000_000) / 1_000_000 * (range.upperBound - range.lowerBound)
        }
        return (0..<count).map { index -> AllocatorPack in
            var pack = AllocatorPack(
                deviceID: "p\(index)", usableEnergyWattHours: uniform(5_000...200_000), soc: uniform(0.05...0.95),
                socMin: 0.1, socMax: 0.9, temperatureCelsius: uniform(10...45), soh: uniform(0.7...1),
                maxChargePowerWatts: uniform(1_000...80_000), maxDischargePowerWatts: uniform(1_000...80_000),
                isAvailable: generator.next() % 10 != 0, previousSetpointWatts: uniform(-10_000...10_000))
            // Every third pack is derated for temperature, from a stop (0 %) to none at all (100 % of its rating).
            if index % 3 == 0 {
                pack.temperatureDeratedChargePowerWatts = pack.maxChargePowerWatts * Double(index % 7) / 6
                pack.temperatureDeratedDischargePowerWatts = pack.maxDischargePowerWatts * Double(index % 5) / 4
            }
            return pack
        }
    }

    /// Optimality, not just examples: KKT holds, constraints hold exactly, and an independent exact solver
    /// (sorted breakpoints of the piecewise-linear Σpᵢ(λ)) agrees within 1 W on random fleets of 1–200 packs.
    @Test(arguments: Array(0..<40))
    func optimalOnRandomFleets(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &+ 1)
        let count = [1, 2, 3, 10, 50, 200][seed % 6]
        let packs = Self.randomFleet(&generator, count: count)
        let discharging = seed % 2 == 0
        let capacity = packs.map { $0.isAvailable ? ($0.usableEnergyWattHours / 1000) : 0 }.reduce(0, +)
        let target = (discharging ? 1.0 : -1.0) * Double(generator.next() % 1000) / 1000 * capacity * 1000 * 0.6
        let options = SiteAllocator.Options(socBalancingGain: seed % 3 == 0 ? 500 : 0, rampPenalty: seed % 4 == 0 ? 1e-6 : 0)
        let result = SiteAllocator.allocate(packs: packs, targetWatts: target, durationMinutes: 30, options: options)

        let achievable = discharging ? result.setpoints.map(\.upperBoundWatts).reduce(0, +) : result.setpoints.map(\.lowerBoundWatts).reduce(0, +)
        let expectedTotal = discharging ? min(target, achievable) : max(target, achievable)
        #expect(abs(result.totalWatts - expectedTotal) < 1e-3)
        let names: Set<String> = [
            "max_discharge_power", "max_charge_power", "soc_min_energy", "soc_max_energy", "temperature_derate", "offline",
        ]
        for (pack, setpoint) in zip(packs, result.setpoints) {
            #expect(setpoint.powerWatts >= setpoint.lowerBoundWatts - 1e-9 && setpoint.powerWatts <= setpoint.upperBoundWatts + 1e-9)
            // A pack on its bound in the asked direction names exactly one bound from the list; others none.
            #expect(setpoint.constraintsActive.allSatisfy { names.contains($0) })
            if target != 0 {
                let onBound = discharging
                    ? setpoint.powerWatts >= setpoint.upperBoundWatts - 1e-6 : setpoint.powerWatts <= setpoint.lowerBoundWatts + 1e-6
                #expect(setpoint.constraintsActive.count == (onBound ? 1 : 0))
            }
            if setpoint.constraintsActive == ["temperature_derate"] {
                let rated = discharging ? pack.maxDischargePowerWatts : pack.maxChargePowerWatts
                let derated = discharging ? pack.temperatureDeratedDischargePowerWatts : pack.temperatureDeratedChargePowerWatts
                #expect((derated ?? .infinity) < rated)
            }
            #expect(discharging ? setpoint.powerWatts >= -1e-9 : setpoint.powerWatts <= 1e-9)  // no circulating power
            // KKT: the marginal cost wᵢpᵢ − sᵢ equals λ between the bounds, and is on the right side at a bound.
            let marginal = setpoint.weight * setpoint.powerWatts - setpoint.tilt
            let tolerance = 1e-6 * max(1, abs(result.lambda))
            if setpoint.powerWatts > setpoint.lowerBoundWatts + 1e-6 && setpoint.powerWatts < setpoint.upperBoundWatts - 1e-6 {
                #expect(abs(marginal - result.lambda) < tolerance + 1e-6)
            } else if setpoint.upperBoundWatts > setpoint.lowerBoundWatts, abs(setpoint.powerWatts - setpoint.upperBoundWatts) < 1e-6 {
                #expect(marginal <= result.lambda + tolerance + 1e-6)
            } else if setpoint.upperBoundWatts > setpoint.lowerBoundWatts {
                #expect(marginal >= result.lambda - tolerance - 1e-6)
            }
        }
        let independent = Self.breakpointSolve(result.setpoints, target: expectedTotal)
        for (ours, theirs) in zip(result.setpoints.map(\.powerWatts), independent) {
            #expect(abs(ours - theirs) < 1, "\(ours) vs \(theirs)")
        }
    }

    /// An exact solver written independently: Σpᵢ(λ) is piecewise linear with breakpoints wᵢlᵢ − sᵢ and
    /// wᵢuᵢ − sᵢ; find the segment that holds the target and solve it in closed form.
    static func breakpointSolve(_ setpoints: [SiteAllocator.Setpoint], target: Double) -> [Double] {
        func p(_ s: SiteAllocator.Setpoint, _ lambda: Double) -> Double {
            min(s.upperBoundWatts, max(s.lowerBoundWatts, (lambda + s.tilt) / s.weight))
        }
        let points = setpoints.flatMap { [$0.weight * $0.lowerBoundWatts - $0.tilt, $0.weight * $0.upperBoundWatts - $0.tilt] }.sorted()
        guard let first = points.first, let last = points.last else { return [] }
        var candidates = [first - 1] + points + [last + 1]
        candidates = candidates.sorted()
        for index in 0..<(candidates.count - 1) {
            let a = candidates[index]
            let b = candidates[index + 1]
            let ga = setpoints.map { p($0, a) }.reduce(0, +)
            let gb = setpoints.map { p($0, b) }.reduce(0, +)
            if ga <= target && target <= gb {
                let lambda = gb == ga ? a : a + (target - ga) / (gb - ga) * (b - a)
                return setpoints.map { p($0, lambda) }
            }
        }
        return setpoints.map { p($0, target > 0 ? last : first) }
    }

    @Test func infeasibleTargetsReportTheShortfall() {
        let packs = [
            AllocatorPack(deviceID: "a", usableEnergyWattHours: 20_000, soc: 0.5, maxChargePowerWatts: 3_000, maxDischargePowerWatts: 4_000),
            AllocatorPack(deviceID: "b", usableEnergyWattHours: 20_000, soc: 0.5, maxChargePowerWatts: 3_000, maxDischargePowerWatts: 4_000, isAvailable: false),
        ]
        let short = SiteAllocator.allocate(packs: packs, targetWatts: 5_000, durationMinutes: 60)
        #expect(short.outcome == .shortfall)
        #expect(abs(short.shortfallWatts - 1_000) < 1e-6)
        #expect(short.setpoints[0].constraintsActive == ["max_discharge_power"])
        #expect(short.setpoints[1].constraintsActive == ["offline"])
        #expect(short.setpoints[1].powerWatts == 0)
        let flexible = SiteAllocator.allocate(packs: packs, targetWatts: 4_400, durationMinutes: 60, flexibility: 0.1)
        #expect(flexible.outcome == .withinFlexibility)
        // Energy in the window binds over a long duration: (0.5 − 0.1) × 20 kWh × 0.96 over 2 h = 3.84 kW.
        let long = SiteAllocator.allocate(packs: packs, targetWatts: 4_000, durationMinutes: 120)
        #expect(abs(long.totalWatts - 3_840) < 1e-6)
        #expect(long.setpoints[0].constraintsActive == ["soc_min_energy"])
        // Charging for 1 h: the 3 kW power limit binds; for 4 h the headroom (0.9 − 0.5) × 20 kWh / 0.96 does.
        let charge = SiteAllocator.allocate(packs: packs, targetWatts: -4_000, durationMinutes: 60)
        #expect(abs(charge.totalWatts + 3_000) < 1e-6)
        #expect(charge.setpoints[0].constraintsActive == ["max_charge_power"])
        let slowCharge = SiteAllocator.allocate(packs: packs, targetWatts: -4_000, durationMinutes: 240)
        #expect(abs(slowCharge.totalWatts + 8_000 / 0.96 / 4) < 1e-6)
        #expect(slowCharge.setpoints[0].constraintsActive == ["soc_max_energy"])
    }

    /// The issue's `temperature_derate`: a pack whose temperature-derated limit is below its rating and binds names
    /// it; a derated limit equal to the rating, above it or absent names the rating; a tighter energy bound wins.
    @Test func temperatureDeratingNamesItsBound() {
        let hot = AllocatorPack(
            deviceID: "hot", usableEnergyWattHours: 20_000, soc: 0.5, maxChargePowerWatts: 3_000, maxDischargePowerWatts: 4_000,
            temperatureDeratedChargePowerWatts: 1_500, temperatureDeratedDischargePowerWatts: 3_000)
        let discharge = SiteAllocator.allocate(packs: [hot], targetWatts: 5_000, durationMinutes: 60)
        #expect(abs(discharge.totalWatts - 3_000) < 1e-6)
        #expect(discharge.setpoints[0].upperBoundWatts == 3_000)
        #expect(discharge.setpoints[0].constraintsActive == ["temperature_derate"])
        #expect(discharge.outcome == .shortfall && abs(discharge.shortfallWatts - 2_000) < 1e-6)
        let charge = SiteAllocator.allocate(packs: [hot], targetWatts: -5_000, durationMinutes: 60)
        #expect(abs(charge.totalWatts + 1_500) < 1e-6)
        #expect(charge.setpoints[0].lowerBoundWatts == -1_500)
        #expect(charge.setpoints[0].constraintsActive == ["temperature_derate"])

        var equal = hot
        equal.temperatureDeratedChargePowerWatts = 3_000
        equal.temperatureDeratedDischargePowerWatts = 4_000
        var above = hot
        above.temperatureDeratedChargePowerWatts = 3_500
        above.temperatureDeratedDischargePowerWatts = 4_500
        var notDerated = hot
        notDerated.temperatureDeratedChargePowerWatts = nil
        notDerated.temperatureDeratedDischargePowerWatts = nil
        for pack in [equal, above, notDerated] {
            let out = SiteAllocator.allocate(packs: [pack], targetWatts: 5_000, durationMinutes: 60)
            #expect(abs(out.totalWatts - 4_000) < 1e-6)
            #expect(out.setpoints[0].constraintsActive == ["max_discharge_power"])
            let back = SiteAllocator.allocate(packs: [pack], targetWatts: -5_000, durationMinutes: 60)
            #expect(abs(back.totalWatts + 3_000) < 1e-6)
            #expect(back.setpoints[0].constraintsActive == ["max_charge_power"])
        }

        // Over 2 h the energy in the window, (0.5 − 0.1) × 20 kWh × 0.96 / 2 h = 3.84 kW, is below the derated 3.9 kW.
        var mild = hot
        mild.temperatureDeratedDischargePowerWatts = 3_900
        let long = SiteAllocator.allocate(packs: [mild], targetWatts: 5_000, durationMinutes: 120)
        #expect(abs(long.totalWatts - 3_840) < 1e-6)
        #expect(long.setpoints[0].constraintsActive == ["soc_min_energy"])

        // Derated to nothing: the pack stays at 0 W and says why; the other pack takes the demand.
        var stopped = hot
        stopped.deviceID = "stopped"
        stopped.temperatureDeratedDischargePowerWatts = 0
        let shared = SiteAllocator.allocate(packs: [stopped, notDerated], targetWatts: 2_000, durationMinutes: 60)
        #expect(shared.setpoints[0].powerWatts == 0)
        #expect(shared.setpoints[0].constraintsActive == ["temperature_derate"])
        #expect(abs(shared.setpoints[1].powerWatts - 2_000) < 1e-6)
        #expect(shared.setpoints[1].constraintsActive.isEmpty)
        // With no power asked, nothing binds.
        #expect(SiteAllocator.allocate(packs: [stopped], targetWatts: 0, durationMinutes: 60).setpoints[0].constraintsActive.isEmpty)
    }

    @Test func stressFactorsAndTiltShiftTheSplit() {
        let young = AllocatorPack(deviceID: "young", usableEnergyWattHours: 50_000, soc: 0.6, soh: 1, maxChargePowerWatts: 1e6, maxDischargePowerWatts: 1e6)
        var old = young
        old.deviceID = "old"
        old.soh = 0.8
        let aged = SiteAllocator.allocate(packs: [young, old], targetWatts: 10_000, durationMinutes: 60)
        #expect(aged.setpoints[0].powerWatts > aged.setpoints[1].powerWatts)  // the aged pack works less
        var hot = young
        hot.deviceID = "hot"
        hot.temperatureCelsius = 40
        #expect(StressFactors.k(for: hot, discharging: true) > StressFactors.k(for: young, discharging: true))
        var full = young
        full.deviceID = "full"
        full.soc = 0.85
        let tilted = SiteAllocator.allocate(
            packs: [young, full], targetWatts: 10_000, durationMinutes: 60, options: .init(socBalancingGain: 2_000))
        #expect(tilted.setpoints[1].powerWatts > tilted.setpoints[0].powerWatts)  // the fuller pack discharges more
    }
}

@Suite("Allocation message")
struct AllocationMessageTests {
    @Test func fillsTheSpecMessage() throws {
        let packs = [
            AllocatorPack(deviceID: "a", usableEnergyWattHours: 20_000, soc: 0.5, maxChargePowerWatts: 3_000, maxDischargePowerWatts: 4_000, dischargeEfficiency: 0.95),
            AllocatorPack(deviceID: "b", usableEnergyWattHours: 20_000, soc: 0.5, maxChargePowerWatts: 3_000, maxDischargePowerWatts: 4_000, isAvailable: false),
        ]
        let demand = PowerDemand(totalPowerTarget: 5_000, durationMinutes: 60, flexibility: 0.1, priority: .high)
        let result = SiteAllocator.allocate(packs: packs, targetWatts: 5_000, durationMinutes: 60, flexibility: 0.1)
        let message = result.message(
            allocationID: "alloc_1", siteID: "site", timestamp: Timestamp(millisecondsSinceEpoch: 0), demand: demand, packs: packs,
            degradationImpact: ["a": 0.0001])
        #expect(message.allocation.optimizationMethod == "water_filling_qp")
        #expect(message.allocation.totalAllocated == 4_000)
        #expect(message.allocation.devices.map(\.allocatedPower) == [4_000, 0])
        #expect(message.allocation.devices.map(\.confidence) == [0.8, 0])  // on its bound; offline
        #expect(message.allocation.devices[1].constraintsActive == ["offline"])
        #expect(abs(message.allocation.efficiencyScore - 0.95) < 1e-12)
        #expect(abs(message.forecasts.completionProbability - 0.8 * 0.8) < 1e-12)
        // It is a valid wire message: it round-trips.
        #expect(try WireCoding.decode(PowerAllocationMessage.self, from: WireCoding.encode(message)) == message)
    }

    /// `degradation_impact` from standard twins built from what a coordinator knows of each pack: discharging at
    /// 35 °C ages the pack more than the same power at 25 °C, and a pack left idle ages no more than idling does.
    ///
    /// Three 14s 100 Ah NMC packs (about 5 kWh) at SoC 0.6, alike but for temperature, with equal stress factors
    /// so the two available ones share 4 kW for 1 h equally; the third is offline and gets 0 W. BLAST-Lite's Kokam
    /// NMC model a year into calendar life gives about 0.0020 % at 25 °C and 0.0034 % at 35 °C (checked with
    /// `blast-lite` 1.1.1 on the same SoC swing, 0.6 → about 0.2).
    @Test func degradationImpactFromStandardTwins() throws {
        func pack(_ id: String, celsius: Double, available: Bool = true) -> AllocatorPack {
            AllocatorPack(
                deviceID: id, usableEnergyWattHours: 5_000, soc: 0.6, temperatureCelsius: celsius,
                maxChargePowerWatts: 5_000, maxDischargePowerWatts: 5_000, isAvailable: available, stressFactorOverride: 1)
        }
        let packs = [pack("hot", celsius: 35), pack("cool", celsius: 25), pack("idle", celsius: 25, available: false)]
        let demand = PowerDemand(totalPowerTarget: 4_000, durationMinutes: 60, flexibility: 0, priority: .normal)
        let result = SiteAllocator.allocate(packs: packs, targetWatts: 4_000, durationMinutes: 60)
        #expect(abs(result.setpoints[0].powerWatts - 2_000) < 1e-6 && abs(result.setpoints[1].powerWatts - 2_000) < 1e-6)
        #expect(result.setpoints[2].powerWatts == 0)

        var twins: [String: PackTwin] = [:]
        for known in packs {
            twins[known.deviceID] = try PackTwin(
                standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: known.soc,
                temperatureCelsius: known.temperatureCelsius, stateOfHealth: known.soh)
        }
        let message = result.message(
            allocationID: "alloc_2", siteID: "site", timestamp: Timestamp(millisecondsSinceEpoch: 0), demand: demand,
            packs: packs, degradationImpact: result.degradationImpact(twins: twins, durationMinutes: 60))
        let impact = message.forecasts.degradationImpact
        let hot = try #require(impact["hot"])
        let cool = try #require(impact["cool"])
        let idle = try #require(impact["idle"])
        #expect(cool > 0 && hot > cool, "\(hot) % at 35 °C, \(cool) % at 25 °C")
        #expect(hot > 0.002 && hot < 0.006 && cool > 0.001 && cool < 0.004, "\(hot) %, \(cool) %")
        #expect(abs(idle) < 1e-12)
    }
}
