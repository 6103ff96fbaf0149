import BMSCore
import Foundation
import Logging
import PulseMQTT
import Synchronization

/// Applies the coordinator's power allocations: each pack's share becomes a setpoint held inside the pack's
/// local (derated) limits, the operator's power limit (`power_limit_percent`) and maintenance mode
/// (`SetpointClamp`); after `duration_minutes` the fallback — zero power — takes over. A change of a pack's
/// runtime parameters re-clamps its share of the allocation in force (`reapply(deviceID:)`). What was actually
/// applied is reported, retained, on `pulsebms/{site}/coordinator/status`.
final class AllocationProcessor: Sendable {
    private let configuration: AgentConfiguration
    private let packs: [String: CommandProcessor.Pack]
    /// Where `update_parameters` keeps each pack's power limit and maintenance mode.
    private let store: CommandStore
    private let client: MosquittoClient
    private let logger: Logger
    private let state = Mutex<(applied: AppliedAllocation?, expiry: Task<Void, Never>?)>((nil, nil))
    /// One allocation, re-clamp or fallback at a time: each reads the allocation in force, writes setpoints and
    /// records them, so none writes over a newer setpoint (a re-clamp of an allocation just replaced, or one
    /// after its fallback). Status publishes wait for the broker, so they happen outside it.
    private let writing = SerialGate()
    /// One status publish at a time, each of the allocation as it stands then: an older status is never
    /// retained after a newer one.
    private let publishing = SerialGate()

    init(
        configuration: AgentConfiguration, packs: [String: CommandProcessor.Pack], store: CommandStore, client: MosquittoClient,
        logger: Logger
    ) {
        self.configuration = configuration
        self.packs = packs
        self.store = store
        self.client = client
        self.logger = logger
    }

    /// The allocation in force (or last in force), as applied.
    var applied: AppliedAllocation? { state.withLock { $0.applied } }

    func handle(_ message: MQTTMessage) async {
        let allocation: PowerAllocationMessage
        do {
            allocation = try WireCoding.decode(PowerAllocationMessage.self, from: message.payload)
        } catch {
            logger.warning("Malformed power allocation ignored", metadata: ["error": "\(error)"])
            return
        }
        guard allocation.siteID == configuration.siteID else { return }
        let minutes = allocation.demand.durationMinutes
        // Bounded as the relay bounds what it forwards: any publisher can reach this topic.
        guard minutes.isFinite, minutes > 0, minutes <= PowerAllocationMessage.maximumDurationMinutes else {
            logger.warning(
                "Power allocation without a usable duration ignored (0 < duration_minutes ≤ \(PowerAllocationMessage.maximumDurationMinutes))",
                metadata: ["allocation.id": "\(allocation.allocationID)", "duration_minutes": "\(minutes)"])
            return
        }
        await writing.withTurn { await apply(allocation, lifetimeMilliseconds: Int64(minutes * 60_000)) }
        await publishStatus()
    }

    /// Clamps a pack's share of the allocation in force again, with its latest reading and its runtime
    /// parameters as stored now, writes the new setpoint and publishes the status. Raising a limit may raise the
    /// setpoint back towards the share asked, within every other limit. Nothing happens when no allocation is
    /// in force, it has fallen back or expired, or it gave the pack no share.
    ///
    /// - Throws: the pack's error when the new setpoint could not be written; the pack may still hold the one
    ///   written before, which stays on record, marked `setpoint_write_failed`.
    func reapply(deviceID: String) async throws {
        let outcome: Result<Bool, any Error> = await writing.withTurn { await reclamp(deviceID: deviceID) }
        switch outcome {
        case .success(let rewritten):
            if rewritten { await publishStatus() }
        case .failure(let error):
            await publishStatus()
            throw error
        }
    }

    // MARK: - Setpoints (each under `writing`)

    private func apply(_ allocation: PowerAllocationMessage, lifetimeMilliseconds lifetime: Int64) async {
        var setpoints: [AppliedSetpoint] = []
        for share in allocation.allocation.devices {
            guard let pack = packs[share.deviceID],
                let device = configuration.devices.first(where: { $0.deviceID == share.deviceID })
            else {
                setpoints.append(AppliedSetpoint(deviceID: share.deviceID, requestedPower: share.allocatedPower, appliedPower: 0, constraintsActive: ["unknown_device"]))
                continue
            }
            var (watts, constraints) = setpoint(
                requestedWatts: share.allocatedPower, deviceID: share.deviceID, pack: pack, specifications: device.specifications)
            do {
                try await pack.source.apply(powerWatts: watts)
            } catch {
                constraints.append("setpoint_write_failed")
                watts = 0
                logger.warning("Setpoint not written", metadata: ["pack.id": "\(share.deviceID)", "error": "\(error)"])
            }
            setpoints.append(AppliedSetpoint(deviceID: share.deviceID, requestedPower: share.allocatedPower, appliedPower: watts, constraintsActive: constraints))
        }
        let now = Timestamp(Date())
        let allocationID = allocation.allocationID
        let applied = AppliedAllocation(
            allocationID: allocationID, appliedAt: now, expiresAt: now.adding(milliseconds: lifetime),
            fallbackActive: false, devices: setpoints)
        let expiry = Task { [self] in
            try? await Task.sleep(for: .milliseconds(lifetime))
            guard !Task.isCancelled else { return }
            if await writing.withTurn({ await fallBack(allocationID: allocationID) }) { await publishStatus() }
        }
        let previous = state.withLock { state in
            defer { state = (applied, expiry) }
            return state.expiry
        }
        previous?.cancel()
    }

    /// `reapply`'s work: `.success(true)` once the new setpoint is written and recorded, `.success(false)` when
    /// there is no share to re-clamp.
    private func reclamp(deviceID: String) async -> Result<Bool, any Error> {
        guard var applied = state.withLock({ $0.applied }), !applied.fallbackActive,
            applied.expiresAt.millisecondsSinceEpoch > Timestamp(Date()).millisecondsSinceEpoch,
            let index = applied.devices.firstIndex(where: { $0.deviceID == deviceID }),
            let pack = packs[deviceID],
            let device = configuration.devices.first(where: { $0.deviceID == deviceID })
        else { return .success(false) }
        let share = applied.devices[index]
        let (watts, constraints) = setpoint(
            requestedWatts: share.requestedPower, deviceID: deviceID, pack: pack, specifications: device.specifications)
        let outcome: Result<Bool, any Error>
        do {
            try await pack.source.apply(powerWatts: watts)
            applied.devices[index].appliedPower = watts
            applied.devices[index].constraintsActive = constraints
            outcome = .success(true)
            logger.notice(
                "Setpoint re-clamped after a parameter change",
                metadata: [
                    "pack.id": "\(deviceID)", "allocation.id": "\(applied.allocationID)", "watts": "\(watts)",
                    "constraints": "\(constraints)",
                ])
        } catch {
            // Nothing new reached the pack: what was written before stays on record, marked as not replaced.
            if !share.constraintsActive.contains("setpoint_write_failed") {
                applied.devices[index].constraintsActive.append("setpoint_write_failed")
            }
            outcome = .failure(error)
            logger.warning("Re-clamped setpoint not written", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
        }
        let updated = applied
        state.withLock { $0.applied = updated }
        return outcome
    }

    /// A share held inside the pack's limits, its operator's power limit and maintenance (`SetpointClamp`).
    private func setpoint(
        requestedWatts: Double, deviceID: String, pack: CommandProcessor.Pack, specifications: DeviceSpecifications
    ) -> (watts: Double, constraints: [String]) {
        let latest = pack.poller.latest
        return SetpointClamp.clamp(
            requestedWatts: requestedWatts, snapshot: latest?.snapshot, verdict: latest?.verdict, specifications: specifications,
            powerLimitFraction: powerLimitFraction(deviceID: deviceID), maintenance: inMaintenance(deviceID: deviceID))
    }

    /// The operator's power limit on a pack. A store that cannot be read counts as 0 (no power): a failed read
    /// must not lift a limit the operator set.
    private func powerLimitFraction(deviceID: String) -> Double? {
        do {
            return try store.powerLimitFraction(deviceID: deviceID)
        } catch {
            logger.warning("Power limit not readable; no power for this pack", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
            return 0
        }
    }

    /// Whether a pack is in maintenance. A store that cannot be read counts as maintenance (no power), as for
    /// the power limit.
    private func inMaintenance(deviceID: String) -> Bool {
        do {
            return try store.maintenanceMode(deviceID: deviceID)
        } catch {
            logger.warning("Maintenance mode not readable; no power for this pack", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
            return true
        }
    }

    /// The allocation expired: zero power on every pack it set. `false` when it was replaced meanwhile.
    private func fallBack(allocationID: String) async -> Bool {
        guard var applied = state.withLock({ $0.applied }), applied.allocationID == allocationID else { return false }
        for index in applied.devices.indices {
            guard let pack = packs[applied.devices[index].deviceID] else { continue }
            do {
                try await pack.source.apply(powerWatts: 0)
                applied.devices[index].appliedPower = 0
                applied.devices[index].constraintsActive = ["fallback"]
            } catch {
                applied.devices[index].constraintsActive = ["fallback", "setpoint_write_failed"]
            }
        }
        applied.fallbackActive = true
        let final = applied
        state.withLock { $0.applied = final }
        logger.notice("Power allocation expired; fallback to zero power", metadata: ["allocation.id": "\(allocationID)"])
        return true
    }

    // MARK: - Status

    /// Publishes, retained, the allocation as it stands when this publish's turn comes.
    private func publishStatus() async {
        await publishing.withTurn { () async -> Void in
            guard let site = try? TopicIdentifier(configuration.siteID), let applied = state.withLock({ $0.applied }) else { return }
            let status = AgentStatusMessage(
                timestamp: Timestamp(Date()), siteID: configuration.siteID, status: .online, agentVersion: AgentVersion.current,
                deviceIDs: configuration.devices.map(\.deviceID), allocation: applied)
            do {
                try await client.publish(
                    MQTTTopic.coordinator(site: site, .status).path, payload: Array(try WireCoding.encode(status)),
                    qos: .atLeastOnce, retain: true)
            } catch {
                logger.warning("Coordinator status not published", metadata: ["error": "\(error)"])
            }
        }
    }
}
