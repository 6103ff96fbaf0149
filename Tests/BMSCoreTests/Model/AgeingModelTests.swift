import Foundation
import Testing

@testable import BMSCore

/// Known answers captured from NREL BLAST-Lite 1.1.1 (`pip install blast-lite==1.1.1`, Python 3.11, numpy 1.26)
/// with the same day profiles fed day by day, each day's times shifted by 86 400 s:
///
///     python3 -c "
///     import numpy as np; from blast import models
///     def cyc(hi, lo, c, T):
///         t = np.arange(0, 86401, 300.); d = (hi - lo) / c * 3600
///         s = [hi - c*x/3600 if x <= d else lo if x <= 43200 else lo + c*(x-43200)/3600 if x <= 43200 + d else hi
///              for x in t]
///         return t, np.array(s), np.full(t.shape, float(T))
///     def cal(soc, T): t = np.arange(0, 86401, 3600.); return t, np.full(25, soc), np.full(25, float(T))
///     for name, (t, s, T) in [('Lfp_Gr_250AhPrismatic', cal(.5, 25)), ('Lfp_Gr_250AhPrismatic', cyc(.9, .1, 1, 25))]:
///         m = getattr(models, name)()
///         for d in range(365): m.update_battery_state(t + d*86400, s, T)
///         print(1 - m.outputs['q'][-1], m.states, m.stressors['efc'][-1])"
///
/// (and likewise for `Nmc111_Gr_Kokam75Ah_Battery`). Tests/IntegrationTests/AgeingOracleTests.swift runs BLAST-Lite
/// itself on more profiles.
@Suite("Ageing model (BLAST-Lite port)")
struct AgeingModelTests {
    typealias Day = (time: [Double], soc: [Double], temperature: [Double])

    /// A day at constant SoC and temperature, sampled hourly (25 samples, 0…86 400 s).
    static func restDay(soc: Double, celsius: Double) -> Day {
        let time = (0...24).map { Double($0) * 3600 }
        return (time, time.map { _ in soc }, time.map { _ in celsius })
    }

    /// A day sampled every 300 s: discharge from `high` to `low` at `cRate` from midnight, rest, charge back at the
    /// same rate from noon, rest.
    static func cycleDay(high: Double, low: Double, cRate: Double, celsius: Double) -> Day {
        let time = (0...288).map { Double($0) * 300 }
        let ramp = (high - low) / cRate * 3600
        let soc = time.map { x -> Double in
            if x <= ramp { return high - cRate * x / 3600 }
            if x <= 43_200 { return low }
            if x <= 43_200 + ramp { return low + cRate * (x - 43_200) / 3600 }
            return high
        }
        return (time, soc, time.map { _ in celsius })
    }

    /// `day` fed `days` times, each shifted by its length, as the Python commands above do.
    static func run(_ kind: AgeingModel.Kind, _ day: Day, days: Int) throws -> AgeingModel {
        var model = AgeingModel(kind: kind)
        let period = (day.time.last ?? 0) - (day.time.first ?? 0)
        for index in 0..<days {
            let shift = Double(index) * period
            try model.update(
                timeSeconds: day.time.map { $0 + shift }, soc: day.soc, temperatureCelsius: day.temperature)
        }
        return model
    }

    static func close(_ value: Double, _ expected: Double, relative: Double = 1e-6) -> Bool {
        abs(value - expected) <= relative * abs(expected)
    }

    // MARK: - Known answers

    /// The issue's known answer: LFP at 25 °C and SoC 0.5 for one year loses about 1.10 %.
    @Test func lfpAtTwentyFiveDegreesAndHalfChargeLosesAboutOnePointOnePercentAYear() throws {
        let daily = try Self.run(.lfpGr250AhPrismatic, Self.restDay(soc: 0.5, celsius: 25), days: 365)
        #expect(Self.close(1 - daily.relativeCapacity, 0.011_039_748_3), "\(1 - daily.relativeCapacity)")
        #expect(Self.close(daily.calendarCapacityLoss, 0.011_039_748_3))
        #expect(abs(daily.cycleCapacityLoss) < 1e-15)
        #expect(daily.relativeResistance == 1 && !daily.modelsResistance)
        #expect(abs(daily.elapsedSeconds - 365 * 86_400) < 1e-6)

        // The whole year as one call: one power-law step, as BLAST gives it.
        var yearly = AgeingModel(kind: .lfpGr250AhPrismatic)
        let time = (0...(365 * 24)).map { Double($0) * 3600 }
        try yearly.update(timeSeconds: time, soc: time.map { _ in 0.5 }, temperatureCelsius: time.map { _ in 25 })
        #expect(Self.close(1 - yearly.relativeCapacity, 0.011_016_423_6), "\(1 - yearly.relativeCapacity)")
    }

    @Test func nmcCalendarYearMatchesBLAST() throws {
        let model = try Self.run(.nmc111GrKokam75Ah, Self.restDay(soc: 0.5, celsius: 25), days: 365)
        #expect(Self.close(1 - model.relativeCapacity, 0.010_148_788_7), "\(1 - model.relativeCapacity)")
        #expect(Self.close(model.relativeResistance - 1, 0.111_800_754_1), "\(model.relativeResistance)")
        #expect(model.modelsResistance)
    }

    @Test func dailyCyclingYearMatchesBLAST() throws {
        let day = Self.cycleDay(high: 0.9, low: 0.1, cRate: 1, celsius: 25)
        let lfp = try Self.run(.lfpGr250AhPrismatic, day, days: 365)
        #expect(Self.close(1 - lfp.relativeCapacity, 0.021_236_381_6), "\(1 - lfp.relativeCapacity)")
        #expect(Self.close(lfp.calendarCapacityLoss, 0.009_934_203_1))
        #expect(Self.close(lfp.equivalentFullCycles, 288.290_317))

        let nmc = try Self.run(.nmc111GrKokam75Ah, day, days: 365)
        #expect(Self.close(1 - nmc.relativeCapacity, 0.035_259_252_2), "\(1 - nmc.relativeCapacity)")
        #expect(Self.close(nmc.calendarCapacityLoss, 0.023_017_082_7))
        #expect(Self.close(nmc.relativeResistance - 1, 0.294_626_335_6))
        #expect(Self.close(nmc.equivalentFullCycles, 285.028_721))
        #expect(abs(nmc.calendarCapacityLoss + nmc.cycleCapacityLoss - (1 - nmc.relativeCapacity)) < 1e-15)
    }

    /// `repeatLastUpdate()` is BLAST's `update_battery_state_repeating()`: one cosine day at 30 °C, then 364 repeats
    /// of its stresses gave q = 0.9586352994437211, r = 1.3248029589968116, 292 EFC.
    @Test func repeatingTheLastUpdateMatchesBLAST() throws {
        let time = (0...288).map { Double($0) * 300 }
        var model = AgeingModel(kind: .nmc111GrKokam75Ah)
        let repeatedBeforeAnyUpdate = model.repeatLastUpdate()
        #expect(!repeatedBeforeAnyUpdate && model == AgeingModel(kind: .nmc111GrKokam75Ah))
        try model.update(
            timeSeconds: time, soc: time.map { 0.5 + 0.4 * cos(2 * Double.pi * $0 / 86_400) },
            temperatureCelsius: time.map { _ in 30 })
        var repeats = 0
        for _ in 0..<364 {
            if model.repeatLastUpdate() { repeats += 1 }
        }
        #expect(repeats == 364)
        #expect(Self.close(model.relativeCapacity, 0.958_635_299_443_721_1))
        #expect(Self.close(model.relativeResistance, 1.324_802_958_996_811_6))
        #expect(Self.close(model.equivalentFullCycles, 292))
        #expect(abs(model.elapsedSeconds - 365 * 86_400) < 1e-6)
    }

    @Test func standardModelsPerChemistry() {
        #expect(AgeingModel.standard(for: .lfp).kind == .lfpGr250AhPrismatic)
        #expect(AgeingModel.standard(for: .nmc).kind == .nmc111GrKokam75Ah)
        #expect(AgeingModel.standard(for: .lco).kind == .nmc111GrKokam75Ah)
        #expect(AgeingModel.standard(for: .nca).kind == .ncaGrPanasonic3Ah)
        for kind in AgeingModel.Kind.allCases {
            let model = AgeingModel(kind: kind)
            #expect(model.relativeCapacity == 1 && model.relativeResistance == 1 && model.elapsedSeconds == 0)
            #expect(model.blastOutputs["q"] == 1)
        }
    }

    // MARK: - Monotonicity

    @Test(arguments: AgeingModel.Kind.allCases)
    func hotterStorageLosesMoreCapacity(kind: AgeingModel.Kind) throws {
        for soc in [0.5, 0.9] {
            let losses = try [10.0, 25, 40].map { celsius in
                try Self.run(kind, Self.restDay(soc: soc, celsius: celsius), days: 30).calendarCapacityLoss
            }
            #expect(losses[0] > 0 && losses[0] < losses[1] && losses[1] < losses[2], "\(kind) SoC \(soc): \(losses)")
        }
    }

    @Test(arguments: AgeingModel.Kind.allCases)
    func deeperCyclesLoseMoreCapacityToCycling(kind: AgeingModel.Kind) throws {
        for celsius in [10.0, 25, 40] {
            let losses = try [0.2, 0.4, 0.6, 0.8].map { depth -> Double in
                let day = Self.cycleDay(high: 0.5 + depth / 2, low: 0.5 - depth / 2, cRate: 1, celsius: celsius)
                return try Self.run(kind, day, days: 60).cycleCapacityLoss
            }
            #expect(zip(losses, losses.dropFirst()).allSatisfy { $0 < $1 }, "\(kind) \(celsius) °C: \(losses)")
        }
    }

    // MARK: - Validation

    @Test func invalidSeriesAreRejectedAndLeaveTheModelUnchanged() throws {
        var model = try Self.run(.nmc111GrKokam75Ah, Self.restDay(soc: 0.5, celsius: 25), days: 3)
        let before = model
        let time: [Double] = [0, 60, 120]
        let invalid: [(time: [Double], soc: [Double], temperature: [Double], parameter: String)] = [
            ([0, 60], [0.5, 0.5, 0.5], [25, 25], "timeSeconds"),  // lengths differ
            ([0], [0.5], [25], "timeSeconds"),  // one sample
            ([], [], [], "timeSeconds"),  // none
            ([0, 60, 60], [0.5, 0.5, 0.5], [25, 25, 25], "timeSeconds"),  // not increasing
            ([0, 120, 60], [0.5, 0.5, 0.5], [25, 25, 25], "timeSeconds"),  // going back
            (time, [0.5, 1.01, 0.5], [25, 25, 25], "soc"),
            (time, [0.5, -0.01, 0.5], [25, 25, 25], "soc"),
            (time, [0.5, .nan, 0.5], [25, 25, 25], "soc"),
            ([0, .infinity, 120], [0.5, 0.5, 0.5], [25, 25, 25], "timeSeconds"),
            (time, [0.5, 0.5, 0.5], [25, .nan, 25], "temperatureCelsius"),
            (time, [0.5, 0.5, 0.5], [25, 95, 25], "temperatureCelsius"),
        ]
        for series in invalid {
            do throws(BatteryModelError) {
                try model.update(timeSeconds: series.time, soc: series.soc, temperatureCelsius: series.temperature)
                Issue.record("accepted \(series)")
            } catch {
                #expect(error.problems.contains { $0.parameter == series.parameter }, "\(error)")
            }
            #expect(model == before)
        }
    }

    @Test func everyProblemIsReportedAtOnce() {
        var model = AgeingModel(kind: .lfpGr250AhPrismatic)
        do throws(BatteryModelError) {
            try model.update(timeSeconds: [0, 0], soc: [2, 0.5], temperatureCelsius: [25, -100])
            Issue.record("accepted an invalid series")
        } catch {
            #expect(error.problems.map(\.parameter) == ["timeSeconds", "soc", "temperatureCelsius"], "\(error)")
        }
        #expect(model == AgeingModel(kind: .lfpGr250AhPrismatic))
    }
}
