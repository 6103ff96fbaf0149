/// Whether a cloud command may run on a pack now: the command's own `safety_checks` and the local state.
///
/// Stopping and shutting down are always allowed; starting is refused while the pack is in maintenance, a
/// critical fault is latched, local protection has stopped that direction, the pack cannot be read, or a
/// value is at or beyond the command's constraint.
///
/// The pack's own BMS allowance (`PackSnapshot.packChargeCurrentLimit` / `packDischargeCurrentLimit`) does
/// not refuse a start: a start sets no power or current, and a BMS may report 0 A and the direction disabled
/// exactly because the pack is stopped (the simulator's CAN pack does), so refusing on it could leave a
/// stopped pack unable to start. The power a started pack runs at comes only from setpoints, and every
/// setpoint the agent applies passes `SetpointClamp`, which holds it inside that allowance. The command
/// parameters `target_power` and `max_current` are not applied by the agent; applying them would have to
/// go through `SetpointClamp` too.
public enum CommandSafetyCheck {
    /// The reason to refuse, or `nil` to go ahead.
    public static func refusal(
        command: CommandType, checks: SafetyChecks?, snapshot: PackSnapshot?, verdict: SafetyVerdict?,
        criticalLatched: Bool, maintenance: Bool
    ) -> String? {
        let charging: Bool
        switch command {
        case .emergencyShutdown, .stopCharge, .stopDischarge, .requestStatus, .updateParameters: return nil
        case .startCharge: charging = true
        case .startDischarge: charging = false
        }
        if maintenance { return "the pack is in maintenance mode" }
        if criticalLatched { return "a critical fault is latched; reset it first" }
        guard let snapshot, let verdict, snapshot.voltage?.isStale == false else {
            return "the pack's state is not known (no fresh reading), so the command cannot be checked"
        }
        if charging && verdict.chargeCurrentLimit <= 0 { return "local protection has stopped charging" }
        if !charging && verdict.dischargeCurrentLimit <= 0 { return "local protection has stopped discharging" }

        guard let checks, checks.required else { return nil }
        let input = SafetyInput(snapshot)
        let constraints = checks.constraints
        if charging, let limit = constraints.maxCellVoltage, let highest = input[.maxCellVoltage]?.value, highest >= limit {
            return "highest cell voltage \(format(highest)) V is at or above the constraint \(format(limit)) V"
        }
        if !charging, let limit = constraints.minCellVoltage, let lowest = input[.minCellVoltage]?.value, lowest <= limit {
            return "lowest cell voltage \(format(lowest)) V is at or below the constraint \(format(limit)) V"
        }
        if let limit = constraints.maxTemperature, let hottest = input[.maxTemperature]?.value, hottest >= limit {
            return "temperature \(format(hottest)) °C is at or above the constraint \(format(limit)) °C"
        }
        if charging, let limit = constraints.maxSoC, let soc = input[.soc]?.value, soc >= limit {
            return "state of charge \(format(soc)) % is at or above the constraint \(format(limit)) %"
        }
        if !charging, let limit = constraints.minSoC, let soc = input[.soc]?.value, soc <= limit {
            return "state of charge \(format(soc)) % is at or below the constraint \(format(limit)) %"
        }
        return nil
    }
}
