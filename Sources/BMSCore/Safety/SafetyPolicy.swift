/// The settings of the safety rules that do not come from the chemistry: spreads, SoC window,
/// communication timeouts, hysteresis and debounce. Defaults are conservative; a site may tune them.
public struct SafetyPolicy: Sendable, Equatable, Codable {
    /// Cell voltage spread (max − min), V, at warning / alarm / critical.
    public var cellVoltageSpread: LevelledLimit
    /// Temperature spread (max − min), K.
    public var temperatureSpread: LevelledLimit
    /// Upper SoC window, %: warning derates charge, alarm stops it (SoC is an estimate: no critical level).
    public var socHigh: LevelledLimit
    /// Lower SoC window, %.
    public var socLow: LevelledLimit
    /// Time without a successful read, s.
    public var communicationLoss: LevelledLimit
    /// Debounce per kind of quantity, in samples.
    public var voltageDebounceSamples: Int
    public var temperatureDebounceSamples: Int
    public var currentDebounceSamples: Int
    /// Release margins.
    public var voltageHysteresisVolts: Double
    public var temperatureHysteresisKelvin: Double
    /// Fraction of the current limit.
    public var currentHysteresisFraction: Double
    public var socHysteresisPercent: Double

    public static let standard = SafetyPolicy(
        cellVoltageSpread: .init(operating: 0.05, recommendedSafety: 0.10, maximumSafety: 0.20, direction: .upper),
        temperatureSpread: .init(operating: 5, recommendedSafety: 8, maximumSafety: 12, direction: .upper),
        socHigh: .init(operating: 95, recommendedSafety: 98, maximumSafety: 100, direction: .upper),
        socLow: .init(operating: 10, recommendedSafety: 5, maximumSafety: 0, direction: .lower),
        communicationLoss: .init(operating: 3, recommendedSafety: 10, maximumSafety: 30, direction: .upper),
        voltageDebounceSamples: 2, temperatureDebounceSamples: 3, currentDebounceSamples: 2,
        voltageHysteresisVolts: 0.02, temperatureHysteresisKelvin: 2, currentHysteresisFraction: 0.05,
        socHysteresisPercent: 2)

    enum CodingKeys: String, CodingKey {
        case cellVoltageSpread = "cell_voltage_spread"
        case temperatureSpread = "temperature_spread"
        case socHigh = "soc_high"
        case socLow = "soc_low"
        case communicationLoss = "communication_loss"
        case voltageDebounceSamples = "voltage_debounce_samples"
        case temperatureDebounceSamples = "temperature_debounce_samples"
        case currentDebounceSamples = "current_debounce_samples"
        case voltageHysteresisVolts = "voltage_hysteresis_volts"
        case temperatureHysteresisKelvin = "temperature_hysteresis_kelvin"
        case currentHysteresisFraction = "current_hysteresis_fraction"
        case socHysteresisPercent = "soc_hysteresis_percent"
    }
}

extension SafetyRule {
    /// The rule set for a pack: one rule per hazard, thresholds from its resolved limits and the policy.
    ///
    /// Temperature actions follow the client's safety analysis: above the discharge operating limit (45 °C)
    /// power is derated to 75 %, above the recommended safety limit (55 °C) to 25 %, above the maximum
    /// safety limit (65 °C) the pack is shut down (contactors open).
    public static func standardRules(limits: SafetyLimits, policy: SafetyPolicy = .standard) -> [SafetyRule] {
        let current = policy.currentHysteresisFraction
        return [
            SafetyRule(
                id: "SAF-OV-01", code: "VOLT_001", flagStem: "high_cell_voltage", category: .voltage,
                quantity: .maxCellVoltage, limit: limits.cellVoltageMax, hysteresis: policy.voltageHysteresisVolts,
                debounceSamples: policy.voltageDebounceSamples, warningActions: [.derateCharge(0.5)],
                alarmActions: [.stopCharge], criticalActions: [.openContactors], summary: "Cell voltage above", unit: "V"),
            SafetyRule(
                id: "SAF-UV-01", code: "VOLT_002", flagStem: "low_cell_voltage", category: .voltage,
                quantity: .minCellVoltage, limit: limits.cellVoltageMin, hysteresis: policy.voltageHysteresisVolts,
                debounceSamples: policy.voltageDebounceSamples, warningActions: [.derateDischarge(0.5)],
                alarmActions: [.stopDischarge], criticalActions: [.openContactors], summary: "Cell voltage below", unit: "V"),
            SafetyRule(
                id: "SAF-OT-01", code: "TEMP_001", flagStem: "high_temp", category: .temperature,
                quantity: .maxTemperature, limit: limits.dischargeTemperatureMax,
                hysteresis: policy.temperatureHysteresisKelvin, debounceSamples: policy.temperatureDebounceSamples,
                warningActions: [.derateCharge(0.75), .derateDischarge(0.75)],
                alarmActions: [.derateCharge(0.25), .derateDischarge(0.25)], criticalActions: [.openContactors],
                summary: "Temperature above", unit: "°C"),
            SafetyRule(
                id: "SAF-OTC-01", code: "TEMP_002", flagStem: "high_charge_temp", category: .temperature,
                quantity: .maxTemperature, limit: limits.chargeTemperatureMax,
                hysteresis: policy.temperatureHysteresisKelvin, debounceSamples: policy.temperatureDebounceSamples,
                warningActions: [.derateCharge(0.75)], alarmActions: [.derateCharge(0.25)],
                criticalActions: [.stopCharge], summary: "Temperature above the charging", unit: "°C"),
            SafetyRule(
                id: "SAF-UTC-01", code: "TEMP_003", flagStem: "low_charge_temp", category: .temperature,
                quantity: .minTemperature, limit: limits.chargeTemperatureMin,
                hysteresis: policy.temperatureHysteresisKelvin, debounceSamples: policy.temperatureDebounceSamples,
                warningActions: [.derateCharge(0.5)], alarmActions: [.derateCharge(0.25)],
                criticalActions: [.stopCharge], summary: "Temperature below the charging", unit: "°C"),
            SafetyRule(
                id: "SAF-UT-01", code: "TEMP_004", flagStem: "low_temp", category: .temperature,
                quantity: .minTemperature, limit: limits.dischargeTemperatureMin,
                hysteresis: policy.temperatureHysteresisKelvin, debounceSamples: policy.temperatureDebounceSamples,
                warningActions: [.derateDischarge(0.75)], alarmActions: [.derateDischarge(0.25)],
                criticalActions: [.stopDischarge], summary: "Temperature below", unit: "°C"),
            SafetyRule(
                id: "SAF-OCC-01", code: "CURR_001", flagStem: "high_charge_current", category: .current,
                quantity: .chargeCurrent, limit: limits.chargeCurrentMax,
                hysteresis: current * limits.chargeCurrentMax.operating, debounceSamples: policy.currentDebounceSamples,
                warningActions: [.derateCharge(0.9)], alarmActions: [.stopCharge], criticalActions: [.openContactors],
                summary: "Charge current above", unit: "A"),
            SafetyRule(
                id: "SAF-OCD-01", code: "CURR_002", flagStem: "high_discharge_current", category: .current,
                quantity: .dischargeCurrent, limit: limits.dischargeCurrentMax,
                hysteresis: current * limits.dischargeCurrentMax.operating,
                debounceSamples: policy.currentDebounceSamples, warningActions: [.derateDischarge(0.9)],
                alarmActions: [.stopDischarge], criticalActions: [.openContactors], summary: "Discharge current above",
                unit: "A"),
            SafetyRule(
                id: "SAF-VS-01", code: "BAL_001", flagStem: "cell_voltage_imbalance", category: .imbalance,
                quantity: .cellVoltageSpread, limit: policy.cellVoltageSpread, hysteresis: policy.voltageHysteresisVolts / 2,
                debounceSamples: policy.voltageDebounceSamples, warningActions: [],
                alarmActions: [.derateCharge(0.5), .derateDischarge(0.5)], criticalActions: [.stopCharge, .stopDischarge],
                summary: "Cell voltage spread above", unit: "V"),
            SafetyRule(
                id: "SAF-TS-01", code: "BAL_002", flagStem: "temp_imbalance", category: .imbalance,
                quantity: .temperatureSpread, limit: policy.temperatureSpread,
                hysteresis: policy.temperatureHysteresisKelvin / 2, debounceSamples: policy.temperatureDebounceSamples,
                warningActions: [], alarmActions: [.derateCharge(0.5), .derateDischarge(0.5)],
                criticalActions: [.stopCharge, .stopDischarge], summary: "Temperature spread above", unit: "K"),
            SafetyRule(
                id: "SAF-SOC-01", code: "SOC_001", flagStem: "high_soc", category: .soc, quantity: .soc,
                limit: policy.socHigh, hysteresis: policy.socHysteresisPercent, debounceSamples: 1,
                warningActions: [.derateCharge(0.5)], alarmActions: [.stopCharge], criticalActions: [.stopCharge],
                summary: "State of charge above", unit: "%"),
            SafetyRule(
                id: "SAF-SOC-02", code: "SOC_002", flagStem: "low_soc", category: .soc, quantity: .soc,
                limit: policy.socLow, hysteresis: policy.socHysteresisPercent, debounceSamples: 1,
                warningActions: [.derateDischarge(0.5)], alarmActions: [.stopDischarge], criticalActions: [.stopDischarge],
                summary: "State of charge below", unit: "%"),
            SafetyRule(
                id: "SAF-COM-01", code: "COMM_001", flagStem: "communication_loss", category: .communication,
                quantity: .secondsSinceLastRead, limit: policy.communicationLoss, hysteresis: 0, debounceSamples: 1,
                warningActions: [], alarmActions: [.stopCharge, .stopDischarge],
                criticalActions: [.stopCharge, .stopDischarge], summary: "No answer from the pack for more than",
                unit: "s"),
        ]
    }
}
