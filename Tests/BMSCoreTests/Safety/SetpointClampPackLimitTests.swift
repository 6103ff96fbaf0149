import Testing

@testable import BMSCore

/// SAF-PCL-01: a setpoint stays inside the current the pack's own BMS allows, converted to power at the
/// pack's fresh voltage; a 0 stops that direction; a stale limit still caps and never raises anything.
@Suite("Setpoint clamp: the pack's own current limits")
struct SetpointClampPackLimitTests {
    static let time = SetpointClampTests.time
    static let specs = SetpointClampTests.specs

    /// The clamp for `requested` on the 50 V LFP pack of `SetpointClampTests` (local limits: discharge 100 A
    /// → 5 kW, charge 50 A → 2.5 kW; nameplate charge 2 kW, discharge 6 kW) with the given pack limits.
    static func clamp(
        _ requested: Double, charge: Measured<Double>? = nil, discharge: Measured<Double>? = nil
    ) throws -> (watts: Double, constraints: [String]) {
        let state = try SetpointClampTests.state()
        var snapshot = state.0
        snapshot.packChargeCurrentLimit = charge
        snapshot.packDischargeCurrentLimit = discharge
        return SetpointClamp.clamp(requestedWatts: requested, snapshot: snapshot, verdict: state.1, specifications: specs)
    }

    static func check(
        _ result: (watts: Double, constraints: [String]), _ watts: Double, _ constraints: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(abs(result.watts - watts) < 1e-9, "applied \(result.watts) W", sourceLocation: sourceLocation)
        #expect(result.constraints == constraints, sourceLocation: sourceLocation)
    }

    struct Case: Sendable, CustomStringConvertible {
        var requested: Double
        var chargeAmps: Double?
        var dischargeAmps: Double?
        var applied: Double
        var constraints: [String]

        var description: String {
            let charge = chargeAmps.map { "\($0) A" } ?? "none"
            let discharge = dischargeAmps.map { "\($0) A" } ?? "none"
            return "\(requested) W with pack limits charge \(charge), discharge \(discharge)"
        }
    }

    /// At 50 V: a discharge limit of 80 A → 4 kW; a charge limit of 30 A → 1.5 kW; 40 A → 2 kW ties the nameplate.
    @Test(arguments: [
        Case(requested: 3999, dischargeAmps: 80, applied: 3999, constraints: []),
        Case(requested: 4000, dischargeAmps: 80, applied: 4000, constraints: []),
        Case(requested: 4001, dischargeAmps: 80, applied: 4000, constraints: ["pack_discharge_current_limit"]),
        Case(requested: 6000, dischargeAmps: 80, applied: 4000, constraints: ["pack_discharge_current_limit"]),
        Case(requested: -1499, chargeAmps: 30, applied: -1499, constraints: []),
        Case(requested: -1500, chargeAmps: 30, applied: -1500, constraints: []),
        Case(requested: -1501, chargeAmps: 30, applied: -1500, constraints: ["pack_charge_current_limit"]),
        // A pack limit looser than the local one changes nothing.
        Case(requested: 5001, dischargeAmps: 200, applied: 5000, constraints: ["discharge_current_limit"]),
        // Ties are all named.
        Case(requested: -3000, chargeAmps: 40, applied: -2000, constraints: ["pack_charge_current_limit", "max_charge_power"]),
        // Each direction has its own limit.
        Case(requested: 4500, chargeAmps: 10, applied: 4500, constraints: []),
        Case(requested: -1800, dischargeAmps: 10, applied: -1800, constraints: []),
    ])
    func limitsFromBothSides(test: Case) throws {
        let result = try Self.clamp(
            test.requested, charge: test.chargeAmps.map { Measured($0, at: Self.time) },
            discharge: test.dischargeAmps.map { Measured($0, at: Self.time) })
        Self.check(result, test.applied, test.constraints)
    }

    @Test func zeroStopsThatDirectionOnly() throws {
        let zero = Measured<Double>(0, at: Self.time)
        try Self.check(Self.clamp(-100, charge: zero), 0, ["pack_charge_current_limit"])
        try Self.check(Self.clamp(100, charge: zero), 100, [])
        try Self.check(Self.clamp(100, discharge: zero), 0, ["pack_discharge_current_limit"])
        try Self.check(Self.clamp(-100, discharge: zero), -100, [])
        // A negative limit, or one that is not a number, allows nothing.
        try Self.check(Self.clamp(100, discharge: Measured(-5, at: Self.time)), 0, ["pack_discharge_current_limit"])
        try Self.check(Self.clamp(-100, charge: Measured(.nan, at: Self.time)), 0, ["pack_charge_current_limit"])
        // Local protection stopping the direction is named instead.
        let critical = try SetpointClampTests.state(temperature: 66)
        var stopped = critical.0
        stopped.packDischargeCurrentLimit = zero
        Self.check(
            SetpointClamp.clamp(requestedWatts: 100, snapshot: stopped, verdict: critical.1, specifications: Self.specs),
            0, ["stopped_by_protection"])
    }

    @Test func staleLimitStillCapsAndRaisesNothing() throws {
        // A stale 80 A still holds discharge to 4 kW; a stale 200 A does not lift the local 5 kW.
        try Self.check(Self.clamp(6000, discharge: Measured(80, at: Self.time, isStale: true)), 4000, ["pack_discharge_current_limit"])
        try Self.check(Self.clamp(6000, discharge: Measured(200, at: Self.time, isStale: true)), 5000, ["discharge_current_limit"])
        try Self.check(Self.clamp(6000), 5000, ["discharge_current_limit"])
        // A stale 0 keeps the direction stopped.
        try Self.check(Self.clamp(-500, charge: Measured(0, at: Self.time, isStale: true)), 0, ["pack_charge_current_limit"])
    }

    @Test func noFreshVoltageNoPower() throws {
        let state = try SetpointClampTests.state()
        var snapshot = state.0
        snapshot.packDischargeCurrentLimit = Measured(80, at: Self.time)
        for voltage in [Measured<Double>(50, at: Self.time, isStale: true), Measured(.infinity, at: Self.time), nil] {
            snapshot.voltage = voltage
            Self.check(
                SetpointClamp.clamp(requestedWatts: 1000, snapshot: snapshot, verdict: state.1, specifications: Self.specs),
                0, ["offline"])
        }
    }

    /// End to end from the CAN-bus BMS frames: 0x351 CCL 30 A, 0x35C discharge disabled, 50 V on 0x356.
    @Test func canFramesBoundTheSetpoint() throws {
        let image = CANBusBMSPackImage(
            voltage: 50, current: 0, temperature: 25, soc: 50, chargeCurrentLimit: 30, dischargeCurrentLimit: 100,
            chargeEnabled: true, dischargeEnabled: false, cellVoltageMin: 3.3, cellVoltageMax: 3.3,
            cellTemperatureMin: 25, cellTemperatureMax: 25, alarmFrames: .pylontech359)
        var accumulator = CANBusBMSAccumulator()
        for frame in CANBusBMSEncoder.frames(for: image) { accumulator.ingest(frame, at: Self.time) }
        let snapshot = accumulator.snapshot(deviceID: "can", at: Self.time)
        let verdict = try SetpointClampTests.state().1
        func clamp(_ watts: Double) -> (watts: Double, constraints: [String]) {
            SetpointClamp.clamp(requestedWatts: watts, snapshot: snapshot, verdict: verdict, specifications: Self.specs)
        }
        Self.check(clamp(1000), 0, ["pack_discharge_current_limit"])
        Self.check(clamp(-1000), -1000, [])
        Self.check(clamp(-1600), -1500, ["pack_charge_current_limit"])
    }
}
