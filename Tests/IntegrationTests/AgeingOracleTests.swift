import BMSCore
import Foundation
import Testing
import TestSupport

/// BMSCore's `AgeingModel` against NREL BLAST-Lite 1.1.1 itself (`blast-lite` from PyPI, installed by
/// scripts/bootstrap.sh), run by Tests/IntegrationTests/Peers/blast_oracle.py on the same series: capacity loss and
/// resistance growth must agree within 2 % relative for calendar and cycling profiles of both chemistries.
@Suite("Ageing model against BLAST-Lite")
struct AgeingOracleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("Tests/IntegrationTests/Peers/blast_oracle.py").path

    /// One case as blast_oracle.py reads it: a period fed `repeatCount` times, shifted by its length each time.
    struct OracleCase: Encodable {
        var id: String
        var model: String
        var timeSeconds: [Double]
        var soc: [Double]
        var temperatureCelsius: [Double]
        var repeatCount: Int

        enum CodingKeys: String, CodingKey {
            case id, model, soc
            case timeSeconds = "time_s"
            case temperatureCelsius = "temperature_c"
            case repeatCount = "repeat"
        }
    }

    /// What blast_oracle.py reports for a case.
    struct OracleResult: Decodable {
        var id: String
        var q: Double
        var r: Double?
        var outputs: [String: Double]
        var tDays: Double
        var efc: Double

        enum CodingKeys: String, CodingKey {
            case id, q, r, outputs, efc
            case tDays = "t_days"
        }
    }

    // MARK: - Profiles

    /// A day at constant SoC and temperature, sampled hourly.
    static func restDay(_ id: String, _ kind: AgeingModel.Kind, soc: Double, celsius: Double, days: Int) -> OracleCase {
        let time = (0...24).map { Double($0) * 3600 }
        return OracleCase(
            id: id, model: kind.rawValue, timeSeconds: time, soc: time.map { _ in soc },
            temperatureCelsius: time.map { _ in celsius }, repeatCount: days)
    }

    /// A day sampled every 300 s: discharge from `high` to `low` at `cRate` from midnight, rest, charge back at
    /// the same rate from noon, rest.
    static func cycleDay(
        _ id: String, _ kind: AgeingModel.Kind, high: Double, low: Double, cRate: Double, celsius: Double, days: Int
    ) -> OracleCase {
        let time = (0...288).map { Double($0) * 300 }
        let ramp = (high - low) / cRate * 3600
        let soc = time.map { x -> Double in
            if x <= ramp { return high - cRate * x / 3600 }
            if x <= 43_200 { return low }
            if x <= 43_200 + ramp { return low + cRate * (x - 43_200) / 3600 }
            return high
        }
        return OracleCase(
            id: id, model: kind.rawValue, timeSeconds: time, soc: soc, temperatureCelsius: time.map { _ in celsius },
            repeatCount: days)
    }

    /// Four cosine cycles a day (3.2 EFC, enough for the Sony-Murata break-in term) with the temperature swinging
    /// ±10 K around 25 °C.
    static func busyDay(_ id: String, _ kind: AgeingModel.Kind, days: Int) -> OracleCase {
        let time = (0...288).map { Double($0) * 300 }
        return OracleCase(
            id: id, model: kind.rawValue, timeSeconds: time,
            soc: time.map { 0.5 + 0.4 * cos(2 * Double.pi * 4 * $0 / 86_400) },
            temperatureCelsius: time.map { 25 + 10 * sin(2 * Double.pi * $0 / 86_400) }, repeatCount: days)
    }

    /// At least four calendar and four cycling cases for each chemistry's standard model, plus the other two ports.
    static func cases() -> [OracleCase] {
        var cases: [OracleCase] = []
        let standardModels: [(chemistry: String, kind: AgeingModel.Kind)] = [
            ("lfp", .lfpGr250AhPrismatic), ("nmc", .nmc111GrKokam75Ah),
        ]
        for (chemistry, kind) in standardModels {
            cases += [
                restDay("\(chemistry)-calendar-25C-soc50-365d", kind, soc: 0.5, celsius: 25, days: 365),
                restDay("\(chemistry)-calendar-25C-soc50-30d", kind, soc: 0.5, celsius: 25, days: 30),
                restDay("\(chemistry)-calendar-35C-soc90-730d", kind, soc: 0.9, celsius: 35, days: 730),
                restDay("\(chemistry)-calendar-10C-soc20-180d", kind, soc: 0.2, celsius: 10, days: 180),
                restDay("\(chemistry)-calendar-45C-soc100-365d", kind, soc: 1, celsius: 45, days: 365),
                cycleDay("\(chemistry)-cycle-90-10-1C-25C-365d", kind, high: 0.9, low: 0.1, cRate: 1, celsius: 25, days: 365),
                cycleDay("\(chemistry)-cycle-95-5-1C-35C-730d", kind, high: 0.95, low: 0.05, cRate: 1, celsius: 35, days: 730),
                cycleDay("\(chemistry)-cycle-90-10-1C-10C-180d", kind, high: 0.9, low: 0.1, cRate: 1, celsius: 10, days: 180),
                cycleDay("\(chemistry)-cycle-70-30-0.5C-25C-365d", kind, high: 0.7, low: 0.3, cRate: 0.5, celsius: 25, days: 365),
                cycleDay("\(chemistry)-cycle-100-0-1C-25C-30d", kind, high: 1, low: 0, cRate: 1, celsius: 25, days: 30),
                cycleDay("\(chemistry)-cycle-90-10-1C-45C-365d", kind, high: 0.9, low: 0.1, cRate: 1, celsius: 45, days: 365),
            ]
        }
        cases += [
            restDay("sony-lfp-calendar-25C-soc50-365d", .lfpGrSonyMurata3Ah, soc: 0.5, celsius: 25, days: 365),
            cycleDay("sony-lfp-cycle-90-10-1C-25C-365d", .lfpGrSonyMurata3Ah, high: 0.9, low: 0.1, cRate: 1, celsius: 25, days: 365),
            busyDay("sony-lfp-busy-200d", .lfpGrSonyMurata3Ah, days: 200),
            restDay("nca-calendar-25C-soc50-365d", .ncaGrPanasonic3Ah, soc: 0.5, celsius: 25, days: 365),
            cycleDay("nca-cycle-90-10-1C-25C-365d", .ncaGrPanasonic3Ah, high: 0.9, low: 0.1, cRate: 1, celsius: 25, days: 365),
            busyDay("nmc-busy-200d", .nmc111GrKokam75Ah, days: 200),
        ]
        return cases
    }

    // MARK: - Tests

    @Test func swiftPortAgreesWithBLASTLiteWithinTwoPercent() async throws {
        let cases = Self.cases()
        let results = try await Self.runOracle(cases)
        try #require(results.count == cases.count)
        for (profile, oracle) in zip(cases, results) {
            #expect(oracle.id == profile.id)
            let kind = try #require(AgeingModel.Kind(rawValue: profile.model))
            var model = AgeingModel(kind: kind)
            let period = (profile.timeSeconds.last ?? 0) - (profile.timeSeconds.first ?? 0)
            for index in 0..<profile.repeatCount {
                let shift = Double(index) * period
                try model.update(
                    timeSeconds: profile.timeSeconds.map { $0 + shift }, soc: profile.soc,
                    temperatureCelsius: profile.temperatureCelsius)
            }

            let loss = 1 - model.relativeCapacity
            let oracleLoss = 1 - oracle.q
            #expect(oracleLoss > 0)
            #expect(abs(loss - oracleLoss) <= 0.02 * oracleLoss, "\(profile.id): loss \(loss), BLAST \(oracleLoss)")
            if let oracleResistance = oracle.r {
                #expect(model.modelsResistance, "\(profile.id)")
                let growth = model.relativeResistance - 1
                let oracleGrowth = oracleResistance - 1
                #expect(
                    abs(growth - oracleGrowth) <= 0.02 * abs(oracleGrowth),
                    "\(profile.id): resistance growth \(growth), BLAST \(oracleGrowth)")
            } else {
                #expect(!model.modelsResistance && model.relativeResistance == 1, "\(profile.id)")
            }
            // Every part (calendar, cycle, LLI, LAM, …): its change from new within 2 %.
            let new = AgeingModel(kind: kind).blastOutputs
            for (name, oracleValue) in oracle.outputs {
                let value = try #require(model.blastOutputs[name], "\(profile.id): no output \(name)")
                let start = try #require(new[name])
                #expect(
                    abs((value - start) - (oracleValue - start)) <= 0.02 * abs(oracleValue - start) + 1e-12,
                    "\(profile.id): \(name) \(value), BLAST \(oracleValue)")
            }
            #expect(abs(model.elapsedSeconds / 86_400 - oracle.tDays) < 1e-6, "\(profile.id)")
            #expect(abs(model.equivalentFullCycles - oracle.efc) <= 1e-9 * max(1, oracle.efc), "\(profile.id)")
        }

        // The known answer: LFP at 25 °C and SoC 0.5 for one year loses about 1.10 %.
        let known = try #require(results.first { $0.id == "lfp-calendar-25C-soc50-365d" })
        #expect(abs((1 - known.q) - 0.0110) < 0.0001, "BLAST-Lite gives \(1 - known.q)")
    }

    // MARK: - Helpers

    /// Runs blast_oracle.py with `python3` on `cases`, through files (ChildProcess gives the child no stdin).
    static func runOracle(_ cases: [OracleCase]) async throws -> [OracleResult] {
        let directory = try TemporaryDirectory("blast")
        defer { directory.remove() }
        let input = directory.file("cases.json")
        let output = directory.file("results.json")
        let log = directory.file("oracle.log").path
        try JSONEncoder().encode(cases).write(to: input)
        let python = try ChildProcess.locate("python3")
        let process = try ChildProcess(python, [script, input.path, output.path], outputFile: log)
        await process.waitForExit()
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try #require(process.exitCode == 0, "blast_oracle.py failed (is blast-lite==1.1.1 installed?): \(logText)")
        return try JSONDecoder().decode([OracleResult].self, from: Data(contentsOf: output))
    }
}
