import Testing

@testable import BMSCore

@Suite("Open-circuit voltage")
struct OpenCircuitVoltageTests {
    /// 0, 0.01, …, 1 without accumulated rounding.
    static let socGrid = (0...100).map { Double($0) / 100 }

    @Test(arguments: Chemistry.allCases)
    func standardTableIsValidAndStrictlyIncreasing(chemistry: Chemistry) throws {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        #expect(curve.socBreakpoints.count >= 11)
        #expect(curve.socBreakpoints.count == curve.voltageBreakpoints.count)
        #expect(curve.socBreakpoints.first == 0)
        #expect(curve.socBreakpoints.last == 1)
        for (lower, upper) in zip(curve.socBreakpoints, curve.socBreakpoints.dropFirst()) {
            #expect(lower < upper, "\(chemistry) SoC \(lower) → \(upper)")
        }
        for (lower, upper) in zip(curve.voltageBreakpoints, curve.voltageBreakpoints.dropFirst()) {
            #expect(lower < upper, "\(chemistry) voltage \(lower) → \(upper)")
        }
        // The public, validating initializer accepts the same table.
        let rebuilt = try OpenCircuitVoltage(
            socBreakpoints: curve.socBreakpoints, voltageBreakpoints: curve.voltageBreakpoints)
        #expect(rebuilt == curve)
    }

    @Test(arguments: Chemistry.allCases)
    func voltageAtBreakpointsIsTheTable(chemistry: Chemistry) {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        for (soc, volts) in zip(curve.socBreakpoints, curve.voltageBreakpoints) {
            #expect(curve.voltage(soc: soc) == volts, "\(chemistry) at \(soc)")
            #expect(curve.soc(voltage: volts) == soc, "\(chemistry) at \(volts) V")
        }
    }

    @Test(arguments: Chemistry.allCases)
    func socInvertsVoltageWhereTheCurveIsNotFlat(chemistry: Chemistry) {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        for soc in Self.socGrid where curve.slope(soc: soc) > 0.01 {
            #expect(abs(curve.soc(voltage: curve.voltage(soc: soc)) - soc) < 1e-9, "\(chemistry) at \(soc)")
        }
    }

    @Test(arguments: Chemistry.allCases)
    func voltageIsClampedOutsideTheTable(chemistry: Chemistry) throws {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        let empty = try #require(curve.voltageBreakpoints.first)
        let full = try #require(curve.voltageBreakpoints.last)
        #expect(curve.voltage(soc: -0.2) == empty)
        #expect(curve.voltage(soc: 1.3) == full)
        #expect(curve.soc(voltage: empty - 1) == 0)
        #expect(curve.soc(voltage: full + 1) == 1)
        #expect(curve.slope(soc: -0.2) == 0)
        #expect(curve.slope(soc: 1.3) == 0)
    }

    @Test(arguments: Chemistry.allCases)
    func slopeMatchesAFiniteDifference(chemistry: Chemistry) {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        // Points 1 % and 2 % into each 5 % segment, so both lie in the same segment.
        for segment in 0..<20 {
            let low = Double(segment) * 0.05 + 0.01
            let high = low + 0.01
            let difference = (curve.voltage(soc: high) - curve.voltage(soc: low)) / 0.01
            #expect(abs(curve.slope(soc: low) - difference) < 1e-9, "\(chemistry) at \(low)")
            #expect(curve.slope(soc: low) > 0)
        }
    }

    // MARK: - Chemistry shapes

    @Test func lfpHasItsFlatPlateauAndEndPoints() {
        let lfp = OpenCircuitVoltage.standard(for: .lfp)
        #expect(lfp.voltage(soc: 0) == 2.50)
        #expect(lfp.voltage(soc: 1) == 3.65)
        let plateau = Self.socGrid.filter { $0 >= 0.2 && $0 <= 0.8 }.map { lfp.voltage(soc: $0) }
        let low = plateau.min() ?? 0
        let high = plateau.max() ?? .infinity
        #expect(high - low < 0.1)
        #expect(low >= 3.25 - 1e-12)
        #expect(high <= 3.35)
    }

    @Test(arguments: [Chemistry.nmc, .nca, .lco])
    func layeredOxidesSpanThreeToFourPointTwoVolts(chemistry: Chemistry) {
        let curve = OpenCircuitVoltage.standard(for: chemistry)
        #expect(curve.voltage(soc: 0) == 3.0)
        #expect(curve.voltage(soc: 1) == 4.2)
        #expect((3.6...3.85).contains(curve.voltage(soc: 0.5)))
    }

    @Test func nmcSitsAtThreePointSixToThreePointSevenMidway() {
        #expect((3.6...3.7).contains(OpenCircuitVoltage.standard(for: .nmc).voltage(soc: 0.5)))
    }

    // MARK: - Custom tables

    @Test func flatSegmentInvertsToItsMidpoint() throws {
        let curve = try OpenCircuitVoltage(socBreakpoints: [0, 0.25, 0.75, 1], voltageBreakpoints: [3.0, 3.3, 3.3, 3.6])
        #expect(curve.soc(voltage: 3.3) == 0.5)
        #expect(curve.slope(soc: 0.5) == 0)
        #expect(abs(curve.soc(voltage: 3.15) - 0.125) < 1e-12)
        #expect(abs(curve.soc(voltage: 3.45) - 0.875) < 1e-12)
        #expect(curve.voltage(soc: 0.6) == 3.3)
    }

    @Test func flatStartInvertsToItsMidpoint() throws {
        let curve = try OpenCircuitVoltage(socBreakpoints: [0, 0.5, 1], voltageBreakpoints: [3.0, 3.0, 4.0])
        #expect(curve.soc(voltage: 3.0) == 0.25)
        #expect(curve.soc(voltage: 2.0) == 0)
    }

    @Test func nanVoltageGivesNaN() {
        #expect(OpenCircuitVoltage.standard(for: .nmc).soc(voltage: .nan).isNaN)
    }

    @Test func invalidTablesReportEveryProblem() {
        do throws(BatteryModelError) {
            _ = try OpenCircuitVoltage(socBreakpoints: [0, 0.5, 0.4, 1.2], voltageBreakpoints: [3, 4, 3.5, .nan])
            Issue.record("an invalid table was accepted")
        } catch {
            #expect(error.problems.count == 4, "\(error)")
            #expect(error.problems.allSatisfy { ["socBreakpoints", "voltageBreakpoints"].contains($0.parameter) })
        }
        #expect(throws: BatteryModelError.self) {
            try OpenCircuitVoltage(socBreakpoints: [0, 1], voltageBreakpoints: [3.0])
        }
        #expect(throws: BatteryModelError.self) {
            try OpenCircuitVoltage(socBreakpoints: [0.5], voltageBreakpoints: [3.0])
        }
    }
}
