import Testing

@testable import BMSCore

@Suite("Setpoint clamp")
struct SetpointClampTests {
    static let time = Timestamp(millisecondsSinceEpoch: 0)
    static let specs = DeviceSpecifications(
        nominalCapacityAmpHours: 100, nominalVoltageVolts: 50, maxChargePowerWatts: 2000, maxDischargePowerWatts: 6000,
        seriesCells: 16, parallelCells: 1)

    static func state(temperature: Double = 25) throws -> (PackSnapshot, SafetyVerdict) {
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: time, voltage: Measured(50, at: time), current: Measured(0, at: time),
            temperature: Measured(temperature, at: time), cellVoltages: [Measured(3.3, at: time), Measured(3.3, at: time)])
        var monitor = SafetyMonitor(limits: try SafetyLimits.resolve(chemistry: .lfp, nominalCapacityAmpHours: 100).get())
        var verdict = monitor.evaluate(SafetyInput(snapshot))
        for _ in 0..<3 { verdict = monitor.evaluate(SafetyInput(snapshot)) }
        return (snapshot, verdict)
    }

    /// LFP 100 Ah at 50 V: discharge operating limit 100 A → 5 kW; charge 50 A → 2.5 kW, nameplate 2 kW.
    @Test(arguments: [
        (4999.0, 4999.0, [String]()), (5001, 5000, ["discharge_current_limit"]), (-1999, -1999, []),
        (-2001, -2000, ["max_charge_power"]), (-3000, -2000, ["max_charge_power"]), (0, 0, []),
    ])
    func limitsFromBothSides(requested: Double, applied: Double, constraints: [String]) throws {
        let (snapshot, verdict) = try Self.state()
        let result = SetpointClamp.clamp(requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs)
        #expect(abs(result.watts - applied) < 1e-9)
        #expect(result.constraints == constraints)
    }

    @Test func deratingAndProtectionAndOffline() throws {
        // 46 °C: the 45 °C warning derates discharge to 75 % → 3.75 kW.
        let (hot, hotVerdict) = try Self.state(temperature: 46)
        let derated = SetpointClamp.clamp(requestedWatts: 6000, snapshot: hot, verdict: hotVerdict, specifications: Self.specs)
        #expect(abs(derated.watts - 3750) < 1e-9)
        #expect(derated.constraints == ["discharge_current_limit"])
        // 66 °C: critical, contactors open, no power at all.
        let (critical, criticalVerdict) = try Self.state(temperature: 66)
        #expect(SetpointClamp.clamp(requestedWatts: -100, snapshot: critical, verdict: criticalVerdict, specifications: Self.specs)
            == (0, ["stopped_by_protection"]))
        // No fresh reading: zero.
        let stale = hot.markedStale(at: Self.time, dataQuality: 0)
        #expect(SetpointClamp.clamp(requestedWatts: 100, snapshot: stale, verdict: hotVerdict, specifications: Self.specs) == (0, ["offline"]))
        #expect(SetpointClamp.clamp(requestedWatts: .nan, snapshot: hot, verdict: hotVerdict, specifications: Self.specs) == (0, ["invalid_request"]))
    }
}
