import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// `update_parameters`: every value checked before any is saved, kept per pack across a restart, the power
/// limit read back as the fraction `SetpointClamp` binds every allocation share to, and
/// `power_limit_at_most_percent` lowering that limit, never raising it.
@Suite("Runtime parameters")
struct RuntimeParameterTests {
    /// The reason of a refusal, or `nil` when the update went through.
    static func refusal(_ result: Result<String, CommandProcessor.CommandFailure>) -> String? {
        if case .failure(let failure) = result { return failure.reason }
        return nil
    }

    /// Runs `body` with a fresh store, and hands it the path so that it can reopen the store as a restart does.
    static func withStore(_ body: (CommandStore, String) throws -> Void) throws {
        let directory = try TemporaryDirectory("parameters")
        defer { directory.remove() }
        let path = directory.file("commands.sqlite").path
        try body(try CommandStore(path: path), path)
    }

    @Test func powerLimitIsAcceptedAndSurvivesARestartPerPack() throws {
        try Self.withStore { store, path throws in
            let result = RuntimeParameter.update(["power_limit_percent": .number(50)], deviceID: "pack_a", in: store)
            #expect(try result.get() == "power_limit_percent = 50")
            #expect(try store.parameter("power_limit_percent", deviceID: "pack_a") == "50")
            #expect(try store.powerLimitFraction(deviceID: "pack_a") == 0.5)
            #expect(try store.powerLimitFraction(deviceID: "pack_b") == nil)

            let reopened = try CommandStore(path: path)
            #expect(try reopened.powerLimitFraction(deviceID: "pack_a") == 0.5)
            #expect(try reopened.powerLimitFraction(deviceID: "pack_b") == nil)

            // Restoring is sending 100: a fraction of 1, which the clamp treats as no limit.
            _ = try RuntimeParameter.update(["power_limit_percent": .number(100)], deviceID: "pack_a", in: reopened).get()
            #expect(try reopened.powerLimitFraction(deviceID: "pack_a") == 1)
        }
    }

    /// Exactly on both ends of the range and a fraction of a percent are accepted.
    @Test(arguments: [(0.0, "0", 0.0), (100, "100", 1), (12.5, "12.5", 0.125), (99, "99", 0.99)])
    func edgesOfTheRangeAreAccepted(percent: Double, stored: String, fraction: Double) throws {
        try Self.withStore { store, _ throws in
            let result = RuntimeParameter.update(["power_limit_percent": .number(percent)], deviceID: "p", in: store)
            #expect(Self.refusal(result) == nil)
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == stored)
            #expect(try store.powerLimitFraction(deviceID: "p") == fraction)
        }
    }

    @Test(arguments: [
        JSONValue.number(-0.001), .number(100.001), .number(150), .number(-1), .number(.infinity), .number(.nan),
        .string("50"), .bool(true), .null, .array([.number(50)]), .object(["value": .number(50)]),
    ])
    func outOfRangeOrNotANumberIsRefusedAndNothingSaved(value: JSONValue) throws {
        try Self.withStore { store, _ throws in
            _ = try RuntimeParameter.update(["power_limit_percent": .number(40)], deviceID: "p", in: store).get()
            let reason = try #require(Self.refusal(RuntimeParameter.update(["power_limit_percent": value], deviceID: "p", in: store)))
            #expect(reason.contains("power_limit_percent must be a number from 0 to 100"), "\(reason)")
            // The earlier limit stays as it was.
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "40")
        }
    }

    @Test func severalParametersAreSavedAllOrNone() throws {
        try Self.withStore { store, _ throws in
            // One bad value: the good one is not saved either, and the reason names the bad one.
            let mixed = RuntimeParameter.update(["maintenance_mode": true, "power_limit_percent": .number(150)], deviceID: "p", in: store)
            let reason = try #require(Self.refusal(mixed))
            #expect(reason == "power_limit_percent must be a number from 0 to 100, not 150")
            #expect(try store.parameter("maintenance_mode", deviceID: "p") == nil)

            // An unknown name and a bad value: both reported at once, nothing saved.
            let both = RuntimeParameter.update(
                ["maintenance_mode": "yes", "cell_voltage_max": .number(5), "power_limit_percent": .number(50)], deviceID: "p", in: store)
            let reasons = try #require(Self.refusal(both))
            #expect(
                reasons.contains(
                    "not a runtime parameter: cell_voltage_max (allowed: maintenance_mode, power_limit_at_most_percent, power_limit_percent)"))
            #expect(reasons.contains("maintenance_mode must be true or false, not a string"))
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == nil)

            // All good: both saved in one go.
            let result = RuntimeParameter.update(["maintenance_mode": true, "power_limit_percent": .number(30)], deviceID: "p", in: store)
            #expect(try result.get() == "maintenance_mode = true, power_limit_percent = 30")
            #expect(try store.parameter("maintenance_mode", deviceID: "p") == "true")
            #expect(try store.powerLimitFraction(deviceID: "p") == 0.3)

            #expect(try RuntimeParameter.update([:], deviceID: "p", in: store).get() == "nothing to change")
        }
    }

    // MARK: - power_limit_at_most_percent

    @Test func atMostLowersAHigherLimit() throws {
        try Self.withStore { store, _ throws in
            _ = try RuntimeParameter.update(["power_limit_percent": .number(80)], deviceID: "p", in: store).get()
            let result = RuntimeParameter.update(["power_limit_at_most_percent": .number(50)], deviceID: "p", in: store)
            #expect(try result.get() == "power_limit_percent = 50 (power_limit_at_most_percent 50)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "50")
            #expect(try store.powerLimitFraction(deviceID: "p") == 0.5)
            // The at-most value itself is not stored: only the limit it lowered.
            #expect(try store.parameter("power_limit_at_most_percent", deviceID: "p") == nil)
        }
    }

    @Test func atMostNeverRaisesALowerLimit() throws {
        try Self.withStore { store, _ throws in
            _ = try RuntimeParameter.update(["power_limit_percent": .number(50)], deviceID: "p", in: store).get()
            let milder = RuntimeParameter.update(["power_limit_at_most_percent": .number(80)], deviceID: "p", in: store)
            #expect(try milder.get() == "power_limit_percent = 50 (power_limit_at_most_percent 80 does not raise it)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "50")
            // Exactly on the limit in force: it stays.
            let equal = RuntimeParameter.update(["power_limit_at_most_percent": .number(50)], deviceID: "p", in: store)
            #expect(try equal.get() == "power_limit_percent = 50 (power_limit_at_most_percent 50)")
            #expect(try store.powerLimitFraction(deviceID: "p") == 0.5)
            // Just below it: lowered.
            _ = try RuntimeParameter.update(["power_limit_at_most_percent": .number(49.5)], deviceID: "p", in: store).get()
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "49.5")
            // The absolute setting still lifts it, deliberately.
            _ = try RuntimeParameter.update(["power_limit_percent": .number(100)], deviceID: "p", in: store).get()
            #expect(try store.powerLimitFraction(deviceID: "p") == 1)
        }
    }

    /// Without a stored limit the pack counts as 100 %: any at-most value from 0 to 100 becomes the limit.
    @Test(arguments: [(70.0, "70", 0.7), (0, "0", 0), (100, "100", 1)])
    func atMostWithoutAStoredLimitSetsIt(percent: Double, stored: String, fraction: Double) throws {
        try Self.withStore { store, path throws in
            let result = RuntimeParameter.update(["power_limit_at_most_percent": .number(percent)], deviceID: "p", in: store)
            #expect(try result.get() == "power_limit_percent = \(stored) (power_limit_at_most_percent \(stored))")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == stored)
            #expect(try CommandStore(path: path).powerLimitFraction(deviceID: "p") == fraction)
            // Per pack: another pack keeps no limit.
            #expect(try store.powerLimitFraction(deviceID: "q") == nil)
        }
    }

    @Test(arguments: [
        JSONValue.number(-0.001), .number(100.001), .number(150), .number(.infinity), .number(.nan), .string("50"), .bool(true), .null,
    ])
    func atMostOutOfRangeIsRefusedAndNothingSaved(value: JSONValue) throws {
        try Self.withStore { store, _ throws in
            // Nothing stored: still nothing.
            let first = try #require(Self.refusal(RuntimeParameter.update(["power_limit_at_most_percent": value], deviceID: "p", in: store)))
            #expect(first.contains("power_limit_at_most_percent must be a number from 0 to 100"), "\(first)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == nil)
            // A stored limit stays as it was.
            _ = try RuntimeParameter.update(["power_limit_percent": .number(40)], deviceID: "p", in: store).get()
            let second = try #require(
                Self.refusal(
                    RuntimeParameter.update(["power_limit_at_most_percent": value, "maintenance_mode": true], deviceID: "p", in: store)))
            #expect(second.contains("power_limit_at_most_percent must be a number from 0 to 100"), "\(second)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "40")
            #expect(try store.parameter("maintenance_mode", deviceID: "p") == nil)
        }
    }

    /// Both in one command: both checked, the absolute value applied first, then lowered by the at-most value.
    @Test func absoluteThenAtMostInOneCommand() throws {
        try Self.withStore { store, _ throws in
            _ = try RuntimeParameter.update(["power_limit_percent": .number(20)], deviceID: "p", in: store).get()
            // The absolute 90 replaces the stored 20, then at most 50 lowers it.
            let lowered = RuntimeParameter.update(
                ["power_limit_percent": .number(90), "power_limit_at_most_percent": .number(50)], deviceID: "p", in: store)
            #expect(try lowered.get() == "power_limit_percent = 50 (power_limit_at_most_percent 50)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "50")
            // The absolute 30 is below the at-most 50: 30 (the absolute value may raise a stored 20, not at-most).
            _ = try RuntimeParameter.update(["power_limit_percent": .number(20)], deviceID: "p", in: store).get()
            let kept = RuntimeParameter.update(
                ["power_limit_percent": .number(30), "power_limit_at_most_percent": .number(50), "maintenance_mode": true],
                deviceID: "p", in: store)
            #expect(try kept.get() == "maintenance_mode = true, power_limit_percent = 30 (power_limit_at_most_percent 50 does not raise it)")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "30")
            #expect(try store.maintenanceMode(deviceID: "p"))
            // One of the two out of range: neither is saved.
            let refused = RuntimeParameter.update(
                ["power_limit_percent": .number(10), "power_limit_at_most_percent": .number(101)], deviceID: "p", in: store)
            #expect(Self.refusal(refused) == "power_limit_at_most_percent must be a number from 0 to 100, not 101")
            let refusedToo = RuntimeParameter.update(
                ["power_limit_percent": .number(-1), "power_limit_at_most_percent": .number(10)], deviceID: "p", in: store)
            #expect(Self.refusal(refusedToo) == "power_limit_percent must be a number from 0 to 100, not -1")
            #expect(try store.parameter("power_limit_percent", deviceID: "p") == "30")
        }
    }

    /// The resolution itself, against what a pack has stored (including text edited by hand, which counts as 0 %).
    @Test(arguments: [
        ("80", "50", "50"), ("50", "80", "50"), ("50", "50", "50"), ("0", "100", "0"), ("100", "0", "0"),
        ("fifty", "70", "0"), ("150", "70", "0"),
    ])
    func atMostAgainstAStoredLimit(stored: String, atMost: String, result: String) {
        let values = RuntimeParameter.values(for: [.powerLimitAtMostPercent: atMost], stored: ["power_limit_percent": stored])
        #expect(values.map { $0.name } == ["power_limit_percent"])
        #expect(values.map { $0.value } == [result])
    }

    // MARK: - maintenance_mode

    @Test func maintenanceModeReadsBack() throws {
        try Self.withStore { store, path throws in
            #expect(try store.maintenanceMode(deviceID: "p") == false)
            _ = try RuntimeParameter.update(["maintenance_mode": true], deviceID: "p", in: store).get()
            #expect(try store.maintenanceMode(deviceID: "p"))
            #expect(try CommandStore(path: path).maintenanceMode(deviceID: "p"))
            #expect(try store.maintenanceMode(deviceID: "q") == false)
            _ = try RuntimeParameter.update(["maintenance_mode": false], deviceID: "p", in: store).get()
            #expect(try store.maintenanceMode(deviceID: "p") == false)
            // Text edited by hand counts as maintenance, never as none.
            try store.setParameters([(name: "maintenance_mode", value: "yes")], deviceID: "p")
            #expect(try store.maintenanceMode(deviceID: "p"))
        }
    }

    /// A value that is not a percentage in range (a store edited by hand) counts as 0 %, never as no limit.
    @Test(arguments: ["", "fifty", "nan", "inf", "150", "-5"])
    func unreadableStoredLimitMeansNoPower(text: String) {
        #expect(RuntimeParameter.powerLimitFraction(storedText: text) == 0)
    }

    /// The limit as stored binds a discharge setpoint at 50 % of the pack's rated 10 kW.
    @Test func storedLimitBindsTheSetpoint() throws {
        try Self.withStore { store, _ throws in
            _ = try RuntimeParameter.update(["power_limit_percent": .number(50)], deviceID: "p", in: store).get()
            let time = Timestamp(millisecondsSinceEpoch: 0)
            let snapshot = PackSnapshot(
                deviceID: "p", takenAt: time, voltage: Measured(50, at: time), current: Measured(0, at: time),
                temperature: Measured(25, at: time), cellVoltages: [Measured(3.3, at: time), Measured(3.3, at: time)])
            // LFP 280 Ah: 280 A of discharge at 50 V, 14 kW, above the 10 kW nameplate.
            var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 280))
            var verdict = monitor.evaluate(SafetyInput(snapshot))
            for _ in 0..<3 { verdict = monitor.evaluate(SafetyInput(snapshot)) }
            let specifications = DeviceSpecifications(
                nominalCapacityAmpHours: 280, nominalVoltageVolts: 51.2, maxChargePowerWatts: 7000, maxDischargePowerWatts: 10_000,
                seriesCells: 16, parallelCells: 1)
            let fraction = try store.powerLimitFraction(deviceID: "p")
            let limited = SetpointClamp.clamp(
                requestedWatts: 8000, snapshot: snapshot, verdict: verdict, specifications: specifications, powerLimitFraction: fraction)
            #expect(limited.watts == 5000)
            #expect(limited.constraints == ["power_limit"])
            let below = SetpointClamp.clamp(
                requestedWatts: 4000, snapshot: snapshot, verdict: verdict, specifications: specifications, powerLimitFraction: fraction)
            #expect(below.watts == 4000)
            #expect(below.constraints.isEmpty)
        }
    }
}
