import Foundation
import Testing

@testable import BMSCore

@Suite("Pack twin: forecast and degradation impact")
struct TwinForecastTests {
    /// A 14s2p NMC pack (200 Ah, about 10 kWh) whose cells have aged 30 days at 25 °C and half charge.
    static func nmcTwin(soc: Double = 0.6) throws -> PackTwin {
        let pack = try PackModel(
            cell: .defaults(for: .nmc), seriesCells: 14, parallelCells: 2, thermal: makeThermal(), soc: soc)
        var ageing = AgeingModel.standard(for: .nmc)
        for day in 0..<30 {
            let time = (0...24).map { Double(day * 86_400 + $0 * 3600) }
            try ageing.update(timeSeconds: time, soc: time.map { _ in 0.5 }, temperatureCelsius: time.map { _ in 25 })
        }
        return PackTwin(pack: pack, ageing: ageing)
    }

    /// A day in 60 s steps: `watts` discharging for 2 h from midnight, the same charging for 2 h from noon.
    static func day(watts: Double) -> [Double] {
        (0..<1440).map { minute -> Double in
            if minute < 120 { return watts }
            if minute >= 720 && minute < 840 { return -watts }
            return 0
        }
    }

    // MARK: - What-if

    @Test func aWhatIfLeavesTheTwinUnchangedAndIsRepeatable() throws {
        let twin = try Self.nmcTwin()
        let copy = twin
        let first = try twin.forecast(powerProfileWatts: Self.day(watts: 2_000), step: .seconds(60))
        let second = try twin.forecast(powerProfileWatts: Self.day(watts: 2_000), step: .seconds(60))
        #expect(twin == copy)
        #expect(first == second)
        #expect(first.finalAgeing != twin.ageing && first.finalPack != twin.pack)
        #expect(first.finalAgeing.elapsedSeconds == twin.ageing.elapsedSeconds + 86_400)
    }

    @Test func trajectoriesFollowThePowerProfile() throws {
        let twin = try Self.nmcTwin()
        let profile = Self.day(watts: 2_000)
        let forecast = try twin.forecast(powerProfileWatts: profile, step: .seconds(60))
        let samples = forecast.samples
        #expect(samples.count == 1441 && samples.first?.timeSeconds == 0 && forecast.horizonSeconds == 86_400)
        #expect(forecast.clampedSteps.isEmpty)
        for (index, sample) in samples.dropFirst().enumerated() {
            let requested = profile[index]
            #expect(abs(sample.powerWatts - requested) <= 1e-6 * max(1, abs(requested)))
            #expect(sample.currentAmps.sign == requested.sign || requested == 0)
        }
        #expect(samples[120].soc < samples[0].soc - 0.3)
        #expect(abs(samples[1440].soc - samples[0].soc) < 0.05)
        #expect(samples[1].terminalVolts < samples[0].terminalVolts)
        #expect((samples.map(\.temperatureCelsius).max() ?? 0) > 25)
        #expect(forecast.capacityFade > 0 && forecast.resistanceGrowth > 0)
        #expect(abs(forecast.capacityFade - (twin.ageing.relativeCapacity - forecast.finalAgeing.relativeCapacity)) < 1e-15)
    }

    @Test func theSoCWindowClampsThePowerAtItsEdges() throws {
        let twin = try Self.nmcTwin(soc: 0.5)
        let discharge = try twin.forecast(
            powerProfileWatts: Array(repeating: 5_000, count: 1440), step: .seconds(60), socMinimum: 0.2, socMaximum: 0.9)
        #expect(abs((discharge.samples.last?.soc ?? 0) - 0.2) < 1e-9)
        #expect(discharge.samples.allSatisfy { $0.soc >= 0.2 - 1e-9 })
        let firstClamp = try #require(discharge.clampedSteps.first)
        #expect(firstClamp > 0 && discharge.clampedSteps == Array(firstClamp..<1440))
        #expect(discharge.samples[(firstClamp + 2)...].allSatisfy { abs($0.powerWatts) < 1e-3 })

        let charge = try twin.forecast(
            powerProfileWatts: Array(repeating: -5_000, count: 60), step: .seconds(60), socMinimum: 0.2, socMaximum: 0.55)
        #expect(abs((charge.samples.last?.soc ?? 0) - 0.55) < 1e-9)
        #expect(!charge.clampedSteps.isEmpty)
    }

    // MARK: - Life

    /// A fresh NMC pack resting full at 45 °C: the day's stresses repeated reach 80 % after 335.8006 days, as
    /// BLAST-Lite's update_battery_state + update_battery_state_repeating give it (interpolated between days):
    /// `Nmc111_Gr_Kokam75Ah_Battery`, 25 hourly samples at SoC 1 and 45 °C, then repeating until q < 0.8.
    @Test func aPackRestingFullAndHotReachesEndOfLifeWhenBLASTSays() throws {
        let pack = try PackModel(
            cell: .defaults(for: .nmc), seriesCells: 14, parallelCells: 2, thermal: makeThermal(),
            ambientTemperatureCelsius: 45, soc: 1)
        let twin = PackTwin(pack: pack, ageing: AgeingModel(kind: .nmc111GrKokam75Ah))
        let forecast = try twin.forecast(powerProfileWatts: Array(repeating: 0, count: 24), step: .seconds(3600))
        let endOfLife = try #require(forecast.endOfLifeSeconds)
        #expect(abs(endOfLife / 86_400 - 335.800_625_919) < 1e-5, "\(endOfLife / 86_400) days")
        let calendar = try #require(forecast.remainingCalendarLifeSeconds)
        #expect(abs(calendar - endOfLife) < 1)
        #expect(forecast.remainingCycleLifeEquivalentFullCycles == nil)
    }

    @Test func aPackRestingAtHalfChargeAndTwentyFiveDegreesOutlivesTheHorizon() throws {
        let pack = try PackModel(
            cell: .defaults(for: .lfp), seriesCells: 16, parallelCells: 1, thermal: makeThermal(), soc: 0.5)
        let forecast = try PackTwin(pack: pack).forecast(
            powerProfileWatts: Array(repeating: 0, count: 24), step: .seconds(3600))
        #expect(forecast.endOfLifeSeconds == nil && forecast.remainingCalendarLifeSeconds == nil)
        #expect(forecast.remainingCycleLifeEquivalentFullCycles == nil)
        #expect(forecast.resistanceGrowth == 0)  // the LFP model has no resistance growth
    }

    @Test func dailyCyclingGivesACycleLifeAndAnEndOfLife() throws {
        let twin = try Self.nmcTwin(soc: 0.9)
        let forecast = try twin.forecast(
            powerProfileWatts: Self.day(watts: 4_000), step: .seconds(60), socMinimum: 0.1, socMaximum: 0.9)
        let endOfLife = try #require(forecast.endOfLifeSeconds)
        let years = endOfLife / (365 * 86_400)
        #expect(years > 5 && years < 30, "\(years) years")
        let cycles = try #require(forecast.remainingCycleLifeEquivalentFullCycles)
        #expect(cycles > 1_000, "\(cycles) EFC")
    }

    // MARK: - Degradation impact

    @Test func degradationImpactGrowsWithChargingPowerAndIsZeroIdle() throws {
        let twin = try Self.nmcTwin(soc: 0.5)
        #expect(try twin.degradationImpactPercent(powerWatts: 0, duration: .seconds(3600)) == 0)
        let gentle = try twin.degradationImpactPercent(powerWatts: -2_000, duration: .seconds(3600))
        let hard = try twin.degradationImpactPercent(powerWatts: -4_000, duration: .seconds(3600))
        #expect(gentle > 0 && hard > gentle, "\(gentle) %, \(hard) %")
        #expect(throws: BatteryModelError.self) { try twin.degradationImpactPercent(powerWatts: 1_000, duration: .zero) }
        #expect(throws: BatteryModelError.self) {
            try twin.degradationImpactPercent(powerWatts: 1_000, duration: .seconds(25 * 3600))
        }
        #expect(throws: BatteryModelError.self) {
            try twin.degradationImpactPercent(powerWatts: .nan, duration: .seconds(60))
        }
    }

    @Test func degradationImpactPerDeviceForTheAllocationMessage() throws {
        let twin = try Self.nmcTwin(soc: 0.5)
        let packs = [
            AllocatorPack(
                deviceID: "a", usableEnergyWattHours: 10_000, soc: 0.5, maxChargePowerWatts: 5_000,
                maxDischargePowerWatts: 5_000),
            AllocatorPack(
                deviceID: "b", usableEnergyWattHours: 10_000, soc: 0.5, maxChargePowerWatts: 5_000,
                maxDischargePowerWatts: 5_000),
        ]
        let result = SiteAllocator.allocate(packs: packs, targetWatts: -4_000, durationMinutes: 60)
        let impact = result.degradationImpact(twins: ["a": twin], durationMinutes: 60)
        #expect(impact.keys.sorted() == ["a"])
        #expect((impact["a"] ?? 0) > 0)
        #expect(result.degradationImpact(twins: ["a": twin], durationMinutes: 0).isEmpty)
    }

    // MARK: - Validation

    @Test func invalidForecastsAreRejected() throws {
        let twin = try Self.nmcTwin()
        let hour = Array(repeating: 1_000.0, count: 60)
        let cases: [(profile: [Double], step: Duration, window: (Double, Double), years: Double)] = [
            ([], .seconds(60), (0, 1), 30),
            (hour.map { _ in Double.nan }, .seconds(60), (0, 1), 30),
            (Array(hour.prefix(30)), .seconds(60), (0, 1), 30),  // 30 min
            (Array(repeating: 1_000.0, count: 25 * 60), .seconds(60), (0, 1), 30),  // 25 h
            (Array(repeating: 1_000.0, count: 7_200), .milliseconds(500), (0, 1), 30),  // steps under 1 s
            (hour, .seconds(60), (0.9, 0.2), 30),
            (hour, .seconds(60), (-0.1, 1), 30),
            (hour, .seconds(60), (0, 1), 0),
        ]
        for item in cases {
            #expect(throws: BatteryModelError.self) {
                try twin.forecast(
                    powerProfileWatts: item.profile, step: item.step, socMinimum: item.window.0,
                    socMaximum: item.window.1, lifeHorizonYears: item.years)
            }
        }
        let valid = try twin.forecast(powerProfileWatts: hour, step: .seconds(60))
        #expect(valid.samples.count == 61)
    }
}
