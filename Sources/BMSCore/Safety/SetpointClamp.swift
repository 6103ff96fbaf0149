/// A requested power setpoint held inside a pack's local limits and inside what the pack's own BMS allows.
///
/// A pack in maintenance (SAF-MNT-01, docs/safety-rules.md: `maintenance_mode`, set by `update_parameters`)
/// is out of service: it gets zero, named `maintenance`, whatever was asked and whatever it reads.
///
/// Otherwise the applied power is the request cut, in its direction, to the least of:
/// - the safety verdict's derated current limit times the pack voltage;
/// - the pack's own BMS allowance (`PackSnapshot.packDischargeCurrentLimit` / `packChargeCurrentLimit`, A)
///   times the pack voltage (SAF-PCL-01, docs/safety-rules.md);
/// - the pack's nameplate power (`DeviceSpecifications`);
/// - the operator's power limit, when one is set (SAF-OPL-01, docs/safety-rules.md): a fraction of the
///   nameplate power in the request's direction (`power_limit_percent` / 100, set by `update_parameters`), or,
///   for a pack without a nameplate power in that direction, of the local protection limit in force.
///
/// The operator's power limit only ever lowers a setpoint. A fraction of 1 or more has no effect; 0 — or
/// one that is negative or not a finite number — stops both directions.
///
/// Currents become power as P = I · V with the snapshot's fresh pack voltage. A pack without a fresh, finite,
/// positive voltage (or without a verdict) gets zero (`offline`), so no current limit is ever converted at an
/// unknown or old voltage. It is the voltage when the setpoint is clamped: a pack's voltage sags as it
/// discharges harder, so a setpoint on a discharge limit can draw somewhat more current than the limit until
/// the setpoint is clamped again (the agent re-clamps the allocation in force after every poll that moves it).
///
/// The pack's allowance is trusted only to lower a setpoint, never to permit more: a stale allowance still
/// caps (it is the pack's last word, and losing its frame or register must not lift it), an allowance of 0 —
/// fresh or stale — stops that direction, and one that is negative or not a finite number counts as 0. A
/// pack that reports no allowance is bounded by the other limits alone.
///
/// Names of the limit that cut a request (the one the applied value sits on; several when they tie):
/// `temperature_derate` when the verdict's current limit binds and temperature sets it
/// (`SafetyVerdict.dischargeDeratedForTemperature` / `chargeDeratedForTemperature`), else
/// `discharge_current_limit` / `charge_current_limit`; `pack_discharge_current_limit` /
/// `pack_charge_current_limit` when the pack's own allowance binds, also when it is 0 and stops the
/// direction; `max_discharge_power` / `max_charge_power` (nameplate); `power_limit` (the operator's power
/// limit), also when it is 0 and stops the direction; `stopped_by_protection` when the verdict's limit is zero;
/// `maintenance` alone for a pack in maintenance, also for a request of zero.
/// Local protection wins the name: a direction the verdict or the pack's allowance stops is named for them
/// (maintenance excepted: it takes the whole pack out of service).
public enum SetpointClamp {
    /// The applied power (> 0 discharge, < 0 charge) and the names of the limits that cut the request.
    ///
    /// - Parameters:
    ///   - powerLimitFraction: the operator's power limit as a fraction of the nameplate power (0…1; `nil` for
    ///     none), see the type's description.
    ///   - maintenance: the pack is in maintenance: zero, named `maintenance` (SAF-MNT-01).
    public static func clamp(
        requestedWatts: Double, snapshot: PackSnapshot?, verdict: SafetyVerdict?, specifications: DeviceSpecifications,
        powerLimitFraction: Double? = nil, maintenance: Bool = false
    ) -> (watts: Double, constraints: [String]) {
        if maintenance { return (0, ["maintenance"]) }
        guard requestedWatts.isFinite else { return (0, ["invalid_request"]) }
        guard let snapshot, let verdict, let volts = snapshot.voltage?.freshValue, volts.isFinite, volts > 0 else {
            return (0, ["offline"])
        }
        if requestedWatts == 0 { return (0, []) }
        let discharging = requestedWatts > 0
        let protectionLimit = (discharging ? verdict.dischargeCurrentLimit : verdict.chargeCurrentLimit) * volts
        // Fresh or stale, the pack's allowance only ever lowers the setpoint (see the type's description).
        let packAllowance = discharging ? snapshot.packDischargeCurrentLimit : snapshot.packChargeCurrentLimit
        let packLimit = packAllowance.map { PackSnapshot.currentLimit(amps: $0.value) * volts } ?? .infinity
        let packName = discharging ? "pack_discharge_current_limit" : "pack_charge_current_limit"
        let rated = discharging ? specifications.maxDischargePowerWatts : specifications.maxChargePowerWatts
        let nameplate = rated ?? .infinity
        // Without a nameplate in this direction the percentage is of what local protection allows now.
        let operatorLimit = operatorPowerLimit(fraction: powerLimitFraction, ratedWatts: rated ?? protectionLimit)
        if protectionLimit <= 0 {
            return (0, ["stopped_by_protection"])
        }
        if packLimit <= 0 {
            return (0, [packName])
        }
        if operatorLimit <= 0 {
            return (0, ["power_limit"])
        }
        let magnitude = min(abs(requestedWatts), protectionLimit, packLimit, nameplate, operatorLimit)
        // Name the limits the applied value sits on (the tightest), not every limit the request exceeded.
        var constraints: [String] = []
        if magnitude < abs(requestedWatts) {
            if magnitude == protectionLimit {
                let byTemperature = discharging ? verdict.dischargeDeratedForTemperature : verdict.chargeDeratedForTemperature
                let name = discharging ? "discharge_current_limit" : "charge_current_limit"
                constraints.append(byTemperature ? "temperature_derate" : name)
            }
            if magnitude == packLimit { constraints.append(packName) }
            if magnitude == nameplate { constraints.append(discharging ? "max_discharge_power" : "max_charge_power") }
            if magnitude == operatorLimit { constraints.append("power_limit") }
        }
        return (discharging ? magnitude : -magnitude, constraints)
    }

    /// The operator's power limit in one direction, W: `fraction` of `ratedWatts`; unbounded without a limit
    /// or at 1 and above; 0 for 0, a negative or non-finite fraction, or a fraction below 1 without a usable
    /// rating (SAF-OPL-01).
    static func operatorPowerLimit(fraction: Double?, ratedWatts: Double?) -> Double {
        guard let fraction else { return .infinity }
        guard fraction.isFinite, fraction > 0 else { return 0 }
        if fraction >= 1 { return .infinity }
        guard let ratedWatts, ratedWatts.isFinite, ratedWatts > 0 else { return 0 }
        return fraction * ratedWatts
    }
}
