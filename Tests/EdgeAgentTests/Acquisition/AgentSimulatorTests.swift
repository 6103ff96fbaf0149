import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// The agent's acquisition and local protection against `pulsebms-sim` over real Modbus TCP.
@Suite("Agent against the simulator", .serialized)
struct AgentSimulatorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let lfp = "unit=1,chemistry=LFP,cells=16,capacity=280,soc=60"
    static let nmc = "unit=2,chemistry=NMC,cells=14,capacity=56,soc=70"
    static let mapPath = root.appendingPathComponent("Sources/EdgeAgent/RegisterMaps/generic-lfp-16s.yaml").path
    static let mapped = "unit=3,chemistry=LFP,cells=16,capacity=100,soc=45,map=\(mapPath)"

    private func poller(
        _ simulator: SimulatorProcess, unit: Int, chemistry: Chemistry, capacity: Double, bus: ModbusBus,
        interval: Duration = .milliseconds(100), log: ActionLog = ActionLog(path: nil)
    ) throws -> DevicePoller<ContinuousClock> {
        let limits = try SafetyLimits.resolve(chemistry: chemistry, nominalCapacityAmpHours: capacity).get()
        return DevicePoller(
            deviceID: "pack_\(unit)", source: SunSpecPackSource(deviceID: "pack_\(unit)", unitID: unit, bus: bus),
            limits: limits, policy: .standard, interval: interval, clock: ContinuousClock(), now: { Timestamp(Date()) },
            actionLog: log)
    }

    private func bus(_ simulator: SimulatorProcess, timeout: Duration = .seconds(2)) -> ModbusBus {
        ModbusBus(id: "sim", endpoint: .tcp(host: "127.0.0.1", port: simulator.port), responseTimeout: timeout)
    }

    @Test func snapshotsMatchTheSimulatedPacks() async throws {
        let simulator = try await SimulatorProcess.start(packs: [Self.lfp, Self.nmc], packageRoot: Self.root)
        let bus = bus(simulator)
        defer { bus.stop() }
        var lastFresh: Timestamp?
        for (unit, chemistry, capacity, cells, soc) in [(1, Chemistry.lfp, 280.0, 16, 60.0), (2, .nmc, 56, 14, 70)] {
            let poller = try poller(simulator, unit: unit, chemistry: chemistry, capacity: capacity, bus: bus)
            let update = await poller.pollOnce(lastFreshRead: &lastFresh)
            #expect(update.fresh)
            let snapshot = update.snapshot
            #expect(snapshot.cellVoltages.count == cells)
            #expect(snapshot.cellVoltages.allSatisfy { !$0.isStale })
            #expect(snapshot.soc?.value == soc)
            let cellSum = snapshot.cellVoltages.map(\.value).reduce(0, +)
            #expect(abs((snapshot.voltage?.value ?? 0) - cellSum) < 0.05 * cellSum)
            #expect(abs((snapshot.temperature?.value ?? 0) - 25.5) < 1.5)
            #expect(snapshot.current?.value == 0)
            #expect(snapshot.operationalState?.value == .idle)
            #expect(update.verdict.alarms.isEmpty)
            #expect(poller.counters.successes == 1)
        }
        await simulator.stop()
    }

    /// The register-map pack: the shipped generic map read against the simulator, and a configured write.
    @Test func registerMapPackReadsAndActs() async throws {
        let simulator = try await SimulatorProcess.start(packs: [Self.lfp, Self.nmc, Self.mapped], packageRoot: Self.root)
        let bus = bus(simulator)
        defer { bus.stop() }
        let source = RegisterMapPackSource(
            deviceID: "pack_3", unitID: 3, map: try RegisterMapLoader.load(path: Self.mapPath), bus: bus)
        let snapshot = try await source.read(at: Timestamp(millisecondsSinceEpoch: 0), previous: nil)
        #expect(snapshot.soc?.value == 45)
        #expect(snapshot.cellVoltages.count == 16)
        #expect(snapshot.cellVoltages.allSatisfy { !$0.isStale && (3.0...3.5).contains($0.value) })
        #expect(snapshot.cellTemperatures.count == 4)
        #expect(abs((snapshot.temperature?.value ?? 0) - 25) < 0.11)
        let cellSum = snapshot.cellVoltages.map(\.value).reduce(0, +)
        #expect(abs((snapshot.voltage?.value ?? 0) - cellSum) < 0.05 * cellSum)

        try await source.perform(.openContactors)
        #expect(try simulator.status(unit: 3)["contactors_closed"] as? Bool == false)
        try await source.perform(.resetAlarms)
        #expect(try simulator.status(unit: 3)["alarm_resets"] as? Int == 1)
        await simulator.stop()
    }

    /// An over-voltage on one cell trips the voltage rule with that cell's number and opens the contactors.
    @Test func cellOverVoltageNamesTheCellAndOpensContactors() async throws {
        let simulator = try await SimulatorProcess.start(packs: [Self.lfp], packageRoot: Self.root)
        let bus = bus(simulator)
        defer { bus.stop() }
        let poller = try poller(simulator, unit: 1, chemistry: .lfp, capacity: 280, bus: bus)
        var lastFresh: Timestamp?
        #expect(await poller.pollOnce(lastFreshRead: &lastFresh).verdict.alarms.isEmpty)
        _ = try simulator.control("fault 1 cell_over_voltage 5 0.45")
        var update = await poller.pollOnce(lastFreshRead: &lastFresh)
        #expect(update.verdict.alarms.isEmpty)  // debounce: one sample is not enough
        update = await poller.pollOnce(lastFreshRead: &lastFresh)
        let alarm = try #require(update.verdict.alarms.first { $0.code == "VOLT_001" })
        #expect(alarm.severity == .critical)
        #expect(alarm.data["cell_number"] == 5)
        #expect(try simulator.status(unit: 1)["contactors_closed"] as? Bool == false)
        await simulator.stop()
    }

    /// Modbus exceptions and a dropped sensor are counted and marked, never a crash or a fresh-looking value.
    @Test func exceptionsAreCountedAndDroppedSensorsGoStale() async throws {
        let simulator = try await SimulatorProcess.start(packs: [Self.lfp], packageRoot: Self.root)
        let bus = bus(simulator)
        defer { bus.stop() }
        let poller = try poller(simulator, unit: 1, chemistry: .lfp, capacity: 280, bus: bus)
        var lastFresh: Timestamp?
        #expect(await poller.pollOnce(lastFreshRead: &lastFresh).fresh)
        _ = try simulator.control("fault 1 sensor_dropout 3")
        let dropped = await poller.pollOnce(lastFreshRead: &lastFresh)
        #expect(dropped.fresh)
        #expect(dropped.snapshot.cellTemperatures[2].isStale)
        #expect(dropped.snapshot.cellTemperatures.filter(\.isStale).count == 1)
        _ = try simulator.control("fault 1 exception 4")
        let failed = await poller.pollOnce(lastFreshRead: &lastFresh)
        #expect(!failed.fresh)
        #expect(failed.snapshot.voltage?.isStale == true)
        #expect(poller.counters.exceptions == 1)
        #expect(poller.counters.successes == 2)
        _ = try simulator.control("clear 1")
        #expect(await poller.pollOnce(lastFreshRead: &lastFresh).fresh)
        await simulator.stop()
    }

    /// Warning, alarm and critical each trip at the first sample whose debounce window is all beyond the
    /// level; critical opens the contactors in the simulator; the latch holds until a reset after cooling.
    @Test func overTemperatureEscalatesOpensContactorsAndLatches() async throws {
        let simulator = try await SimulatorProcess.start(packs: [Self.nmc], tickMilliseconds: 50, packageRoot: Self.root)
        let bus = bus(simulator)
        defer { bus.stop() }
        let log = ActionLog(path: nil)
        let poller = try poller(simulator, unit: 2, chemistry: .nmc, capacity: 56, bus: bus, log: log)
        let rule = try #require(SafetyRule.standardRules(limits: poller.limits).first { $0.code == "TEMP_001" })
        _ = try simulator.control("fault 2 over_temperature 15")

        let polling = Task { await poller.run() }
        var updates: [PollUpdate] = []
        let reachedCritical = try await withTimeout(.seconds(20)) {
            var collected: [PollUpdate] = []
            for await update in poller.updates {
                collected.append(update)
                if update.verdict.alarms.contains(where: { $0.code == "TEMP_001" && $0.severity == .critical }) { return collected }
            }
            return nil
        }
        updates = try #require(reachedCritical)

        // Check the trip sample of every level against the temperatures the agent saw.
        let temperatures = updates.map { SafetyInput($0.snapshot)[.maxTemperature]?.value ?? -.infinity }
        for severity in [Severity.warning, .alarm, .critical] {
            let threshold = try #require(rule.limit.threshold(severity))
            let due = try #require(temperatures.indices.first { index in
                index + 1 >= rule.debounceSamples
                    && temperatures[(index + 1 - rule.debounceSamples)...index].allSatisfy { $0 > threshold }
            })
            let level = updates[due].verdict.alarms.first { $0.code == "TEMP_001" }?.severity
            #expect(level.map { $0 >= severity } == true, "\(severity) due at sample \(due)")
            if due > 0 {
                let before = updates[due - 1].verdict.alarms.first { $0.code == "TEMP_001" }?.severity
                #expect(before.map { $0 < severity } ?? true, "\(severity) tripped early")
            }
        }
        // The contactors were opened in the pack, locally, and recorded.
        let status = try simulator.status(unit: 2)
        #expect(status["contactors_closed"] as? Bool == false)
        #expect(log.recorded.contains { $0.command == "open_contactors" && $0.result == "ok" && $0.reasons.contains("TEMP_001") })

        // Cool the pack: the latch holds until a reset, and the reset only works once the cause is gone.
        _ = try simulator.control("clear 2")
        _ = try simulator.control("temperature 2 25")
        let cooled = try await withTimeout(.seconds(10)) {
            var clearSamples = 0
            for await update in poller.updates {
                let temperature = SafetyInput(update.snapshot)[.maxTemperature]?.value ?? 99
                clearSamples = temperature < 40 ? clearSamples + 1 : 0
                if clearSamples >= rule.debounceSamples + 1 { return update }
            }
            return nil
        }
        let latched = try #require(cooled)
        #expect(latched.verdict.alarms.first { $0.code == "TEMP_001" }?.severity == .critical)
        #expect(latched.verdict.latchedRuleIDs.contains("SAF-OT-01"))

        let outcome = await poller.reset()
        let resetDone = Timestamp(Date())
        #expect(outcome.released.contains("SAF-OT-01"))
        #expect(outcome.stillLatched.isEmpty)
        // The stream keeps updates the test has not read yet, taken while the latch held: judge the first
        // poll that started after the reset.
        let released = try await withTimeout(.seconds(5)) {
            for await update in poller.updates where update.snapshot.takenAt > resetDone { return update }
            return nil
        }
        #expect(try #require(released).verdict.alarms.isEmpty)
        #expect(try #require(released).verdict.latchedRuleIDs.isEmpty)
        #expect(try simulator.status(unit: 2)["alarm_resets"] as? Int == 1)
        polling.cancel()
        await simulator.stop()
    }

    /// A unit that stops answering on a shared line costs its neighbour less than 10 % of its poll rate.
    @Test func deadUnitOnASharedBusLeavesItsNeighboursRate() async throws {
        let simulator = try await SimulatorProcess.start(
            packs: [Self.lfp, "unit=2,chemistry=LFP,cells=16,capacity=280,soc=60"], packageRoot: Self.root)
        let bus = bus(simulator, timeout: .milliseconds(200))
        defer { bus.stop() }
        let neighbour = try poller(simulator, unit: 1, chemistry: .lfp, capacity: 280, bus: bus)
        let dead = try poller(simulator, unit: 2, chemistry: .lfp, capacity: 280, bus: bus)
        _ = try simulator.control("fault 2 silent")
        let tasks = [Task { await neighbour.run() }, Task { await dead.run() }]
        // Polls are counted by when they started (their sample time), not by when the test reads them: a
        // late reader would otherwise count a backlog inside its window, or miss one at its end. The first
        // half second (the dead unit's first timeouts, the tasks starting) is left out.
        let windowMilliseconds: Int64 = 4_000
        let countFrom = Timestamp(Date()).adding(milliseconds: 500)
        let freshPolls = try await withTimeout(.seconds(15)) {
            var count = 0
            var start: Int64?
            for await update in neighbour.updates where update.fresh && update.snapshot.takenAt >= countFrom {
                let taken = update.snapshot.takenAt.millisecondsSinceEpoch
                if start == nil { start = taken }
                if let start, taken - start >= windowMilliseconds { return count }
                count += 1
            }
            return nil
        }
        for task in tasks { task.cancel() }
        let polls = try #require(freshPolls)
        let expected = 40  // 4 s at 100 ms
        #expect(abs(polls - expected) <= expected / 10, "\(polls) polls in 4 s")
        #expect(dead.counters.timeouts >= 2)
        #expect(dead.counters.successes == 0)
        #expect(neighbour.counters.timeouts == 0)
        await simulator.stop()
    }
}
