import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// `update_parameters`: every value checked before any is saved, kept per pack across a restart, and the
/// power limit read back as the fraction `SetpointClamp` binds every setpoint to.
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
            #expect(reasons.contains("not a runtime parameter: cell_voltage_max (allowed: maintenance_mode, power_limit_percent)"))
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
