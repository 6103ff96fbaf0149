import BMSCore

/// Something that reads a pack and can act on it. One per device.
protocol PackSource: Sendable {
    /// Reads the pack once. `previous` lets a source keep values of sensors that did not answer (as stale).
    func read(at time: Timestamp, previous: PackSnapshot?) async throws(PackSourceError) -> PackSnapshot

    /// Carries out a command on the pack itself.
    func perform(_ command: LocalCommand) async throws(PackSourceError)

    /// Sets the pack's power setpoint, W (> 0 discharge, < 0 charge). Callers clamp it first.
    func apply(powerWatts: Double) async throws(PackSourceError)
}

/// A command the agent writes to a pack on its own authority, with or without a network.
enum LocalCommand: String, Sendable, Hashable, CaseIterable {
    /// Disconnect the pack (SunSpec 802 SetOp = DISCONNECT).
    case openContactors = "open_contactors"
    /// Stop the pack's inverter (SunSpec 802 SetInvState = STOPPED): no charge and no discharge.
    case stopPower = "stop_power"
    /// Reset latched alarms in the pack (SunSpec 802 AlmRst = 1).
    case resetAlarms = "reset_alarms"
    /// Connect the pack and start its inverter (SunSpec 802 SetOp = CONNECT, SetInvState = STARTED): an
    /// operator's command, never a protective action.
    case start = "start"

    /// The local commands a verdict asks for. Derating and one-sided stops bound setpoints instead.
    static func required(by verdict: SafetyVerdict) -> Set<LocalCommand> {
        var commands: Set<LocalCommand> = []
        if verdict.actions.contains(.openContactors) { commands.insert(.openContactors) }
        if verdict.actions.contains(.stopCharge) && verdict.actions.contains(.stopDischarge) { commands.insert(.stopPower) }
        return commands
    }
}

/// Why a read or a command failed.
enum PackSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    case modbus(ModbusError)
    /// The device answered but not as its profile says (no SunSpec marker, no model 802, a broken chain).
    case profileMismatch(String)
    /// A CAN pack is silent, or a frame could not be sent.
    case can(String)

    var description: String {
        switch self {
        case .modbus(let error): error.description
        case .profileMismatch(let reason): reason
        case .can(let reason): reason
        }
    }
}
