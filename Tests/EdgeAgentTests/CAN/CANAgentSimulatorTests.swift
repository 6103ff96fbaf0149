import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// The agent's CAN path against `pulsebms-sim`: a CAN-bus BMS pack behind an slcan adapter emulated on a real
/// pseudo-terminal pair, read through the same poller, safety monitor and actions as a Modbus pack.
@Suite("Agent against a simulated CAN pack", .serialized)
struct CANAgentSimulatorTests {
    static let root = AgentSimulatorTests.root
    static let commands: [LocalCommand: String] = [
        .openContactors: "380#01", .stopPower: "380#02", .resetAlarms: "380#03", .start: "380#04",
    ]

    /// A CAN pack spec on unit `unit` whose adapter is linked at `directory/pack<unit>.tty`.
    static func canPack(unit: Int, in directory: TemporaryDirectory, soc: Int = 70) -> (spec: String, tty: String, log: String) {
        let tty = directory.file("pack\(unit).tty").path
        let log = directory.file("pack\(unit).log").path
        return ("unit=\(unit),chemistry=NMC,cells=14,capacity=56,soc=\(soc),slcan=\(tty),candump=\(log)", tty, log)
    }

    static func source(deviceID: String, bus: CANBus, keepalive: Bool = true) throws -> CANPackSource {
        var frames: [LocalCommand: CANFrame] = [:]
        for (command, text) in commands { frames[command] = try CANCommandFrame.parse(text) }
        if keepalive { bus.sendPeriodically(CANBusBMSEncoder.keepAliveFrame(), every: .milliseconds(200)) }
        return CANPackSource(deviceID: deviceID, bus: bus, decoder: .canbusBMS(CANBusBMSAccumulator()), commands: frames)
    }

    /// A bus on the simulator's adapter link. Stop it before the simulator: a bus left running retries the link,
    /// and reaches whatever pseudo-terminal gets the simulator's freed one next (another test's adapter).
    static func slcanBus(_ tty: String) -> CANBus {
        CANBus(id: "can", reopenDelay: .milliseconds(100)) { () throws(CANBusError) -> any CANChannel in
            try SlcanChannel(device: tty, bitrate: 500_000, serialBaud: 115_200, setupTimeoutMilliseconds: 10_000)
        }
    }

    @Test func canPackIsReadOverSlcanWithKeepAlives() async throws {
        let directory = try TemporaryDirectory("can")
        defer { directory.remove() }
        let pack = Self.canPack(unit: 4, in: directory)
        let simulator = try await SimulatorProcess.start(packs: [pack.spec], packageRoot: Self.root)
        let bus = Self.slcanBus(pack.tty)
        defer { bus.stop() }
        let source = try Self.source(deviceID: "pack_4", bus: bus)
        bus.start()

        var snapshot: PackSnapshot?
        try await eventuallyAsync("a snapshot with every frame", seconds: 10) {
            guard let read = try? await source.read(at: Timestamp(Date()), previous: nil) else { return false }
            snapshot = read
            return read.soc != nil && read.voltage != nil && SafetyInput(read)[.maxCellVoltage] != nil
        }
        let reading = try #require(snapshot)
        let status = try simulator.status(unit: 4)
        #expect(reading.soc?.value == 70)
        #expect(reading.soh?.value == 100)
        #expect(abs((reading.temperature?.value ?? 0) - ((status["temperature"] as? Double) ?? 25)) < 1)
        #expect(reading.current?.value == 0)
        let input = SafetyInput(reading)
        let highest = try #require(input[.maxCellVoltage]?.value)
        let lowest = try #require(input[.minCellVoltage]?.value)
        #expect((3.5...4.2).contains(lowest) && lowest <= highest)
        #expect(abs((reading.voltage?.value ?? 0) - 14 * (lowest + highest) / 2) < 0.2)
        #expect(bus.counters.framesReceived > 0)
        #expect(bus.counters.malformed == 0)

        // The agent's keep-alives reach the pack, and its frames are logged in candump format both ways.
        try await eventually("keep-alives in the simulator's candump log", seconds: 5) {
            let log = (try? String(contentsOfFile: pack.log, encoding: .utf8)) ?? ""
            return log.contains(" 305#0000000000000000 R")
        }
        let logged = try String(contentsOfFile: pack.log, encoding: .utf8)
        var reader = CandumpReader()
        let records = reader.read(text: logged)
        #expect(reader.malformedCount == 0)
        #expect(records.contains { $0.frame.id == 0x356 && $0.direction == .transmitted })
        bus.stop()  // before the simulator: see `slcanBus`
        await simulator.stop()
        // Like an unplugged adapter's device node, the link goes with the simulator: it never names a freed
        // pseudo-terminal that another program gets next.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: pack.tty)) == nil)
    }

    /// A pack that falls silent: its values go stale (never zero) and the poll fails until frames return.
    @Test func silentPackGoesStaleNotZero() async throws {
        let directory = try TemporaryDirectory("can")
        defer { directory.remove() }
        let pack = Self.canPack(unit: 4, in: directory)
        let simulator = try await SimulatorProcess.start(packs: [pack.spec], packageRoot: Self.root)
        let bus = Self.slcanBus(pack.tty)
        defer { bus.stop() }
        let source = CANPackSource(
            deviceID: "pack_4", bus: bus, decoder: .canbusBMS(CANBusBMSAccumulator(staleAfter: .milliseconds(500))), commands: [:])
        bus.start()
        let limits = try SafetyLimits.resolve(chemistry: .nmc, nominalCapacityAmpHours: 56).get()
        let poller = DevicePoller(
            deviceID: "pack_4", source: source, limits: limits, policy: .standard, interval: .milliseconds(100),
            clock: ContinuousClock(), now: { Timestamp(Date()) }, actionLog: ActionLog(path: nil))
        var lastFresh: Timestamp?
        try await eventuallyAsync("a fresh poll", seconds: 10) { await poller.pollOnce(lastFreshRead: &lastFresh).fresh }
        _ = try simulator.control("fault 4 silent")
        var stale: PollUpdate?
        try await eventuallyAsync("a failed poll", seconds: 10) {
            stale = await poller.pollOnce(lastFreshRead: &lastFresh)
            return stale?.fresh == false
        }
        let update = try #require(stale)
        #expect(update.snapshot.voltage?.isStale == true)
        #expect(update.snapshot.soc?.value == 70)  // kept, marked stale
        #expect(poller.counters.otherFailures >= 1)
        _ = try simulator.control("clear 4")
        try await eventuallyAsync("fresh again", seconds: 10) { await poller.pollOnce(lastFreshRead: &lastFresh).fresh }
        bus.stop()
        await simulator.stop()
    }

    /// The same over-temperature injected into a Modbus pack and a CAN pack of the same chemistry trips the same
    /// rule to the same level, and both packs have their contactors opened locally, recorded in the action log.
    @Test func overTemperatureTripsTheSameSafetyPathAsModbus() async throws {
        let directory = try TemporaryDirectory("can")
        defer { directory.remove() }
        let pack = Self.canPack(unit: 4, in: directory)
        let simulator = try await SimulatorProcess.start(
            packs: [AgentSimulatorTests.nmc, pack.spec], tickMilliseconds: 50, packageRoot: Self.root)
        let canBus = Self.slcanBus(pack.tty)
        let modbus = ModbusBus(id: "sim", endpoint: .tcp(host: "127.0.0.1", port: simulator.port), responseTimeout: .milliseconds(300))
        defer {
            canBus.stop()
            modbus.stop()
        }
        let limits = try SafetyLimits.resolve(chemistry: .nmc, nominalCapacityAmpHours: 56).get()
        let log = ActionLog(path: nil)
        func poller(_ id: String, _ source: any PackSource) -> DevicePoller<ContinuousClock> {
            DevicePoller(
                deviceID: id, source: source, limits: limits, policy: .standard, interval: .milliseconds(100),
                clock: ContinuousClock(), now: { Timestamp(Date()) }, actionLog: log)
        }
        let modbusPoller = poller("pack_2", SunSpecPackSource(deviceID: "pack_2", unitID: 2, bus: modbus))
        let canPoller = poller("pack_4", try Self.source(deviceID: "pack_4", bus: canBus))
        canBus.start()
        var lastFresh: Timestamp?
        try await eventuallyAsync("the CAN pack answers", seconds: 10) { await canPoller.pollOnce(lastFreshRead: &lastFresh).fresh }
        // Both pollers run, and watch, before the fault starts: each sees the whole escalation.
        @Sendable func escalation(of poller: DevicePoller<ContinuousClock>) async -> [String]? {
            let stream = poller.updates
            var levels: [String] = []
            for await update in stream {
                for transition in update.verdict.transitions where transition.code == "TEMP_001" {
                    levels.append(transition.to?.rawValue ?? "cleared")
                }
                if update.verdict.alarms.contains(where: { $0.code == "TEMP_001" && $0.severity == .critical }) {
                    return levels
                }
            }
            return nil
        }
        let tasks = [Task { await modbusPoller.run() }, Task { await canPoller.run() }]
        async let modbusLevels = withTimeout(.seconds(40)) { await escalation(of: modbusPoller) }
        async let canLevels = withTimeout(.seconds(40)) { await escalation(of: canPoller) }
        // 5 K/s: each level (45, 55, 65 °C) is 2 s wide against a 0.3 s debounce, so only a pause of the
        // pollers longer than 1.7 s could skip one (then warning and alarm would arrive in one transition).
        _ = try simulator.control("fault 2 over_temperature 5")
        _ = try simulator.control("fault 4 over_temperature 5")
        let outcomes = ["pack_2": try await modbusLevels, "pack_4": try await canLevels]
        for task in tasks { task.cancel() }
        #expect(outcomes["pack_2"] == ["warning", "alarm", "critical"])
        #expect(outcomes["pack_4"] == outcomes["pack_2"])
        for (unit, device) in [(2, "pack_2"), (4, "pack_4")] {
            #expect(try simulator.status(unit: unit)["contactors_closed"] as? Bool == false, "unit \(unit)")
            #expect(log.recorded.contains {
                $0.deviceID == device && $0.command == "open_contactors" && $0.result == "ok" && $0.reasons.contains("TEMP_001")
            })
        }
        canBus.stop()
        await simulator.stop()
    }
}

