/// A requested power setpoint held inside a pack's local limits.
///
/// The allowed power is the verdict's derated current limit times the pack voltage, and never more than the
/// pack's nameplate power. A pack without a fresh reading gets zero.
///
/// Names of the limit that cut a request: `max_discharge_power` / `max_charge_power` (nameplate);
/// `temperature_derate` when the verdict's current limit binds and temperature sets it
/// (`SafetyVerdict.dischargeDeratedForTemperature` / `chargeDeratedForTemperature`), else
/// `discharge_current_limit` / `charge_current_limit`; `stopped_by_protection` when that limit is zero.
public enum SetpointClamp {
    /// The applied power (> 0 discharge, < 0 charge) and the names of the limits that cut the request.
    public static func clamp(
        requestedWatts: Double, snapshot: PackSnapshot?, verdict: SafetyVerdict?, specifications: DeviceSpecifications
    ) -> (watts: Double, constraints: [String]) {
        guard requestedWatts.isFinite else { return (0, ["invalid_request"]) }
        guard let snapshot, let verdict, let volts = snapshot.voltage?.freshValue, volts > 0 else {
            return (0, ["offline"])
        }
        if requestedWatts == 0 { return (0, []) }
        let discharging = requestedWatts > 0
        let protectionLimit = (discharging ? verdict.dischargeCurrentLimit : verdict.chargeCurrentLimit) * volts
        let nameplate = (discharging ? specifications.maxDischargePowerWatts : specifications.maxChargePowerWatts) ?? .infinity
        if protectionLimit <= 0 {
            return (0, ["stopped_by_protection"])
        }
        let magnitude = min(abs(requestedWatts), protectionLimit, nameplate)
        // Name the limits the applied value sits on (the tightest), not every limit the request exceeded.
        var constraints: [String] = []
        if magnitude < abs(requestedWatts) {
            if magnitude == protectionLimit {
                let byTemperature = discharging ? verdict.dischargeDeratedForTemperature : verdict.chargeDeratedForTemperature
                let name = discharging ? "discharge_current_limit" : "charge_current_limit"
                constraints.append(byTemperature ? "temperature_derate" : name)
            }
            if magnitude == nameplate { constraints.append(discharging ? "max_discharge_power" : "max_charge_power") }
        }
        return (discharging ? magnitude : -magnitude, constraints)
    }
}
