import Testing

@testable import BMSCore

/// SAF-OPL-01: the operator's power limit (`power_limit_percent` / 100 of the nameplate power) only ever
/// lowers a setpoint; 0 stops both directions, 1 has no effect, local protection still wins.
@Suite("Setpoint clamp: the operator's power limit")
struct SetpointClampPowerLimitTests {
    static let time = SetpointClampTests.time
    /// Nameplate charge 2 kW, discharge 6 kW (local limits of the 50 V LFP pack: discharge 5 kW, charge 2.5 kW).
    static let specs = SetpointClampTests.specs

    static func clamp(
        _ requested: Double, fraction: Double?, temperature: Double = 25, specifications: DeviceSpecifications = SetpointClampTests.specs
    ) throws -> (watts: Double, constraints: [String]) {
        let (snapshot, verdict) = try SetpointClampTests.state(temperature: temperature)
        return SetpointClamp.clamp(
            requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: specifications,
            powerLimitFraction: fraction)
    }

    static func check(
        _ result: (watts: Double, constraints: [String]), _ watts: Double, _ constraints: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(abs(result.watts - watts) < 1e-9, "applied \(result.watts) W", sourceLocation: sourceLocation)
        #expect(result.constraints == constraints, sourceLocation: sourceLocation)
    }

    /// (fraction, requested W, applied W, constraints). 50 %: discharge 3 kW, charge 1 kW; 25 %: 1.5 kW and
    /// 0.5 kW; on both sides of each and exactly on it.
    static let thresholds: [(Double, Double, Double, [String])] = [
        (0.5, 2999, 2999, []), (0.5, 3000, 3000, []), (0.5, 3001, 3000, ["power_limit"]),
        (0.5, 6000, 3000, ["power_limit"]),
        (0.5, -999, -999, []), (0.5, -1000, -1000, []), (0.5, -1001, -1000, ["power_limit"]),
        (0.5, -3000, -1000, ["power_limit"]),
        // 90 % of 6 kW is 5.4 kW, above the 5 kW local limit: the local limit stays the one that binds.
        (0.9, 5001, 5000, ["discharge_current_limit"]),
        (0.25, 1499, 1499, []), (0.25, 1501, 1500, ["power_limit"]), (0.25, -501, -500, ["power_limit"]),
    ]

    @Test(arguments: thresholds)
    func limitsFromBothSides(fraction: Double, requested: Double, applied: Double, constraints: [String]) throws {
        Self.check(try Self.clamp(requested, fraction: fraction), applied, constraints)
    }

    @Test func zeroPercentStopsBothDirections() throws {
        Self.check(try Self.clamp(100, fraction: 0), 0, ["power_limit"])
        Self.check(try Self.clamp(-100, fraction: 0), 0, ["power_limit"])
        Self.check(try Self.clamp(0, fraction: 0), 0, [])
    }

    /// 100 % (and no limit at all) leaves every clamp exactly as it was.
    @Test(arguments: [-3000.0, -2001, -1999, 0, 100, 4999, 5001, 7000])
    func hundredPercentHasNoEffect(requested: Double) throws {
        let unlimited = try Self.clamp(requested, fraction: nil)
        Self.check(try Self.clamp(requested, fraction: 1), unlimited.watts, unlimited.constraints)
        Self.check(try Self.clamp(requested, fraction: 1.5), unlimited.watts, unlimited.constraints)
        #expect(!unlimited.constraints.contains("power_limit"))
    }

    @Test func theLowerOfTemperatureDerateAndPowerLimitWins() throws {
        // 46 °C derates discharge to 75 % → 3.75 kW.
        Self.check(try Self.clamp(6000, fraction: 0.7, temperature: 46), 3750, ["temperature_derate"])
        Self.check(try Self.clamp(6000, fraction: 0.5, temperature: 46), 3000, ["power_limit"])
        Self.check(try Self.clamp(2999, fraction: 0.5, temperature: 46), 2999, [])
        // 36 °C derates charge to 75 % → 1.875 kW.
        Self.check(try Self.clamp(-3000, fraction: 0.95, temperature: 36), -1875, ["temperature_derate"])
        Self.check(try Self.clamp(-3000, fraction: 0.5, temperature: 36), -1000, ["power_limit"])
    }

    @Test func localProtectionWinsTheName() throws {
        // 66 °C: critical, no power in either direction, whatever the operator's limit.
        Self.check(try Self.clamp(100, fraction: 0, temperature: 66), 0, ["stopped_by_protection"])
        Self.check(try Self.clamp(-100, fraction: 0.5, temperature: 66), 0, ["stopped_by_protection"])
        // The pack's own allowance of 0 stops discharge and is named, not the operator's 0 %.
        let (snapshot, verdict) = try SetpointClampTests.state()
        var stopped = snapshot
        stopped.packDischargeCurrentLimit = Measured(0, at: Self.time)
        Self.check(
            SetpointClamp.clamp(requestedWatts: 100, snapshot: stopped, verdict: verdict, specifications: Self.specs, powerLimitFraction: 0),
            0, ["pack_discharge_current_limit"])
        // No fresh reading: offline, as without a limit.
        let stale = snapshot.markedStale(at: Self.time, dataQuality: 0)
        Self.check(
            SetpointClamp.clamp(requestedWatts: 100, snapshot: stale, verdict: verdict, specifications: Self.specs, powerLimitFraction: 0.5),
            0, ["offline"])
    }

    /// A pack without a nameplate power takes the percentage of its local protection limit (5 kW discharge,
    /// 2.5 kW charge for this pack): 50 % → 2.5 kW and 1.25 kW, on both sides.
    @Test func unratedDirectionTakesThePercentageOfTheProtectionLimit() throws {
        let unrated = DeviceSpecifications(nominalCapacityAmpHours: 100, nominalVoltageVolts: 50, seriesCells: 16, parallelCells: 1)
        Self.check(try Self.clamp(2499, fraction: 0.5, specifications: unrated), 2499, [])
        Self.check(try Self.clamp(2501, fraction: 0.5, specifications: unrated), 2500, ["power_limit"])
        Self.check(try Self.clamp(-1249, fraction: 0.5, specifications: unrated), -1249, [])
        Self.check(try Self.clamp(-1251, fraction: 0.5, specifications: unrated), -1250, ["power_limit"])
        Self.check(try Self.clamp(100, fraction: 0, specifications: unrated), 0, ["power_limit"])
        Self.check(try Self.clamp(1000, fraction: 1, specifications: unrated), 1000, [])
        Self.check(try Self.clamp(1000, fraction: nil, specifications: unrated), 1000, [])
    }

    /// A fraction that is negative or not a number stops power; one above 1 is no limit.
    @Test(arguments: [Double.nan, -0.1, -.infinity, .infinity])
    func unusableFractionsCountAsZero(fraction: Double) throws {
        Self.check(try Self.clamp(1000, fraction: fraction), 0, ["power_limit"])
        Self.check(try Self.clamp(-1000, fraction: fraction), 0, ["power_limit"])
    }
}
