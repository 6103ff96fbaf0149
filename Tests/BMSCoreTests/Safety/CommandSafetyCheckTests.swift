import Testing

@testable import BMSCore

@Suite("Command safety checks")
struct CommandSafetyCheckTests {
    static let time = Timestamp(millisecondsSinceEpoch: 0)
    static func snapshot(cell: Double = 3.30, temperature: Double = 25, soc: Double = 50) -> PackSnapshot {
        PackSnapshot(
            deviceID: "p", takenAt: time, voltage: Measured(52.8, at: time), current: Measured(0, at: time),
            temperature: Measured(temperature, at: time), soc: Measured(soc, at: time),
            cellVoltages: [Measured(cell, at: time), Measured(3.2, at: time)])
    }
    static func verdict(_ snapshot: PackSnapshot) throws -> SafetyVerdict {
        var monitor = SafetyMonitor(limits: try SafetyLimits.resolve(chemistry: .lfp, nominalCapacityAmpHours: 100).get())
        return monitor.evaluate(SafetyInput(snapshot))
    }
    static func checks(_ constraints: CommandConstraints) -> SafetyChecks { SafetyChecks(required: true, constraints: constraints) }

    private func refusal(_ command: CommandType, _ snapshot: PackSnapshot, _ constraints: CommandConstraints, latched: Bool = false, maintenance: Bool = false) throws -> String? {
        CommandSafetyCheck.refusal(
            command: command, checks: Self.checks(constraints), snapshot: snapshot, verdict: try Self.verdict(snapshot),
            criticalLatched: latched, maintenance: maintenance)
    }

    /// "At or above the constraint" refuses; just below goes ahead.
    @Test(arguments: [(3.399, false), (3.40, true), (3.401, true)])
    func startChargeAgainstMaxCellVoltage(cell: Double, refused: Bool) throws {
        let found = try refusal(.startCharge, Self.snapshot(cell: cell), CommandConstraints(maxCellVoltage: 3.40))
        #expect((found != nil) == refused)
    }

    @Test(arguments: [(3.21, false), (3.20, true)])
    func startDischargeAgainstMinCellVoltage(lowest: Double, refused: Bool) throws {
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: Self.time, voltage: Measured(52, at: Self.time), current: Measured(0, at: Self.time),
            soc: Measured(50, at: Self.time), cellVoltages: [Measured(3.3, at: Self.time), Measured(lowest, at: Self.time)])
        #expect((try refusal(.startDischarge, snapshot, CommandConstraints(minCellVoltage: 3.20)) != nil) == refused)
    }

    @Test(arguments: [(49.9, false), (50.0, true)])
    func temperatureConstraint(temperature: Double, refused: Bool) throws {
        let found = try refusal(.startDischarge, Self.snapshot(temperature: temperature), CommandConstraints(maxTemperature: 50))
        #expect((found != nil) == refused)
    }

    @Test(arguments: [(CommandType.startCharge, 79.9, false), (.startCharge, 80, true), (.startDischarge, 10.1, false), (.startDischarge, 10, true)])
    func socConstraints(command: CommandType, soc: Double, refused: Bool) throws {
        let found = try refusal(command, Self.snapshot(soc: soc), CommandConstraints(minSoC: 10, maxSoC: 80))
        #expect((found != nil) == refused)
    }

    @Test func stopsAndShutdownAreNeverRefused() throws {
        for command in [CommandType.emergencyShutdown, .stopCharge, .stopDischarge, .requestStatus, .updateParameters] {
            #expect(CommandSafetyCheck.refusal(command: command, checks: nil, snapshot: nil, verdict: nil, criticalLatched: true, maintenance: true) == nil)
        }
    }

    @Test func localStateRefusesStarts() throws {
        let snapshot = Self.snapshot()
        #expect(try refusal(.startCharge, snapshot, CommandConstraints(), latched: true)?.contains("latched") == true)
        #expect(try refusal(.startCharge, snapshot, CommandConstraints(), maintenance: true)?.contains("maintenance") == true)
        #expect(CommandSafetyCheck.refusal(command: .startCharge, checks: nil, snapshot: nil, verdict: nil, criticalLatched: false, maintenance: false) != nil)
        // Local protection has stopped charging (the cell is past the recommended safety limit).
        let high = Self.snapshot(cell: 3.62)
        var monitor = SafetyMonitor(limits: try SafetyLimits.resolve(chemistry: .lfp, nominalCapacityAmpHours: 100).get())
        _ = monitor.evaluate(SafetyInput(high))
        let verdict = monitor.evaluate(SafetyInput(high))
        #expect(CommandSafetyCheck.refusal(command: .startCharge, checks: nil, snapshot: high, verdict: verdict, criticalLatched: false, maintenance: false) != nil)
        // Without required checks the command's constraints are not applied, local limits still are.
        #expect(CommandSafetyCheck.refusal(
            command: .startCharge, checks: SafetyChecks(required: false, constraints: CommandConstraints(maxCellVoltage: 3.0)),
            snapshot: snapshot, verdict: try Self.verdict(snapshot), criticalLatched: false, maintenance: false) == nil)
    }

    /// A stopped pack's BMS may report 0 A in both directions because it is stopped; that must not keep it from
    /// starting. The pack's limits bound the setpoints instead (`SetpointClamp`).
    @Test func packLimitOfZeroDoesNotRefuseAStart() throws {
        var snapshot = Self.snapshot()
        snapshot.packChargeCurrentLimit = Measured(0, at: Self.time)
        snapshot.packDischargeCurrentLimit = Measured(0, at: Self.time)
        #expect(try refusal(.startCharge, snapshot, CommandConstraints()) == nil)
        #expect(try refusal(.startDischarge, snapshot, CommandConstraints()) == nil)
    }
}
