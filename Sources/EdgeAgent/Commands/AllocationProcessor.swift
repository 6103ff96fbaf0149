import BMSCore
import Foundation
import Logging
import PulseMQTT
import Synchronization

/// Applies the coordinator's power allocations: each pack's share becomes a setpoint held inside the pack's
/// local (derated) limits and the operator's power limit (`power_limit_percent`); after `duration_minutes`
/// the fallback — zero power — takes over. What was actually applied is reported, retained, on
/// `pulsebms/{site}/coordinator/status`.
final class AllocationProcessor: Sendable {
    private let configuration: AgentConfiguration
    private let packs: [String: CommandProcessor.Pack]
    /// Where `update_parameters` keeps each pack's power limit.
    private let store: CommandStore
    private let client: MosquittoClient
    private let logger: Logger
    private let state = Mutex<(applied: AppliedAllocation?, expiry: Task<Void, Never>?)>((nil, nil))

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
        var setpoints: [AppliedSetpoint] = []
        for share in allocation.allocation.devices {
            guard let pack = packs[share.deviceID],
                let device = configuration.devices.first(where: { $0.deviceID == share.deviceID })
            else {
                setpoints.append(AppliedSetpoint(deviceID: share.deviceID, requestedPower: share.allocatedPower, appliedPower: 0, constraintsActive: ["unknown_device"]))
                continue
            }
            let latest = pack.poller.latest
            var (watts, constraints) = SetpointClamp.clamp(
                requestedWatts: share.allocatedPower, snapshot: latest?.snapshot, verdict: latest?.verdict,
                specifications: device.specifications, powerLimitFraction: powerLimitFraction(deviceID: share.deviceID))
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
        let lifetime = Int64(minutes * 60_000)
        let applied = AppliedAllocation(
            allocationID: allocation.allocationID, appliedAt: now, expiresAt: now.adding(milliseconds: lifetime),
            fallbackActive: false, devices: setpoints)
        let expiry = Task { [self] in
            try? await Task.sleep(for: .milliseconds(lifetime))
            guard !Task.isCancelled else { return }
            await fallBack(allocationID: allocation.allocationID)
        }
        let previous = state.withLock { state in
            defer { state = (applied, expiry) }
            return state.expiry
        }
        previous?.cancel()
        await publishStatus(applied)
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

    /// The allocation expired: zero power on every pack it set.
    private func fallBack(allocationID: String) async {
        guard var applied = state.withLock({ $0.applied }), applied.allocationID == allocationID else { return }
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
        await publishStatus(final)
    }

    private func publishStatus(_ applied: AppliedAllocation) async {
        guard let site = try? TopicIdentifier(configuration.siteID) else { return }
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
