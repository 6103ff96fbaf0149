/// A protective action the agent carries out on a pack.
public enum ProtectiveAction: Sendable, Hashable, CustomStringConvertible {
    /// Limit charge current to a fraction of its operating limit.
    case derateCharge(Double)
    /// Limit discharge current to a fraction of its operating limit.
    case derateDischarge(Double)
    case stopCharge
    case stopDischarge
    /// Disconnect the pack (SunSpec 802 SetOp = DISCONNECT): the emergency shutdown.
    case openContactors

    public var description: String {
        switch self {
        case .derateCharge(let fraction): "derate charge to \(format(fraction * 100)) %"
        case .derateDischarge(let fraction): "derate discharge to \(format(fraction * 100)) %"
        case .stopCharge: "stop charge"
        case .stopDischarge: "stop discharge"
        case .openContactors: "open contactors"
        }
    }
}

/// What a safety rule watches, computed from a snapshot.
public enum SafetyQuantity: String, Sendable, CaseIterable {
    case maxCellVoltage = "max_cell_voltage"
    case minCellVoltage = "min_cell_voltage"
    case maxTemperature = "max_temperature"
    case minTemperature = "min_temperature"
    /// Charge current as a magnitude, A (0 while discharging).
    case chargeCurrent = "charge_current"
    /// Discharge current as a magnitude, A (0 while charging).
    case dischargeCurrent = "discharge_current"
    case cellVoltageSpread = "cell_voltage_spread"
    case temperatureSpread = "temperature_spread"
    case soc
    case secondsSinceLastRead = "seconds_since_last_read"

    /// The key under which an alarm's `data` carries the measured value.
    var dataKey: String {
        switch self {
        case .maxCellVoltage, .minCellVoltage: "voltage"
        case .maxTemperature, .minTemperature: "temperature"
        case .chargeCurrent, .dischargeCurrent: "current"
        case .cellVoltageSpread: "spread_volts"
        case .temperatureSpread: "spread_kelvin"
        case .soc: "soc"
        case .secondsSinceLastRead: "seconds_since_last_read"
        }
    }
}

/// One safety rule: a quantity, its three levels, and what happens at each.
///
/// A level is violated when the value is strictly beyond its threshold (above for an upper limit, below for
/// a lower one). It trips after `debounceSamples` net violations (foxBMS up/down counter: +1 per violating
/// sample, −1 per clear sample) and releases after as many clear samples, where *clear* means back inside
/// the threshold by at least `hysteresis`; samples in between leave the counter alone. A tripped critical
/// level is latched until `SafetyMonitor.reset()`.
public struct SafetyRule: Sendable, Equatable {
    /// Requirement id, e.g. `SAF-OV-01`; listed in docs/safety-rules.md.
    public var id: String
    /// Alarm code on the wire, e.g. `VOLT_001`.
    public var code: String
    /// Alarm flag stem; the flag is `<stem>_<severity>`, e.g. `high_temp_warning`.
    public var flagStem: String
    public var category: AlertCategory
    public var quantity: SafetyQuantity
    public var limit: LevelledLimit
    public var hysteresis: Double
    public var debounceSamples: Int
    /// Actions while the warning, alarm and critical levels are active.
    public var warningActions: [ProtectiveAction]
    public var alarmActions: [ProtectiveAction]
    public var criticalActions: [ProtectiveAction]
    /// Human summary, e.g. "Cell voltage above".
    public var summary: String
    /// The unit of the quantity, for messages.
    public var unit: String

    public init(
        id: String, code: String, flagStem: String, category: AlertCategory, quantity: SafetyQuantity,
        limit: LevelledLimit, hysteresis: Double, debounceSamples: Int, warningActions: [ProtectiveAction],
        alarmActions: [ProtectiveAction], criticalActions: [ProtectiveAction], summary: String, unit: String
    ) {
        self.id = id
        self.code = code
        self.flagStem = flagStem
        self.category = category
        self.quantity = quantity
        self.limit = limit
        self.hysteresis = hysteresis
        self.debounceSamples = max(1, debounceSamples)
        self.warningActions = warningActions
        self.alarmActions = alarmActions
        self.criticalActions = criticalActions
        self.summary = summary
        self.unit = unit
    }

    /// The actions of one level.
    public func actions(at severity: Severity) -> [ProtectiveAction] {
        switch severity {
        case .info: []
        case .warning: warningActions
        case .alarm: alarmActions
        case .critical: criticalActions
        }
    }

    /// Whether `value` is beyond the threshold of `severity`.
    func violates(_ value: Double, _ severity: Severity) -> Bool {
        guard let threshold = limit.threshold(severity) else { return false }
        return limit.direction == .upper ? value > threshold : value < threshold
    }

    /// Whether `value` is back inside the threshold of `severity` by at least the hysteresis.
    func clears(_ value: Double, _ severity: Severity) -> Bool {
        guard let threshold = limit.threshold(severity) else { return true }
        return limit.direction == .upper ? value <= threshold - hysteresis : value >= threshold + hysteresis
    }
}
