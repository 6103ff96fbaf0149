import BMSCore
import Testing
import TestSupport

@testable import EdgeAgent

/// What a new allocation must zero from the one it replaces, and which failed writes mean "this pack takes no
/// setpoint" rather than "the write failed".
@Suite("Allocation processor")
struct AllocationProcessorTests {
    /// An allocation listing `devices`, as the coordinator sends it.
    static func allocation(_ devices: [String]) throws -> PowerAllocationMessage {
        let shares = devices.map { #"{"device_id":"\#($0)","allocated_power":1000,"confidence":0.9,"constraints_active":[]}"# }
        let json = """
            {"schema_version":"1.0","timestamp":"2024-01-15T14:30:00Z","allocation_id":"next","site_id":"site",
             "demand":{"total_power_target":1000,"duration_minutes":1,"flexibility":0.1,"priority":"high"},
             "allocation":{"optimization_method":"water_filling_qp","total_allocated":1000,"efficiency_score":0.9,
               "devices":[\(shares.joined(separator: ","))]},
             "forecasts":{"degradation_impact":{},"efficiency_prediction":0.9,"completion_probability":0.9}}
            """
        return try PowerAllocationMessage.validated(fromJSON: Array(json.utf8))
    }

    static func applied(_ devices: [AppliedSetpoint], fallback: Bool = false) -> AppliedAllocation {
        let now = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        return AppliedAllocation(
            allocationID: "previous", appliedAt: now, expiresAt: now.adding(milliseconds: 60_000), fallbackActive: fallback,
            devices: devices)
    }

    /// The allocation in force is kept in the agent's SQLite store across a reopen (a restart), the newest
    /// replacing the one before, until it is cleared at its end.
    @Test func theAllocationInForceIsKeptReplacedAndCleared() throws {
        let directory = try TemporaryDirectory("commands")
        defer { directory.remove() }
        let path = directory.file("commands.sqlite").path
        let store = try CommandStore(path: path)
        #expect(try store.allocationInForce() == nil)
        try store.saveAllocation(
            try Self.allocation(["pack_1"]), savedAt: Timestamp(millisecondsSinceEpoch: 500), expiresAt: Timestamp(millisecondsSinceEpoch: 1_000))
        let newest = try Self.allocation(["pack_2", "pack_3"])
        try store.saveAllocation(newest, savedAt: Timestamp(millisecondsSinceEpoch: 1_500), expiresAt: Timestamp(millisecondsSinceEpoch: 2_000))
        let reopened = try CommandStore(path: path)
        let kept = try #require(try reopened.allocationInForce())
        #expect(kept.allocation == newest)
        #expect(kept.savedAt.millisecondsSinceEpoch == 1_500 && kept.expiresAt.millisecondsSinceEpoch == 2_000)
        try reopened.clearAllocation()
        #expect(try store.allocationInForce() == nil)
    }

    @Test func packsPoweredBeforeAndLeftOutNowAreZeroed() throws {
        let previous = Self.applied([
            AppliedSetpoint(deviceID: "pack_1", requestedPower: 3000, appliedPower: 3000, constraintsActive: []),
            AppliedSetpoint(deviceID: "pack_2", requestedPower: 3000, appliedPower: 2500, constraintsActive: ["power_limit"]),
            AppliedSetpoint(deviceID: "pack_3", requestedPower: 3000, appliedPower: 0, constraintsActive: ["maintenance"]),
            AppliedSetpoint(deviceID: "pack_4", requestedPower: 3000, appliedPower: 0, constraintsActive: ["setpoint_write_failed"]),
            AppliedSetpoint(deviceID: "pack_5", requestedPower: 3000, appliedPower: 0, constraintsActive: ["unknown_device"]),
        ])
        let left = AllocationProcessor.packsLeftOut(of: previous, by: try Self.allocation(["pack_1"]))
        // pack_3 holds 0 W already and pack_5 does not exist; pack_4's write failed, so it may hold an older one.
        #expect(left.map(\.deviceID) == ["pack_2", "pack_4"])
    }

    @Test func nothingToZeroAfterAFallbackOrWithoutAPrevious() throws {
        let powered = [AppliedSetpoint(deviceID: "pack_2", requestedPower: 3000, appliedPower: 3000, constraintsActive: [])]
        #expect(AllocationProcessor.packsLeftOut(of: Self.applied(powered, fallback: true), by: try Self.allocation(["pack_1"])).isEmpty)
        #expect(AllocationProcessor.packsLeftOut(of: nil, by: try Self.allocation(["pack_1"])).isEmpty)
        #expect(AllocationProcessor.packsLeftOut(of: Self.applied(powered), by: try Self.allocation(["pack_2"])).isEmpty)
    }

    /// A pack whose fallback 0 W failed may still hold its share: a newer allocation that leaves it out zeroes
    /// it (else nothing would: the fallback's retry follows only the allocation in force).
    @Test func aFailedFallbackIsZeroedByTheNextAllocation() throws {
        let fallen = Self.applied(
            [
                AppliedSetpoint(deviceID: "pack_2", requestedPower: 3000, appliedPower: 0, constraintsActive: ["fallback"]),
                AppliedSetpoint(deviceID: "pack_3", requestedPower: 3000, appliedPower: 3000, constraintsActive: ["fallback", "setpoint_write_failed"]),
                AppliedSetpoint(deviceID: "pack_4", requestedPower: 3000, appliedPower: 0, constraintsActive: ["fallback", "no_setpoint_control"]),
            ], fallback: true)
        #expect(AllocationProcessor.packsLeftOut(of: fallen, by: try Self.allocation(["pack_1"])).map(\.deviceID) == ["pack_3"])
        #expect(AllocationProcessor.packsLeftOut(of: fallen, by: try Self.allocation(["pack_3"])).isEmpty)
    }

    /// A kept allocation (one minute long, saved at t = 0, ending at t = 60 s) resumes only while it runs, and
    /// never when the clock reads earlier than its saving or leaves it more than its whole minute.
    @Test(arguments: [
        (Int64(0), Int64?(60_000)), (59_999, 1), (60_000, nil), (90_000, nil),  // it ends at 60 s
        (-1, nil),  // the clock is behind the saving
    ])
    func resumesOnlyWhileItRuns(now: Int64, remaining: Int64?) throws {
        let kept = CommandStore.KeptAllocation(
            allocation: try Self.allocation(["pack_1"]), savedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000),
            expiresAt: Timestamp(millisecondsSinceEpoch: 1_700_000_060_000))
        #expect(AllocationProcessor.resumableMilliseconds(of: kept, now: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000 + now)) == remaining)
    }

    /// An expiry further away than the allocation's duration (saved by a clock that was ahead) is not resumed.
    @Test func anEndBeyondItsDurationIsNotResumed() throws {
        let saved = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        var kept = CommandStore.KeptAllocation(
            allocation: try Self.allocation(["pack_1"]), savedAt: saved, expiresAt: saved.adding(milliseconds: 60_001))
        #expect(AllocationProcessor.resumableMilliseconds(of: kept, now: saved) == nil)
        kept.expiresAt = saved.adding(milliseconds: 60_000)
        #expect(AllocationProcessor.resumableMilliseconds(of: kept, now: saved) == 60_000)
    }

    @Test func anAllocationListingADeviceTwiceIsRefused() {
        #expect(throws: ValidationFailure.self) { try Self.allocation(["pack_1", "pack_1"]) }
    }

    @Test(arguments: [
        (DeviceProfile.canbusBMS, PackSourceError.profileMismatch("a CAN pack takes no power setpoint"), true),
        (.dbc, .profileMismatch("a CAN pack takes no power setpoint"), true),
        (.registerMap, .profileMismatch("register map 'x' defines no power setpoint"), true),
        // A SunSpec pack whose layout is not read yet: that write failed.
        (.sunspec, .profileMismatch("the pack's power scale factor (W_SF) is not known"), false),
        (.registerMap, .can("silent"), false),
        (.canbusBMS, .can("bus down"), false),
    ])
    func takesNoSetpoint(profile: DeviceProfile, error: PackSourceError, expected: Bool) {
        #expect(AllocationProcessor.takesNoSetpoint(error, profile: profile) == expected)
    }
}

/// When a poll's limits are worth rewriting the setpoint in force for: every cut, a raise beyond 5 %, a failed
/// write, a reversal — on both sides of each threshold.
@Suite("Allocation re-clamp after a poll")
struct ReclampThresholdTests {
    static let cases: [(Double, Double, Bool, Bool)] = [
        (-5000, -5000, false, false),  // unchanged
        (-5000, -4999.5, false, false),  // within a watt
        (-5000, -4998.9, false, true),  // cut by more than a watt
        (-5000, -1900, false, true),  // derated
        (-5000, 0, false, true),  // stopped
        (-1900, -1995, false, false),  // raised by 5 % (and a watt) or less
        (-1900, -1996.1, false, true),  // raised by more
        (3000, 3000, true, true),  // the last write failed: try again
        (3000, -3000, false, true),  // reversed
        (0, 0, false, false),
    ]

    @Test(arguments: cases)
    func worthRewriting(applied: Double, clamped: Double, failedBefore: Bool, expected: Bool) {
        #expect(AllocationProcessor.isWorthRewriting(from: applied, to: clamped, failedBefore: failedBefore) == expected)
    }
}
