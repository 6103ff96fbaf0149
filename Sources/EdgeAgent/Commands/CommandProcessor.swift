import BMSCore
import Foundation
import Logging
import PulseMQTT

/// Executes cloud commands on packs, only after local safety checks, and reports every lifecycle step on
/// `pulsebms/{site}/{device}/responses`: acknowledged → executing → completed / failed / timeout.
final class CommandProcessor: Sendable {
    struct Pack: Sendable {
        let poller: DevicePoller<ContinuousClock>
        let source: any PackSource
    }

    let siteID: String
    private let packs: [String: Pack]
    private let store: CommandStore
    private let client: MosquittoClient
    private let birth: BirthAnnouncer
    private let logger: Logger
    /// Called with the pack's id after `update_parameters` saved its runtime parameters, before the command
    /// completes: the agent re-clamps the pack's share of the allocation in force
    /// (`AllocationProcessor.reapply(deviceID:)`). Throws when the new setpoint could not be written.
    private let onParametersChanged: @Sendable (_ deviceID: String) async throws -> Void

    init(
        siteID: String, packs: [String: Pack], store: CommandStore, client: MosquittoClient, birth: BirthAnnouncer, logger: Logger,
        onParametersChanged: @escaping @Sendable (_ deviceID: String) async throws -> Void
    ) {
        self.siteID = siteID
        self.packs = packs
        self.store = store
        self.client = client
        self.birth = birth
        self.logger = logger
        self.onParametersChanged = onParametersChanged
    }

    /// Handles one message from `pulsebms/{site}/+/commands`.
    func handle(_ message: MQTTMessage) async {
        guard case .device(let site, let device, .commands)? = try? MQTTTopic(parsing: message.topic),
            site.rawValue == siteID
        else { return }
        let deviceID = device.rawValue
        let command: CommandMessage
        do {
            command = try WireCoding.decode(CommandMessage.self, from: message.payload)
        } catch {
            let commandID = (try? WireCoding.decodeTree(from: message.payload))?["command_id"]?.stringValue ?? "unknown"
            await respond(
                commandID: commandID, deviceID: deviceID, status: .failed, "malformed command",
                errors: [FieldError(field: error.path, message: error.reason)])
            return
        }
        guard let pack = packs[deviceID] else {
            await respond(commandID: command.commandID, deviceID: deviceID, status: .failed, "no pack '\(deviceID)' at this site")
            return
        }
        do {
            guard try store.claim(commandID: command.commandID, deviceID: deviceID, at: Timestamp(Date())) else {
                // A redelivery: answer with what we said last, execute nothing.
                if let last = try store.lastResponse(commandID: command.commandID) { await publish(last) }
                return
            }
        } catch {
            logger.error("Command store failed", metadata: ["command.id": "\(command.commandID)", "error": "\(error)"])
            await respond(commandID: command.commandID, deviceID: deviceID, status: .failed, "the agent cannot record commands: \(error)")
            return
        }
        await respond(commandID: command.commandID, deviceID: deviceID, status: .acknowledged, "received")
        // A command delivered after its timeout (an agent that was offline while the broker held it) is not
        // run: its sender has already given up on it. An emergency shutdown is always run.
        let age = Timestamp(Date()).millisecondsSinceEpoch - command.timestamp.millisecondsSinceEpoch
        if command.command.type != .emergencyShutdown, age > Int64(command.command.timeoutSeconds) * 1000 {
            await respond(
                commandID: command.commandID, deviceID: deviceID, status: .timeout,
                "expired: delivered \(age / 1000) s after it was sent, beyond its \(command.command.timeoutSeconds) s timeout")
            return
        }

        let latest = pack.poller.latest
        // A store that cannot be read counts as maintenance, as it does for allocations.
        let maintenance = (try? store.maintenanceMode(deviceID: deviceID)) ?? true
        if let refusal = CommandSafetyCheck.refusal(
            command: command.command.type, checks: command.safetyChecks, snapshot: latest?.snapshot,
            verdict: latest?.verdict, criticalLatched: pack.poller.hasLatchedFault, maintenance: maintenance)
        {
            await respond(commandID: command.commandID, deviceID: deviceID, status: .failed, "refused: \(refusal)")
            return
        }
        await respond(commandID: command.commandID, deviceID: deviceID, status: .executing, "executing \(command.command.type.rawValue)")
        let timeout = Duration.seconds(max(1, min(300, command.command.timeoutSeconds)))
        let outcome = await withTaskGroup(of: Result<String, CommandFailure>?.self) { group in
            group.addTask { await self.execute(command, on: pack, deviceID: deviceID) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case .success(let message)?:
            await respond(commandID: command.commandID, deviceID: deviceID, status: .completed, message)
        case .failure(let failure)?:
            await respond(commandID: command.commandID, deviceID: deviceID, status: .failed, failure.reason)
        case nil:
            await respond(
                commandID: command.commandID, deviceID: deviceID, status: .timeout,
                "no result within \(command.command.timeoutSeconds) s")
        }
    }

    struct CommandFailure: Error {
        var reason: String
    }

    private func execute(_ command: CommandMessage, on pack: Pack, deviceID: String) async -> Result<String, CommandFailure> {
        func perform(_ local: LocalCommand) async -> Result<String, CommandFailure> {
            do {
                try await pack.source.perform(local)
                return .success("\(local.rawValue) done")
            } catch {
                return .failure(CommandFailure(reason: "\(local.rawValue) failed: \(error)"))
            }
        }
        switch command.command.type {
        case .emergencyShutdown:
            return await perform(.openContactors)
        case .stopCharge, .stopDischarge:
            return await perform(.stopPower)
        case .startCharge, .startDischarge:
            let result = await perform(.start)
            if case .success = result { pack.poller.operatorStarted() }
            return result
        case .requestStatus:
            do {
                try await birth.announce(device: deviceID, on: client)
                return .success("status published")
            } catch {
                return .failure(CommandFailure(reason: "status not published: \(error)"))
            }
        case .updateParameters:
            return await updateParameters(command.command.parameters, deviceID: deviceID)
        }
    }

    /// Sets the runtime parameters (`RuntimeParameter`): every one is checked, then all are saved or none;
    /// anything else is refused by name. Once saved, the pack's share of the allocation in force is clamped
    /// again and written, so `completed` means the pack already runs within the new parameters.
    private func updateParameters(_ parameters: JSONObject, deviceID: String) async -> Result<String, CommandFailure> {
        let result = RuntimeParameter.update(parameters, deviceID: deviceID, in: store)
        guard case .success(let saved) = result, !parameters.isEmpty else { return result }
        do {
            try await onParametersChanged(deviceID)
        } catch {
            return .failure(CommandFailure(reason: "\(saved) saved, but the setpoint in force was not rewritten: \(error)"))
        }
        return result
    }

    private func respond(
        commandID: String, deviceID: String, status: CommandStatus, _ message: String, errors: [FieldError]? = nil
    ) async {
        let response = CommandResponseMessage(
            commandID: commandID, deviceID: deviceID, timestamp: Timestamp(Date()), status: status, message: message, errors: errors)
        try? store.update(commandID: commandID, response: response)
        await publish(response)
        logger.info(
            "Command \(status.rawValue)", metadata: ["command.id": "\(commandID)", "pack.id": "\(deviceID)", "message": "\(message)"])
    }

    private func publish(_ response: CommandResponseMessage) async {
        guard let site = try? TopicIdentifier(siteID), let device = try? TopicIdentifier(response.deviceID),
            let payload = try? WireCoding.encode(response)
        else { return }
        do {
            try await client.publish(MQTTTopic.device(site: site, device: device, .responses).path, payload: Array(payload), qos: .atLeastOnce)
        } catch {
            logger.warning("Command response not published", metadata: ["command.id": "\(response.commandID)", "error": "\(error)"])
        }
    }
}
