import Testing

@testable import BMSCore

@Suite("Setpoint clamp")
struct SetpointClampTests {
    static let time = Timestamp(millisecondsSinceEpoch: 0)
    static let specs = DeviceSpecifications(
        nominalCapacityAmpHours: 100, nominalVoltageVolts: 50, maxChargePowerWatts: 2000, maxDischargePowerWatts: 6000,
        seriesCells: 16, parallelCells: 1)

    static func state(temperature: Double = 25, cellVolts: Double = 3.3) throws -> (PackSnapshot, SafetyVerdict) {
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: time, voltage: Measured(50, at: time), current: Measured(0, at: time),
            temperature: Measured(temperature, at: time), cellVoltages: [Measured(cellVolts, at: time), Measured(cellVolts, at: time)])
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
        // 46 °C: the 45 °C warning derates discharge to 75 % → 3.75 kW, and temperature sets that limit.
        let (hot, hotVerdict) = try Self.state(temperature: 46)
        let derated = SetpointClamp.clamp(requestedWatts: 6000, snapshot: hot, verdict: hotVerdict, specifications: Self.specs)
        #expect(abs(derated.watts - 3750) < 1e-9)
        #expect(derated.constraints == ["temperature_derate"])
        // 46 °C with cells at 2.40 V: the under-voltage warning (50 %) cuts deeper than temperature → 2.5 kW.
        let (hotAndLow, hotAndLowVerdict) = try Self.state(temperature: 46, cellVolts: 2.40)
        let cut = SetpointClamp.clamp(requestedWatts: 6000, snapshot: hotAndLow, verdict: hotAndLowVerdict, specifications: Self.specs)
        #expect(abs(cut.watts - 2500) < 1e-9)
        #expect(cut.constraints == ["discharge_current_limit"])
        // 36 °C: above LFP's 35 °C charging limit, charge is derated to 75 % → 1.875 kW, below the 2 kW nameplate.
        let (warm, warmVerdict) = try Self.state(temperature: 36)
        let charge = SetpointClamp.clamp(requestedWatts: -3000, snapshot: warm, verdict: warmVerdict, specifications: Self.specs)
        #expect(abs(charge.watts + 1875) < 1e-9)
        #expect(charge.constraints == ["temperature_derate"])
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
