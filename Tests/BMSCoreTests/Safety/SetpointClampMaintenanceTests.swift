import Testing

@testable import BMSCore

/// SAF-MNT-01: a pack in maintenance gets no power, named `maintenance`, whatever is asked and whatever it
/// reads; out of maintenance the clamp is exactly as without the flag.
@Suite("Setpoint clamp: maintenance")
struct SetpointClampMaintenanceTests {
    static let time = SetpointClampTests.time
    static let specs = SetpointClampTests.specs

    /// Requests on both sides of every limit of the 50 V LFP pack (discharge 5 kW, charge nameplate 2 kW), and 0.
    static let requests: [Double] = [-3000, -2001, -2000, -1999, -1, 0, 1, 4999, 5000, 5001, 7000]

    @Test(arguments: requests)
    func inMaintenanceNothingIsApplied(requested: Double) throws {
        let (snapshot, verdict) = try SetpointClampTests.state()
        let result = SetpointClamp.clamp(
            requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs, maintenance: true)
        #expect(result.watts == 0)
        #expect(result.constraints == ["maintenance"])
    }

    @Test(arguments: requests)
    func outOfMaintenanceTheClampIsUnchanged(requested: Double) throws {
        let (snapshot, verdict) = try SetpointClampTests.state()
        let plain = SetpointClamp.clamp(requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs)
        let off = SetpointClamp.clamp(
            requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs, maintenance: false)
        #expect(off.watts == plain.watts)
        #expect(off.constraints == plain.constraints)
        #expect(!off.constraints.contains("maintenance"))
        let limited = SetpointClamp.clamp(
            requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs, powerLimitFraction: 0.5,
            maintenance: false)
        #expect(!limited.constraints.contains("maintenance"))
    }

    /// Maintenance wins over every other reason for zero, and over an operator's limit.
    @Test func maintenanceIsNamedAlone() throws {
        let (snapshot, verdict) = try SetpointClampTests.state()
        let (critical, criticalVerdict) = try SetpointClampTests.state(temperature: 66)
        let stale = snapshot.markedStale(at: Self.time, dataQuality: 0)
        let cases: [(PackSnapshot?, SafetyVerdict?, Double, Double?)] = [
            (critical, criticalVerdict, 100, nil),  // stopped by protection
            (stale, verdict, 100, nil),  // offline
            (nil, nil, -100, nil),  // never read
            (snapshot, verdict, .nan, nil),  // invalid request
            (snapshot, verdict, 3000, 0),  // the operator's 0 %
            (snapshot, verdict, 3000, 0.5),  // the operator's 50 %
        ]
        for (snapshot, verdict, requested, fraction) in cases {
            let result = SetpointClamp.clamp(
                requestedWatts: requested, snapshot: snapshot, verdict: verdict, specifications: Self.specs,
                powerLimitFraction: fraction, maintenance: true)
            #expect(result.watts == 0, "\(requested) W")
            #expect(result.constraints == ["maintenance"], "\(requested) W")
        }
    }
}
