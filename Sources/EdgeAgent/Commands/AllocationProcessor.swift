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
    private let state = Mutex(State())
    /// Allocations received, waiting for `run()`: the MQTT message loop hands them over without waiting.
    private let queue: AsyncStream<MQTTMessage>
    private let enqueue: AsyncStream<MQTTMessage>.Continuation
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
        // Only the newest allocation matters: one superseded while waiting may be dropped (`submit` logs it).
        (queue, enqueue) = AsyncStream<MQTTMessage>.makeStream(bufferingPolicy: .bufferingNewest(Self.queueCapacity))
    }

    /// How many allocations may wait for their turn before the oldest is dropped.
    static let queueCapacity = 16

    /// The allocation in force and its expiry.
    private struct State {
        var applied: AppliedAllocation?
        /// Names the applied allocation to its expiry task. A redelivery of the same `allocation_id` gets a new
        /// token, so the expiry of the first delivery cannot zero the second.
        var token: UInt64 = 0
        /// The last token handed out.
        var issued: UInt64 = 0
        var expiry: Task<Void, Never>?
        /// Packs whose setpoint this run of the agent has written (or zeroed at start): a setpoint left by an
        /// earlier run has no expiry any more, so each pack is zeroed once before it has one of ours.
        var settled: Set<String> = []
    }

    /// The allocation in force (or last in force), as applied.
    var applied: AppliedAllocation? { state.withLock { $0.applied } }

    /// Queues an allocation for `run()` without waiting: the MQTT message loop calls this, and must never wait
    /// behind setpoint writes or a status publish (an emergency shutdown may be queued behind it).
    func submit(_ message: MQTTMessage) {
        if case .dropped(let dropped) = enqueue.yield(message) {
            let allocationID = (try? WireCoding.decodeTree(from: dropped.payload))?["allocation_id"]?.stringValue ?? "unknown"
            logger.warning("Power allocation superseded while queued; dropped", metadata: ["allocation.id": "\(allocationID)"])
        }
    }

    /// Resumes the allocation an earlier run left in force (`resumeAtStart`), then handles the queued
    /// allocations one at a time, in order, until `finish()` or cancellation.
    func run() async {
        await resumeAtStart()
        for await message in queue { await handle(message) }
    }

    /// At start: an allocation an earlier run applied that has not ended yet is applied again until its
    /// original end, each share clamped as always. A pack not polled yet gets 0 W (`offline`) and its share
    /// at its first poll (the re-clamp after each poll). An allocation that ended while the agent was down is
    /// forgotten; the zeroing at each pack's first poll then clears what it left in the pack.
    func resumeAtStart() async {
        let kept: CommandStore.KeptAllocation?
        do {
            kept = try store.allocationInForce()
        } catch {
            logger.warning("Allocation in force not readable; not resumed", metadata: ["error": "\(error)"])
            return
        }
        guard let kept else { return }
        let now = Timestamp(Date())
        guard let remaining = Self.resumableMilliseconds(of: kept, now: now), kept.allocation.siteID == configuration.siteID else {
            logger.info(
                "Allocation of an earlier run not resumed: it has ended, or the clock moved back",
                metadata: ["allocation.id": "\(kept.allocation.allocationID)"])
            forgetAllocation()
            return
        }
        await writing.withTurn { await apply(kept.allocation, until: kept.expiresAt) }
        logger.notice(
            "Power allocation resumed after a restart",
            metadata: ["allocation.id": "\(kept.allocation.allocationID)", "remaining_ms": "\(remaining)"])
        // Not waiting for a broker that may be away: the status is sent again on every connect (`announce`).
        Task { await self.publishStatus() }
    }

    /// How long a kept allocation still runs at `now`, or `nil` when it must not be resumed: it has ended, or
    /// the gateway's clock is behind the time it was saved or leaves it more than its whole duration (a clock
    /// that came back wrong after a power cut must never stretch an allocation).
    static func resumableMilliseconds(of kept: CommandStore.KeptAllocation, now: Timestamp) -> Int64? {
        let minutes = kept.allocation.demand.durationMinutes
        guard minutes.isFinite, minutes > 0, minutes <= PowerAllocationMessage.maximumDurationMinutes,
            now.millisecondsSinceEpoch >= kept.savedAt.millisecondsSinceEpoch
        else { return nil }
        let remaining = kept.expiresAt.millisecondsSinceEpoch - now.millisecondsSinceEpoch
        guard remaining > 0, remaining <= Int64(minutes * 60_000) else { return nil }
        return remaining
    }

    /// Publishes the coordinator status with the allocation in force, if any: after the birth announcement on
    /// every connect, whose status carries none.
    func announce() async {
        await publishStatus()
    }

    /// Ends `run()` once the allocation in hand is handled; later ones are not taken.
    func finish() {
        enqueue.finish()
    }

    /// Applies one allocation and publishes the status. An allocation that breaks the wire rules (the relay's
    /// own `PowerAllocationMessage.fieldErrors`, e.g. a device listed twice) is logged and ignored.
    func handle(_ message: MQTTMessage) async {
        let allocation: PowerAllocationMessage
        do {
            allocation = try PowerAllocationMessage.validated(fromJSON: message.payload)
        } catch {
            logger.warning("Invalid power allocation ignored", metadata: ["error": "\(error)"])
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
        let expiresAt = Timestamp(Date()).adding(milliseconds: Int64(minutes * 60_000))
        await writing.withTurn { await apply(allocation, until: expiresAt) }
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

    /// After each poll of a pack: re-clamps its share of the allocation in force when the pack's limits now
    /// cut it (a derate, a one-sided stop, the pack's own allowance, all set by local protection without waiting
    /// for a new allocation), when they allow more than 5 % above it again, or when its last write failed. The
    /// new status goes out without holding up the next poll (a broker that is gone never delays protection).
    ///
    /// The first poll after the agent starts, with no allocation applied yet, writes 0 W (the fallback): a
    /// setpoint an earlier run left in the pack has lost its expiry with that run. A failed write is tried
    /// again at the next poll; so is a fallback's 0 W that did not reach the pack when the allocation expired.
    func packPolled(deviceID: String) async {
        let outcome: Result<Bool, any Error> = await writing.withTurn {
            if !state.withLock({ $0.settled.contains(deviceID) }) {
                await settleAtStart(deviceID: deviceID)
                return .success(false)
            }
            if let retried = await retryFallback(deviceID: deviceID) { return .success(retried) }
            return await reclamp(deviceID: deviceID, onlyWhenItMatters: true)
        }
        if case .success(false) = outcome { return }
        Task { await self.publishStatus() }
    }

    /// Writes 0 W again to a pack whose write failed when the allocation fell back (under `writing`): `nil` when
    /// there is no such pack, `true` once the pack took it, `false` when it failed again (the status already
    /// says so; it is tried at the next poll).
    private func retryFallback(deviceID: String) async -> Bool? {
        guard var applied = state.withLock({ $0.applied }), applied.fallbackActive,
            let index = applied.devices.firstIndex(where: { $0.deviceID == deviceID && $0.constraintsActive.contains("setpoint_write_failed") }),
            let pack = packs[deviceID]
        else { return nil }
        do {
            try await pack.source.apply(powerWatts: 0)
        } catch {
            logger.debug("Fallback setpoint still not written", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
            return false
        }
        applied.devices[index].appliedPower = 0
        applied.devices[index].constraintsActive = ["fallback"]
        let updated = applied
        state.withLock { state in
            // Only onto the allocation it was read from: one applied meanwhile is not touched.
            if state.applied?.allocationID == updated.allocationID, state.applied?.fallbackActive == true { state.applied = updated }
        }
        logger.notice("Fallback setpoint written on retry", metadata: ["pack.id": "\(deviceID)", "allocation.id": "\(updated.allocationID)"])
        return true
    }

    /// Zeroes a pack this run has not written yet (under `writing`).
    private func settleAtStart(deviceID: String) async {
        guard let pack = packs[deviceID], let device = configuration.devices.first(where: { $0.deviceID == deviceID }) else {
            state.withLock { _ = $0.settled.insert(deviceID) }
            return
        }
        do {
            try await pack.source.apply(powerWatts: 0)
            state.withLock { _ = $0.settled.insert(deviceID) }
            logger.info("Setpoint zeroed at start: no allocation in force", metadata: ["pack.id": "\(deviceID)"])
        } catch {
            if Self.takesNoSetpoint(error, profile: device.profile) {
                state.withLock { _ = $0.settled.insert(deviceID) }
            } else {
                logger.warning("Setpoint not zeroed at start; trying again", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Setpoints (each under `writing`)

    /// Applies `allocation` until `expiresAt`.
    private func apply(_ allocation: PowerAllocationMessage, until expiresAt: Timestamp) async {
        let start = Timestamp(Date())
        // Kept before any setpoint is written: an agent stopped halfway through must not resume the allocation
        // this one replaces.
        keep(allocation, savedAt: start, expiresAt: expiresAt)
        var setpoints: [AppliedSetpoint] = []
        // These packs' setpoints are this run's from now on (a failed write is retried by the re-clamps).
        state.withLock { $0.settled.formUnion(allocation.allocation.devices.map(\.deviceID)) }
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
                watts = 0
                if Self.takesNoSetpoint(error, profile: device.profile) {
                    constraints = ["no_setpoint_control"]
                } else {
                    constraints.append("setpoint_write_failed")
                    logger.warning("Setpoint not written", metadata: ["pack.id": "\(share.deviceID)", "error": "\(error)"])
                }
            }
            setpoints.append(AppliedSetpoint(deviceID: share.deviceID, requestedPower: share.allocatedPower, appliedPower: watts, constraintsActive: constraints))
        }
        // Packs the previous allocation powered and this one leaves out go to 0 W under this allocation, so its
        // expiry and re-clamps cover them too.
        let previous = state.withLock { $0.applied }
        for left in Self.packsLeftOut(of: previous, by: allocation) {
            guard let pack = packs[left.deviceID] else { continue }
            do {
                try await pack.source.apply(powerWatts: 0)
                setpoints.append(AppliedSetpoint(deviceID: left.deviceID, requestedPower: 0, appliedPower: 0, constraintsActive: ["not_allocated"]))
            } catch {
                // What was written before stays on record: the fallback and re-clamps try 0 W again.
                setpoints.append(
                    AppliedSetpoint(
                        deviceID: left.deviceID, requestedPower: 0, appliedPower: left.appliedPower,
                        constraintsActive: ["not_allocated", "setpoint_write_failed"]))
                logger.warning("Setpoint of a pack left out of the allocation not zeroed", metadata: ["pack.id": "\(left.deviceID)", "error": "\(error)"])
            }
        }
        let now = Timestamp(Date())
        let applied = AppliedAllocation(
            allocationID: allocation.allocationID, appliedAt: now, expiresAt: expiresAt, fallbackActive: false, devices: setpoints)
        let token = state.withLock { state -> UInt64 in
            state.issued &+= 1
            return state.issued
        }
        let remaining = max(0, expiresAt.millisecondsSinceEpoch - now.millisecondsSinceEpoch)
        let expiry = Task { [self] in
            try? await Task.sleep(for: .milliseconds(remaining))
            guard !Task.isCancelled else { return }
            if await writing.withTurn({ await fallBack(token: token) }) { await publishStatus() }
        }
        let replaced = state.withLock { state in
            defer {
                state.applied = applied
                state.token = token
                state.expiry = expiry
            }
            return state.expiry
        }
        replaced?.cancel()
    }

    /// The packs `previous` may still hold at a setpoint (powered, or a write that failed) that `allocation`
    /// does not list. Once `previous` has fallen back, only those whose fallback write failed: the others were
    /// zeroed. An allocation past its expiry whose fallback has not run yet still counts — that fallback will
    /// not run now.
    static func packsLeftOut(of previous: AppliedAllocation?, by allocation: PowerAllocationMessage) -> [AppliedSetpoint] {
        guard let previous else { return [] }
        let listed = Set(allocation.allocation.devices.map(\.deviceID))
        var seen: Set<String> = []
        return previous.devices.filter { share in
            let failed = share.constraintsActive.contains("setpoint_write_failed")
            let mayHoldPower = previous.fallbackActive ? failed : (share.appliedPower != 0 || failed)
            return mayHoldPower && !listed.contains(share.deviceID) && seen.insert(share.deviceID).inserted
        }
    }

    /// Whether a failed write says the pack takes no power setpoint at all (a CAN pack, a register map without
    /// one), so there is nothing to write. A SunSpec pack throws the same case while its layout is still
    /// unknown: that write failed.
    static func takesNoSetpoint(_ error: PackSourceError, profile: DeviceProfile) -> Bool {
        guard case .profileMismatch = error else { return false }
        return profile != .sunspec
    }

    /// `reapply`'s work: `.success(true)` once the new setpoint is written and recorded, `.success(false)` when
    /// there is no share to re-clamp.
    private func reclamp(deviceID: String, onlyWhenItMatters: Bool = false) async -> Result<Bool, any Error> {
        guard var applied = state.withLock({ $0.applied }), !applied.fallbackActive,
            applied.expiresAt.millisecondsSinceEpoch > Timestamp(Date()).millisecondsSinceEpoch,
            let index = applied.devices.firstIndex(where: { $0.deviceID == deviceID }),
            let pack = packs[deviceID],
            let device = configuration.devices.first(where: { $0.deviceID == deviceID })
        else { return .success(false) }
        let share = applied.devices[index]
        let (watts, constraints) = setpoint(
            requestedWatts: share.requestedPower, deviceID: deviceID, pack: pack, specifications: device.specifications)
        if onlyWhenItMatters,
            !Self.isWorthRewriting(from: share.appliedPower, to: watts, failedBefore: share.constraintsActive.contains("setpoint_write_failed"))
        {
            return .success(false)
        }
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
            // This pack takes no setpoint (it follows its own limits): there is nothing to rewrite.
            if Self.takesNoSetpoint(error, profile: device.profile) { return .success(false) }
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

    /// Whether a setpoint in force at `applied` W should be rewritten to `clamped` W after a poll: any cut (more
    /// than 1 W, or a reversal), a raise of more than 5 % (so a limit that wavers does not rewrite the pack every
    /// poll), or a write that failed last time.
    static func isWorthRewriting(from applied: Double, to clamped: Double, failedBefore: Bool) -> Bool {
        if failedBefore { return true }
        if applied != 0, clamped != 0, (applied > 0) != (clamped > 0) { return true }
        if abs(clamped) < abs(applied) - 1 { return true }
        return abs(clamped) > abs(applied) * 1.05 + 1
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

    /// The allocation applied with `token` expired: zero power on every pack it set. `false` when it was
    /// replaced meanwhile (also by a redelivery of the same `allocation_id`).
    private func fallBack(token: UInt64) async -> Bool {
        guard var applied = state.withLock({ $0.token == token ? $0.applied : nil }) else { return false }
        for index in applied.devices.indices {
            let deviceID = applied.devices[index].deviceID
            guard let pack = packs[deviceID] else { continue }
            do {
                try await pack.source.apply(powerWatts: 0)
                applied.devices[index].appliedPower = 0
                applied.devices[index].constraintsActive = ["fallback"]
            } catch {
                let profile = configuration.devices.first(where: { $0.deviceID == deviceID })?.profile ?? .sunspec
                if Self.takesNoSetpoint(error, profile: profile) {
                    applied.devices[index].constraintsActive = ["fallback", "no_setpoint_control"]
                } else {
                    // The pack may still hold its share: on record as written, and tried again after each poll.
                    applied.devices[index].constraintsActive = ["fallback", "setpoint_write_failed"]
                    logger.warning("Fallback setpoint not written; trying again after each poll", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
                }
            }
        }
        applied.fallbackActive = true
        let final = applied
        state.withLock { $0.applied = final }
        forgetAllocation()
        logger.notice("Power allocation expired; fallback to zero power", metadata: ["allocation.id": "\(final.allocationID)"])
        return true
    }

    /// Keeps `allocation` for a restart. When that fails, the one kept before is forgotten, so a restart
    /// zeroes the packs rather than resuming an allocation this one replaced.
    private func keep(_ allocation: PowerAllocationMessage, savedAt: Timestamp, expiresAt: Timestamp) {
        do {
            try store.saveAllocation(allocation, savedAt: savedAt, expiresAt: expiresAt)
        } catch {
            logger.warning(
                "Allocation not kept for a restart: a restart zeroes its packs",
                metadata: ["allocation.id": "\(allocation.allocationID)", "error": "\(error)"])
            forgetAllocation()
        }
    }

    /// Forgets the kept allocation (it ended). Should that fail, the next start finds it ended and forgets it
    /// then.
    private func forgetAllocation() {
        do {
            try store.clearAllocation()
        } catch {
            logger.error("Kept allocation not cleared from the store", metadata: ["error": "\(error)"])
        }
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
