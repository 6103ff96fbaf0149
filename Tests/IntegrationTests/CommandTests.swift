import BMSCore
import Foundation
import PulseMQTT
import Synchronization
import Testing
import TestSupport

/// Cloud commands through the real broker to the real agent and the simulated packs, every lifecycle step
/// read back from `…/responses`.
@Suite("Commands end to end", .serialized)
struct CommandTests {
    static let root = StoreAndForwardTests.root

    @Test func everyCommandTypeMalformedDuplicateTimeoutAndRefusal() async throws {
        try await MosquittoBroker.withRunning { broker in
            let simulator = try await SimulatorProcess.start(
                packs: ["unit=1,chemistry=LFP,cells=16,capacity=280,soc=60", "unit=4,chemistry=LFP,cells=16,capacity=100,soc=50"],
                packageRoot: Self.root)
            let directory = try TemporaryDirectory("agent")
            defer { directory.remove() }
            let config = directory.file("agent.yaml")
            try """
                site_id: site_cmd
                mqtt: { host: 127.0.0.1, port: \(broker.port), client_id: agent-cmd }
                buses:
                  - { id: sim, modbus_tcp: { host: 127.0.0.1, port: \(simulator.port) }, response_timeout_ms: 300 }
                  - { id: slow, modbus_tcp: { host: 127.0.0.1, port: \(simulator.port) }, response_timeout_ms: 3000 }
                devices:
                  - { device_id: pack_a, name: A, chemistry: LFP, bus: sim, unit_id: 1, profile: sunspec, poll_interval_ms: 100,
                      specifications: { nominal_capacity: 280, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
                  - { device_id: pack_slow, name: Slow, chemistry: LFP, bus: slow, unit_id: 4, profile: sunspec, poll_interval_ms: 100,
                      specifications: { nominal_capacity: 100, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
                """.write(to: config, atomically: true, encoding: .utf8)
            let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)

            let responses = Responses()
            let cloud = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "cloud-\(UUID().uuidString.prefix(6))"))
            cloud.start()
            try await cloud.waitUntilConnected()
            try await cloud.subscribe(TopicFilter.devices(.responses).rawValue)
            try await cloud.subscribe(TopicFilter.devices(.status).rawValue)
            try await cloud.subscribe(TopicFilter.devices(.telemetry).rawValue)
            let collecting = Task { for await message in cloud.messages { responses.add(message) } }
            // The agent is ready once it has announced itself and published a reading of each pack.
            try await responses.waitFor(seconds: 20) { $0.statusCount >= 2 && $0.telemetryDevices.isSuperset(of: ["pack_a", "pack_slow"]) }

            func send(_ device: String, _ payload: String) async throws {
                try await cloud.publish("pulsebms/site_cmd/\(device)/commands", payload: Array(payload.utf8), qos: .atLeastOnce)
            }
            func command(
                _ id: String, _ type: String, timeout: Int = 10, parameters: String = "{}", constraints: String = "{}",
                sent: Timestamp = Timestamp(Date())
            ) -> String {
                """
                {"schema_version":"1.0","command_id":"\(id)","timestamp":"\(sent.rfc3339)","source":"test",
                 "command":{"type":"\(type)","priority":"normal","timeout_seconds":\(timeout),"parameters":\(parameters)},
                 "safety_checks":{"required":true,"constraints":\(constraints)}}
                """
            }

            // Malformed JSON and an unknown type: a failed response that says why.
            try await send("pack_a", "{not json")
            try await send("pack_a", command("cmd_bad_type", "self_destruct"))
            try await responses.waitFor(seconds: 10) { $0.final("unknown") == .failed && $0.final("cmd_bad_type") == .failed }
            #expect(responses.last("cmd_bad_type")?.errors?.first?.field == "command.type")

            // A command delivered after its timeout (held by the broker while the agent was away) is not run;
            // one inside its timeout is.
            let stale = Timestamp(Date()).adding(milliseconds: -11_000)
            try await send("pack_a", command("cmd_expired", "request_status", timeout: 10, sent: stale))
            try await send("pack_a", command("cmd_in_time", "request_status", timeout: 60, sent: stale))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_expired") == .timeout && $0.final("cmd_in_time") == .completed }
            #expect(responses.last("cmd_expired")?.message.contains("expired") == true)

            // Emergency shutdown opens the contactors in the pack.
            try await send("pack_a", command("cmd_estop", "emergency_shutdown"))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_estop") == .completed }
            #expect(responses.statuses("cmd_estop") == [.acknowledged, .executing, .completed])
            #expect(try simulator.status(unit: 1)["contactors_closed"] as? Bool == false)

            // Refused by the command's own constraint (LFP cells sit near 3.3 V).
            try await send("pack_a", command("cmd_refused", "start_charge", constraints: #"{"max_cell_voltage":3.0}"#))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_refused") == .failed }
            #expect(responses.last("cmd_refused")?.message.contains("max") == true || responses.last("cmd_refused")?.message.contains("constraint") == true)
            #expect(try simulator.status(unit: 1)["contactors_closed"] as? Bool == false)

            // Start charge: connects and starts the pack.
            try await send("pack_a", command("cmd_start", "start_charge", constraints: #"{"max_cell_voltage":3.6}"#))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_start") == .completed }
            #expect(try simulator.status(unit: 1)["contactors_closed"] as? Bool == true)

            // Stop discharge, start discharge, request status, stop charge.
            for (id, type) in [("cmd_stop_d", "stop_discharge"), ("cmd_start_d", "start_discharge"), ("cmd_status", "request_status"), ("cmd_stop_c", "stop_charge")] {
                try await send("pack_a", command(id, type))
                try await responses.waitFor(seconds: 10) { $0.final(id) == .completed }
            }
            #expect(try simulator.status(unit: 1)["inverter_started"] as? Bool == false)

            // Maintenance mode through update_parameters: starts are refused until it is lifted.
            try await send("pack_a", command("cmd_maint_on", "update_parameters", parameters: #"{"maintenance_mode":true}"#))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_maint_on") == .completed }
            try await send("pack_a", command("cmd_in_maint", "start_charge"))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_in_maint") == .failed }
            #expect(responses.last("cmd_in_maint")?.message.contains("maintenance") == true)
            try await send("pack_a", command("cmd_bad_param", "update_parameters", parameters: #"{"cell_voltage_max":5}"#))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_bad_param") == .failed }
            try await send("pack_a", command("cmd_maint_off", "update_parameters", parameters: #"{"maintenance_mode":false}"#))
            try await responses.waitFor(seconds: 10) { $0.final("cmd_maint_off") == .completed }

            // A duplicate command_id is answered again, not executed again: the pack stays stopped.
            let before = responses.statuses("cmd_start").count
            try await send("pack_a", command("cmd_start", "start_charge"))
            try await responses.waitFor(seconds: 10) { $0.statuses("cmd_start").count > before }
            #expect(responses.statuses("cmd_start").last == .completed)
            #expect(try simulator.status(unit: 1)["inverter_started"] as? Bool == false)

            // A pack that stops answering: the command times out.
            _ = try simulator.control("fault 4 silent")
            try await send("pack_slow", command("cmd_slow", "stop_charge", timeout: 1))
            try await responses.waitFor(seconds: 15) { $0.final("cmd_slow") == .timeout }

            collecting.cancel()
            await cloud.stop()
            await agent.terminate()
            await simulator.stop()
        }
    }

    /// SAF-OPL-01 and SAF-MNT-01 end to end: `power_limit_percent` holds the next allocation share to that share
    /// of the pack's rated discharge power, also after the agent restarts, until 100 lifts it. A change binds
    /// the allocation already in force: "Reduce Power" (`power_limit_at_most_percent`) re-clamps it at once and
    /// never raises a stricter limit; maintenance takes it to 0 W and back. (A `start_discharge` sets no power —
    /// its `target_power` is not applied — so allocations are the setpoints the limit binds.)
    @Test func powerLimitBindsAllocations() async throws {
        try await MosquittoBroker.withRunning { broker in
            let simulator = try await SimulatorProcess.start(
                packs: ["unit=1,chemistry=LFP,cells=16,capacity=280,soc=60"], packageRoot: Self.root)
            let directory = try TemporaryDirectory("agent")
            defer { directory.remove() }
            let config = directory.file("agent.yaml")
            // Rated 10 kW of discharge; the local 1 C limit (280 A, about 14.7 kW) is above it.
            try """
                site_id: site_plim
                mqtt: { host: 127.0.0.1, port: \(broker.port), client_id: agent-plim }
                buses:
                  - { id: sim, modbus_tcp: { host: 127.0.0.1, port: \(simulator.port) }, response_timeout_ms: 300 }
                devices:
                  - { device_id: pack_a, name: A, chemistry: LFP, bus: sim, unit_id: 1, profile: sunspec, poll_interval_ms: 100,
                      specifications: { nominal_capacity: 280, nominal_voltage: 51.2, max_charge_power: 7000,
                                        max_discharge_power: 10000, series_cells: 16, parallel_cells: 1 } }
                """.write(to: config, atomically: true, encoding: .utf8)
            var agent = try StoreAndForwardTests.startAgent(config: config, in: directory)

            let responses = Responses()
            let coordinator = CoordinatorStatuses()
            let cloud = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "cloud-\(UUID().uuidString.prefix(6))"))
            cloud.start()
            try await cloud.waitUntilConnected()
            try await cloud.subscribe(TopicFilter.devices(.responses).rawValue)
            try await cloud.subscribe(TopicFilter.devices(.telemetry).rawValue)
            try await cloud.subscribe(TopicFilter.coordinator(.status).rawValue)
            let collecting = Task {
                for await message in cloud.messages {
                    responses.add(message)
                    coordinator.add(message)
                }
            }
            try await coordinator.waitFor(seconds: 20) { $0.sawTelemetry }

            func command(_ id: String, _ type: String, parameters: String) async throws {
                let payload = """
                    {"schema_version":"1.0","command_id":"\(id)","timestamp":"\(Timestamp(Date()).rfc3339)","source":"test",
                     "command":{"type":"\(type)","priority":"normal","timeout_seconds":10,"parameters":\(parameters)},
                     "safety_checks":{"required":true,"constraints":{}}}
                    """
                try await cloud.publish("pulsebms/site_plim/pack_a/commands", payload: Array(payload.utf8), qos: .atLeastOnce)
            }
            /// Waits until the pack's current (A, > 0 discharge) is inside `range`.
            func waitForCurrent(_ range: ClosedRange<Double>, _ what: String) async throws {
                try await eventually("pack current in \(range) (\(what))", seconds: 10) {
                    guard let current = try simulator.status(unit: 1)["current"] as? Double else { return false }
                    return range.contains(current)
                }
            }
            /// Allocates `watts` to pack_a and returns what the agent applied.
            func allocate(_ id: String, watts: Double, minutes: String = "1", wait: Bool = true) async throws -> AppliedSetpoint? {
                let allocation = AllocationTests.allocationJSON(id, site: "site_plim", shares: [("pack_a", watts)], minutes: minutes)
                try await cloud.publish("pulsebms/site_plim/coordinator/allocation", payload: Array(allocation.utf8), qos: .atLeastOnce)
                guard wait else { return nil }
                try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.allocationID == id }
                return try #require(coordinator.latest?.allocation?.devices.first)
            }

            // Out of range: refused, naming the parameter and its range.
            try await command("cmd_plim_bad", "update_parameters", parameters: #"{"power_limit_percent":150}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_bad") == .failed }
            #expect(responses.last("cmd_plim_bad")?.message.contains("power_limit_percent must be a number from 0 to 100") == true)

            // "Reduce Power" by 50 %: 8 kW asked, 5 kW (50 % of the rated 10 kW) applied and named.
            try await command("cmd_plim_50", "update_parameters", parameters: #"{"power_limit_percent":50}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_50") == .completed }
            #expect(responses.last("cmd_plim_50")?.message == "power_limit_percent = 50")
            let limited = try #require(try await allocate("alloc_plim_1", watts: 8000))
            #expect(limited.appliedPower == 5000)
            #expect(limited.constraintsActive == ["power_limit"])
            let current = try #require(try simulator.status(unit: 1)["current"] as? Double)
            #expect(current > 85 && current < 105, "the pack discharges at about 5 kW: \(current) A")

            // The limit and the allocation in force survive a restart of the agent on the same state directory:
            // the new run resumes alloc_plim_1 until its original end, within the limit (its share comes back
            // at the pack's first poll).
            let beforeStop = try #require(coordinator.latest?.allocation)
            await agent.terminate()
            let leftBehind = try #require(try simulator.status(unit: 1)["current"] as? Double)
            #expect(leftBehind > 85, "the stopped agent's setpoint is still in the pack: \(leftBehind) A")
            let statusesBeforeRestart = coordinator.statusCount
            agent = try StoreAndForwardTests.startAgent(config: config, in: directory)
            try await coordinator.waitFor(seconds: 20) { statuses in
                statuses.statusCount > statusesBeforeRestart && statuses.latest?.allocation?.allocationID == "alloc_plim_1"
                    && statuses.latest?.allocation?.devices.first?.appliedPower == 5000
            }
            let resumed = try #require(coordinator.latest?.allocation)
            #expect(resumed.expiresAt == beforeStop.expiresAt)
            #expect(!resumed.fallbackActive)
            #expect(resumed.devices.first?.constraintsActive == ["power_limit"])
            try await waitForCurrent(85...105, "5 kW resumed")

            // A setpoint whose allocation ended while the agent was down has nothing left to hold it: the next
            // run zeroes it at the pack's first poll, and does not resume the allocation. (Fifteen seconds in
            // force: the agent stops well before.)
            let short = try #require(try await allocate("alloc_plim_short", watts: 4000, minutes: "0.25"))
            #expect(short.appliedPower == 4000)
            let shortEnd = try #require(coordinator.latest?.allocation?.expiresAt)
            await agent.terminate()
            let shortLeft = try #require(try simulator.status(unit: 1)["current"] as? Double)
            #expect(shortLeft > 60, "the stopped agent's setpoint is still in the pack: \(shortLeft) A")
            try await eventually("alloc_plim_short has ended", seconds: 25) {
                Timestamp(Date()).millisecondsSinceEpoch > shortEnd.millisecondsSinceEpoch
            }
            let allocationsBeforeRestart = coordinator.allocationIDs.count
            agent = try StoreAndForwardTests.startAgent(config: config, in: directory)
            try await eventually("the pack zeroed by the new run", seconds: 20) {
                abs((try? simulator.status(unit: 1)["current"] as? Double) ?? 99) < 0.5
            }
            try await command("cmd_plim_ready", "request_status", parameters: "{}")
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_ready") == .completed }
            #expect(!coordinator.allocationIDs.dropFirst(allocationsBeforeRestart).contains("alloc_plim_short"))
            let afterRestart = try #require(try await allocate("alloc_plim_2", watts: 8000))
            #expect(afterRestart.appliedPower == 5000)
            #expect(afterRestart.constraintsActive == ["power_limit"])

            // Restoring is sending 100: the whole 8 kW is applied. This allocation stays in force (10 minutes)
            // through the steps below, which send no other.
            try await command("cmd_plim_100", "update_parameters", parameters: #"{"power_limit_percent":100}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_100") == .completed }
            let restored = try #require(try await allocate("alloc_plim_3", watts: 8000, minutes: "10"))
            #expect(restored.appliedPower == 8000)
            #expect(restored.constraintsActive == [])
            try await waitForCurrent(130...175, "8 kW")

            // "Reduce Power" (at most 50 %) binds the allocation in force: re-clamped to 5 kW before the command
            // completes, without a new allocation, and the pack follows.
            try await command("cmd_atmost_50", "update_parameters", parameters: #"{"power_limit_at_most_percent":50}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_atmost_50") == .completed }
            #expect(responses.last("cmd_atmost_50")?.message == "power_limit_percent = 50 (power_limit_at_most_percent 50)")
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.devices.first?.appliedPower == 5000 }
            let reduced = try #require(coordinator.latest?.allocation)
            #expect(reduced.allocationID == "alloc_plim_3")
            #expect(reduced.fallbackActive == false)
            #expect(reduced.devices.first?.requestedPower == 8000)
            #expect(reduced.devices.first?.constraintsActive == ["power_limit"])
            try await waitForCurrent(85...105, "5 kW after at most 50 %")

            // A milder reduction (at most 80 %) does not lift the stricter 50 %: re-clamped, still 5 kW.
            let statusesBefore = coordinator.statusCount
            try await command("cmd_atmost_80", "update_parameters", parameters: #"{"power_limit_at_most_percent":80}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_atmost_80") == .completed }
            #expect(responses.last("cmd_atmost_80")?.message == "power_limit_percent = 50 (power_limit_at_most_percent 80 does not raise it)")
            try await coordinator.waitFor(seconds: 10) { $0.statusCount > statusesBefore }
            let still = try #require(coordinator.latest?.allocation)
            #expect(still.allocationID == "alloc_plim_3")
            #expect(still.devices.first?.appliedPower == 5000)
            #expect(still.devices.first?.constraintsActive == ["power_limit"])
            try await waitForCurrent(85...105, "still 5 kW after at most 80 %")

            // Maintenance takes the pack out of the allocation in force at once: 0 W, named.
            try await command("cmd_plim_maint_on", "update_parameters", parameters: #"{"maintenance_mode":true}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_maint_on") == .completed }
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.devices.first?.constraintsActive == ["maintenance"] }
            let maintained = try #require(coordinator.latest?.allocation)
            #expect(maintained.allocationID == "alloc_plim_3")
            #expect(maintained.devices.first?.appliedPower == 0)
            try await waitForCurrent(-0.5...0.5, "maintenance")

            // Out of maintenance the same allocation comes back, within the 50 % limit still in force.
            try await command("cmd_plim_maint_off", "update_parameters", parameters: #"{"maintenance_mode":false}"#)
            try await responses.waitFor(seconds: 10) { $0.final("cmd_plim_maint_off") == .completed }
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.devices.first?.appliedPower == 5000 }
            let back = try #require(coordinator.latest?.allocation)
            #expect(back.allocationID == "alloc_plim_3")
            #expect(back.devices.first?.constraintsActive == ["power_limit"])
            try await waitForCurrent(85...105, "5 kW after maintenance")

            // A duration beyond a day (here one that overflows any clock) is ignored, not a crash: the next
            // allocation is applied by the same agent.
            _ = try await allocate("alloc_plim_forever", watts: 1000, minutes: "1e300", wait: false)
            let after = try #require(try await allocate("alloc_plim_4", watts: 2000))
            #expect(after.appliedPower == 2000)
            #expect(coordinator.latest?.allocation?.allocationID == "alloc_plim_4")

            collecting.cancel()
            await cloud.stop()
            await agent.terminate()
            await simulator.stop()
        }
    }
}

/// Power allocations through the broker: a share beyond the pack's derated limit is clamped and says so;
/// at expiry the fallback (zero power) takes over; both reported on the retained coordinator status.
@Suite("Allocations end to end", .serialized)
struct AllocationTests {
    /// The coordinator's allocation `id` for `site`: each pack's share (W, > 0 discharge) for `minutes`.
    static func allocationJSON(_ id: String, site: String, shares: [(device: String, watts: Double)], minutes: String) -> String {
        let devices = shares.map {
            #"{"device_id":"\#($0.device)","allocated_power":\#($0.watts),"confidence":0.9,"constraints_active":[]}"#
        }
        let total = shares.map(\.watts).reduce(0, +)
        return """
            {"schema_version":"1.0","timestamp":"\(Timestamp(Date()).rfc3339)","allocation_id":"\(id)","site_id":"\(site)",
             "demand":{"total_power_target":\(total),"duration_minutes":\(minutes),"flexibility":0.1,"priority":"high"},
             "allocation":{"optimization_method":"water_filling_qp","total_allocated":\(total),"efficiency_score":0.9,
               "devices":[\(devices.joined(separator: ","))]},
             "forecasts":{"degradation_impact":{},"efficiency_prediction":0.9,"completion_probability":0.9}}
            """
    }

    /// Sends `allocationJSON(id, …)` to `site`'s agent through `cloud` and waits until the agent reports it
    /// applied.
    static func allocate(
        _ id: String, site: String, shares: [(device: String, watts: Double)], minutes: String, cloud: MosquittoClient,
        coordinator: CoordinatorStatuses
    ) async throws {
        let allocation = allocationJSON(id, site: site, shares: shares, minutes: minutes)
        try await cloud.publish("pulsebms/\(site)/coordinator/allocation", payload: Array(allocation.utf8), qos: .atLeastOnce)
        try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.allocationID == id }
    }

    /// A site of 280 Ah LFP SunSpec packs on the simulator (units 1, 2, …), polled every 100 ms by an agent on a
    /// real broker, and a cloud client that collects the coordinator status, telemetry and command responses;
    /// `body` runs once every pack has sent telemetry, and everything is stopped after it.
    static func withSite(
        _ site: String, packs: [String],
        _ body: (
            _ simulator: SimulatorProcess, _ cloud: MosquittoClient, _ coordinator: CoordinatorStatuses, _ responses: Responses,
            _ broker: MosquittoBroker
        ) async throws -> Void
    ) async throws {
        try await MosquittoBroker.withRunning { broker in
            let simulator = try await SimulatorProcess.start(
                packs: packs.indices.map { "unit=\($0 + 1),chemistry=LFP,cells=16,capacity=280,soc=60" }, packageRoot: CommandTests.root)
            let directory = try TemporaryDirectory("agent")
            defer { directory.remove() }
            let config = directory.file("agent.yaml")
            let devices = packs.enumerated().map { unit, device in
                """
                  - { device_id: \(device), name: \(device), chemistry: LFP, bus: sim, unit_id: \(unit + 1), profile: sunspec, poll_interval_ms: 100,
                      specifications: { nominal_capacity: 280, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 } }
                """
            }
            try """
                site_id: \(site)
                mqtt: { host: 127.0.0.1, port: \(broker.port), client_id: agent-\(site) }
                buses:
                  - { id: sim, modbus_tcp: { host: 127.0.0.1, port: \(simulator.port) }, response_timeout_ms: 300 }
                devices:
                \(devices.joined(separator: "\n"))
                """.write(to: config, atomically: true, encoding: .utf8)
            let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)
            let coordinator = CoordinatorStatuses()
            let responses = Responses()
            let cloud = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "cloud-\(UUID().uuidString.prefix(6))"))
            cloud.start()
            try await cloud.waitUntilConnected()
            for filter in [TopicFilter.coordinator(.status), .devices(.telemetry), .devices(.responses)] {
                try await cloud.subscribe(filter.rawValue)
            }
            let collecting = Task {
                for await message in cloud.messages {
                    coordinator.add(message)
                    responses.add(message)
                }
            }
            try await responses.waitFor(seconds: 20) { $0.telemetryDevices.isSuperset(of: Set(packs)) }
            try await body(simulator, cloud, coordinator, responses, broker)
            collecting.cancel()
            await cloud.stop()
            await agent.terminate()
            await simulator.stop()
        }
    }

    @Test func clampedToLocalLimitsThenFallbackAtExpiry() async throws {
        try await Self.withSite("site_alloc", packs: ["pack_a"]) { simulator, cloud, coordinator, _, _ in
            // 200 kW of charge asked of a 280 Ah LFP pack: its 0.5 C operating limit (140 A) cuts it.
            try await Self.allocate(
                "alloc_1", site: "site_alloc", shares: [("pack_a", -200_000)], minutes: "0.25", cloud: cloud, coordinator: coordinator)
            let applied = try #require(coordinator.latest?.allocation?.devices.first)
            #expect(applied.constraintsActive == ["charge_current_limit"])
            #expect(applied.appliedPower < 0 && applied.appliedPower > -140 * 60)
            #expect(applied.appliedPower < -140 * 45)
            let current = try #require(try simulator.status(unit: 1)["current"] as? Double)
            #expect(current < -100 && current > -160, "the pack charges at about the clamped power: \(current) A")

            // Fifteen seconds after it was applied the allocation expires: zero power.
            try await coordinator.waitFor(seconds: 30) { $0.latest?.allocation?.fallbackActive == true }
            #expect(coordinator.latest?.allocation?.devices.first?.appliedPower == 0)
            #expect(abs(try simulator.status(unit: 1)["current"] as? Double ?? 99) < 0.5)

        }
    }

    /// The retained coordinator status keeps the allocation in force across a broker restart (a broker without
    /// persistence forgets its retained messages): the agent's birth status, which carries none, is followed by
    /// the allocation's, so a client that subscribes afterwards reads what the site is doing.
    @Test func theAllocationStaysOnTheRetainedStatusAcrossABrokerRestart() async throws {
        try await Self.withSite("site_rebirth", packs: ["pack_a"]) { _, cloud, coordinator, _, broker in
            try await Self.allocate(
                "alloc_kept", site: "site_rebirth", shares: [("pack_a", -5000)], minutes: "10", cloud: cloud, coordinator: coordinator)
            try await broker.restart()

            let late = CoordinatorStatuses()
            let watcher = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "late-\(UUID().uuidString.prefix(6))"))
            watcher.start()
            try await watcher.waitUntilConnected()
            try await watcher.subscribe(TopicFilter.coordinator(.status).rawValue)
            let watching = Task { for await message in watcher.messages { late.add(message) } }
            defer { watching.cancel() }
            try await late.waitFor(seconds: 20) { statuses in
                statuses.latest?.status == .online && statuses.latest?.allocation?.allocationID == "alloc_kept"
            }
            #expect(late.latest?.allocation?.devices.first?.appliedPower == -5000)
            await watcher.stop()
        }
    }

    /// A fallback whose 0 W does not reach the pack (it answers every request with a Modbus exception when the
    /// allocation expires) is on record as not written, with the share the pack may still hold, and is written
    /// once the pack answers again: the pack never keeps charging on an expired allocation.
    @Test func aFallbackThatFailsIsWrittenOnceThePackAnswers() async throws {
        try await Self.withSite("site_retry", packs: ["pack_a"]) { simulator, cloud, coordinator, _, _ in
            try await Self.allocate(
                "alloc_short", site: "site_retry", shares: [("pack_a", -5000)], minutes: "0.25", cloud: cloud, coordinator: coordinator)
            #expect(coordinator.latest?.allocation?.devices.first?.appliedPower == -5000)
            // Fifteen seconds in force; the pack stops answering well before they end.
            _ = try simulator.control("fault 1 exception 4")
            try await coordinator.waitFor(seconds: 30) { $0.latest?.allocation?.fallbackActive == true }
            let failed = try #require(coordinator.latest?.allocation?.devices.first)
            #expect(failed.constraintsActive == ["fallback", "setpoint_write_failed"])
            #expect(failed.appliedPower == -5000)
            #expect(try simulator.status(unit: 1)["current"] as? Double ?? 0 < -50, "the pack still charges at its share")

            _ = try simulator.control("clear 1")
            try await coordinator.waitFor(seconds: 15) { statuses in
                statuses.latest?.allocation?.devices.first?.constraintsActive == ["fallback"]
            }
            #expect(coordinator.latest?.allocation?.devices.first?.appliedPower == 0)
            try await eventually("the pack stops", seconds: 10) {
                abs((try? simulator.status(unit: 1)["current"] as? Double) ?? 99) < 0.5
            }
        }
    }

    /// Local protection binds the allocation in force without waiting for a new one: a pack that warms into
    /// its charging-temperature alarm while charging has its share cut to the 25 % derate at once, and gets it
    /// back when it cools (SAF-OTC-01 through `SetpointClamp`, re-clamped after each poll).
    @Test func aDerateCutsTheAllocationInForce() async throws {
        try await Self.withSite("site_derate", packs: ["pack_a"]) { simulator, cloud, coordinator, _, _ in
            // 5 kW of charge, well inside the pack's 140 A operating limit, for ten minutes.
            try await Self.allocate(
                "alloc_warm", site: "site_derate", shares: [("pack_a", -5000)], minutes: "10", cloud: cloud, coordinator: coordinator)
            #expect(coordinator.latest?.allocation?.devices.first?.appliedPower == -5000)

            // 42 °C: the charging-temperature alarm derates charge to 25 % of 140 A, about 1.9 kW, with no new
            // allocation.
            _ = try simulator.control("temperature 1 42")
            try await coordinator.waitFor(seconds: 15) { statuses in
                guard let share = statuses.latest?.allocation?.devices.first else { return false }
                return share.appliedPower > -2500 && share.appliedPower < 0
            }
            let derated = try #require(coordinator.latest?.allocation)
            #expect(derated.allocationID == "alloc_warm" && !derated.fallbackActive)
            #expect(derated.devices.first?.constraintsActive == ["temperature_derate"])
            try await eventually("the pack charges at the derated power", seconds: 10) {
                let current = (try? simulator.status(unit: 1)["current"] as? Double) ?? 0
                return current < -20 && current > -50
            }

            // Cooled below the release point: the whole share again.
            _ = try simulator.control("temperature 1 25")
            try await coordinator.waitFor(seconds: 15) { $0.latest?.allocation?.devices.first?.appliedPower == -5000 }

        }
    }

    /// A newer allocation that leaves a pack out takes that pack to 0 W (`not_allocated`) instead of leaving it
    /// at the older share with no expiry; an allocation listing a device twice is ignored; an emergency
    /// shutdown sent right behind an allocation still completes.
    @Test func packLeftOutOfANewerAllocationGoesToZero() async throws {
        try await Self.withSite("site_left", packs: ["pack_1", "pack_2"]) { simulator, cloud, coordinator, responses, _ in
            /// Sends an allocation of `shares` (device, W), in force for ten minutes.
            func allocate(_ id: String, _ shares: [(device: String, watts: Double)]) async throws {
                let allocation = Self.allocationJSON(id, site: "site_left", shares: shares, minutes: "10")
                try await cloud.publish("pulsebms/site_left/coordinator/allocation", payload: Array(allocation.utf8), qos: .atLeastOnce)
            }
            /// Waits until the pack's current (A, > 0 discharge) is inside `range`.
            func waitForCurrent(unit: Int, _ range: ClosedRange<Double>, _ what: String) async throws {
                try await eventually("pack \(unit) current in \(range) (\(what))", seconds: 10) {
                    guard let current = try simulator.status(unit: unit)["current"] as? Double else { return false }
                    return range.contains(current)
                }
            }

            // Both packs discharge about 3 kW each.
            try await allocate("alloc_both", [("pack_1", 3000), ("pack_2", 3000)])
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.allocationID == "alloc_both" }
            #expect(coordinator.latest?.allocation?.devices.map(\.appliedPower) == [3000, 3000])
            try await waitForCurrent(unit: 2, 40...80, "3 kW")

            // The next one lists pack_1 only: pack_2 goes to 0 W under it, named, and stops discharging.
            try await allocate("alloc_one", [("pack_1", 3000)])
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.allocationID == "alloc_one" }
            let one = try #require(coordinator.latest?.allocation)
            #expect(one.devices.count == 2)
            let left = try #require(one.devices.first { $0.deviceID == "pack_2" })
            #expect(left.requestedPower == 0)
            #expect(left.appliedPower == 0)
            #expect(left.constraintsActive == ["not_allocated"])
            #expect(one.devices.first { $0.deviceID == "pack_1" }?.appliedPower == 3000)
            try await waitForCurrent(unit: 2, -0.5...0.5, "left out")
            try await waitForCurrent(unit: 1, 40...80, "still 3 kW")

            // Listing a device twice is refused like a malformed allocation: it is never applied. Allocations are
            // handled in order, so once the next one is on the status the refused one has had its turn.
            try await allocate("alloc_twice", [("pack_1", 1000), ("pack_1", 2000)])
            try await allocate("alloc_after", [("pack_1", 2000)])
            // An emergency shutdown right behind an allocation is not held up by it.
            let estop = """
                {"schema_version":"1.0","command_id":"cmd_left_estop","timestamp":"\(Timestamp(Date()).rfc3339)","source":"test",
                 "command":{"type":"emergency_shutdown","priority":"critical","timeout_seconds":10,"parameters":{}},
                 "safety_checks":{"required":true,"constraints":{}}}
                """
            try await cloud.publish("pulsebms/site_left/pack_2/commands", payload: Array(estop.utf8), qos: .atLeastOnce)
            try await coordinator.waitFor(seconds: 10) { $0.latest?.allocation?.allocationID == "alloc_after" }
            #expect(!coordinator.allocationIDs.contains("alloc_twice"))
            #expect(coordinator.latest?.allocation?.devices.map(\.deviceID) == ["pack_1"])
            try await responses.waitFor(seconds: 10) { $0.final("cmd_left_estop") == .completed }

        }
    }
}

final class CoordinatorStatuses: Sendable {
    /// The latest coordinator status, how many telemetry messages arrived, how many coordinator statuses and
    /// the allocation id each status carried, in order.
    private let state = Mutex<(AgentStatusMessage?, Int, Int, [String])>((nil, 0, 0, []))

    func add(_ message: MQTTMessage) {
        guard let topic = try? MQTTTopic(parsing: message.topic) else { return }
        switch topic {
        case .coordinator(_, .status):
            if let status = try? WireCoding.decode(AgentStatusMessage.self, from: message.payload) {
                state.withLock { state in
                    state.0 = status
                    state.2 += 1
                    if let allocationID = status.allocation?.allocationID { state.3.append(allocationID) }
                }
            }
        case .device(_, _, .telemetry):
            state.withLock { $0.1 += 1 }
        default:
            break
        }
    }

    var latest: AgentStatusMessage? { state.withLock { $0.0 } }
    var sawTelemetry: Bool { telemetryCount > 0 }
    var telemetryCount: Int { state.withLock { $0.1 } }
    var statusCount: Int { state.withLock { $0.2 } }
    /// The allocation id of every coordinator status seen, in order.
    var allocationIDs: [String] { state.withLock { $0.3 } }

    func waitFor(seconds: Double, _ condition: (CoordinatorStatuses) -> Bool) async throws {
        try await eventually("coordinator condition", seconds: seconds) { condition(self) }
    }
}

/// Command responses and statuses seen by the test's "cloud".
final class Responses: Sendable {
    private let state = Mutex<([String: [CommandResponseMessage]], Int, Set<String>)>(([:], 0, []))

    func add(_ message: MQTTMessage) {
        guard let topic = try? MQTTTopic(parsing: message.topic) else { return }
        switch topic {
        case .device(_, _, .responses):
            // Every response must decode into its BMSCore type.
            if let response = try? WireCoding.decode(CommandResponseMessage.self, from: message.payload) {
                state.withLock { $0.0[response.commandID, default: []].append(response) }
            }
        case .device(_, _, .status), .coordinator(_, .status):
            state.withLock { $0.1 += 1 }
        case .device(_, let device, .telemetry):
            state.withLock { _ = $0.2.insert(device.rawValue) }
        default:
            break
        }
    }

    var statusCount: Int { state.withLock { $0.1 } }
    var telemetryDevices: Set<String> { state.withLock { $0.2 } }
    func statuses(_ id: String) -> [CommandStatus] { state.withLock { ($0.0[id] ?? []).map(\.status) } }
    func last(_ id: String) -> CommandResponseMessage? { state.withLock { $0.0[id]?.last } }
    func final(_ id: String) -> CommandStatus? { last(id).flatMap { $0.status.isFinal ? $0.status : nil } }

    func waitFor(seconds: Double, _ condition: (Responses) -> Bool) async throws {
        try await eventually("responses \(state.withLock { $0.0.mapValues { $0.map(\.status.rawValue) } })", seconds: seconds) {
            condition(self)
        }
    }
}
