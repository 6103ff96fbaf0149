/// The safety state machine of one pack: debounced, hysteretic, latching evaluation of its rules.
///
/// Pure and deterministic: feed it one `SafetyInput` per sample and carry out the verdict's actions.
public struct SafetyMonitor: Sendable {
    public let rules: [SafetyRule]
    public let limits: SafetyLimits
    private var states: [RuleState]

    /// A monitor for a pack with these limits, with `standardRules` unless other rules are given.
    public init(limits: SafetyLimits, policy: SafetyPolicy = .standard, rules: [SafetyRule]? = nil) {
        self.limits = limits
        self.rules = rules ?? SafetyRule.standardRules(limits: limits, policy: policy)
        self.states = Array(repeating: RuleState(), count: self.rules.count)
    }

    /// Evaluates one sample.
    public mutating func evaluate(_ input: SafetyInput) -> SafetyVerdict {
        var transitions: [AlarmTransition] = []
        for index in rules.indices {
            let rule = rules[index]
            let before = states[index].severity
            if let value = input[rule.quantity] {
                states[index].update(rule: rule, value: value)
            }
            let after = states[index].severity
            if before != after {
                transitions.append(AlarmTransition(ruleID: rule.id, code: rule.code, from: before, to: after))
            }
        }
        return verdict(input: input, transitions: transitions)
    }

    /// Releases latched critical faults whose cause has cleared; the others stay latched.
    public mutating func reset() -> SafetyResetOutcome {
        var released: [String] = []
        var refused: [String] = []
        for index in rules.indices where states[index].latched {
            if states[index].criticalConditionCleared {
                states[index].latched = false
                states[index].levels[2].active = false
                released.append(rules[index].id)
            } else {
                refused.append(rules[index].id)
            }
        }
        return SafetyResetOutcome(released: released, stillLatched: refused)
    }

    /// Ids of the rules whose critical level is latched.
    public var latchedRuleIDs: [String] {
        rules.indices.filter { states[$0].latched }.map { rules[$0].id }
    }

    // MARK: - Verdict

    private func verdict(input: SafetyInput, transitions: [AlarmTransition]) -> SafetyVerdict {
        var alarms: [AlarmDetail] = []
        var flags: [String] = []
        var chargeFactor = 1.0
        var dischargeFactor = 1.0
        var stopCharge = false
        var stopDischarge = false
        var openContactors = false
        // What the temperature rules alone allow, to tell whether temperature sets the limits.
        var temperatureChargeFactor = 1.0
        var temperatureDischargeFactor = 1.0

        for index in rules.indices {
            guard let severity = states[index].severity else { continue }
            let rule = rules[index]
            let isTemperature = rule.category == .temperature
            for action in rule.actions(at: severity) {
                switch action {
                case .derateCharge(let fraction):
                    chargeFactor = min(chargeFactor, fraction)
                    if isTemperature { temperatureChargeFactor = min(temperatureChargeFactor, fraction) }
                case .derateDischarge(let fraction):
                    dischargeFactor = min(dischargeFactor, fraction)
                    if isTemperature { temperatureDischargeFactor = min(temperatureDischargeFactor, fraction) }
                case .stopCharge:
                    stopCharge = true
                    if isTemperature { temperatureChargeFactor = 0 }
                case .stopDischarge:
                    stopDischarge = true
                    if isTemperature { temperatureDischargeFactor = 0 }
                case .openContactors:
                    openContactors = true
                    if isTemperature {
                        temperatureChargeFactor = 0
                        temperatureDischargeFactor = 0
                    }
                }
            }
            let flag = "\(rule.flagStem)_\(severity.rawValue)"
            flags.append(flag)
            alarms.append(alarm(rule: rule, severity: severity, value: input[rule.quantity] ?? states[index].lastValue))
        }

        // Continuous taper near the cell voltage limits: full current up to the operating limit, none at
        // the recommended safety limit (the charge side by the highest cell, the discharge side by the lowest).
        // A stale sample keeps the last known value: the taper must not lift without data that justifies it.
        if let highest = input[.maxCellVoltage]?.value ?? lastValue(of: .maxCellVoltage) {
            chargeFactor = min(chargeFactor, taper(highest, from: limits.cellVoltageMax.operating, to: limits.cellVoltageMax.recommendedSafety))
        }
        if let lowest = input[.minCellVoltage]?.value ?? lastValue(of: .minCellVoltage) {
            dischargeFactor = min(dischargeFactor, taper(lowest, from: limits.cellVoltageMin.operating, to: limits.cellVoltageMin.recommendedSafety))
        }
        if openContactors {
            stopCharge = true
            stopDischarge = true
        }
        if stopCharge { chargeFactor = 0 }
        if stopDischarge { dischargeFactor = 0 }

        var actions: [ProtectiveAction] = []
        if openContactors { actions.append(.openContactors) }
        if stopCharge { actions.append(.stopCharge) }
        if stopDischarge { actions.append(.stopDischarge) }
        if !stopCharge && chargeFactor < 1 { actions.append(.derateCharge(chargeFactor)) }
        if !stopDischarge && dischargeFactor < 1 { actions.append(.derateDischarge(dischargeFactor)) }

        alarms.sort { ($0.severity, $1.code) > ($1.severity, $0.code) }
        return SafetyVerdict(
            alarms: alarms, flags: flags, actions: actions,
            chargeCurrentLimit: limits.chargeCurrentMax.operating * chargeFactor,
            dischargeCurrentLimit: limits.dischargeCurrentMax.operating * dischargeFactor,
            transitions: transitions, latchedRuleIDs: latchedRuleIDs,
            // Every temperature action also went into the merged factor, so the merged factor is never above the
            // temperature one: temperature sets the limit when nothing else cut deeper.
            chargeDeratedForTemperature: temperatureChargeFactor < 1 && temperatureChargeFactor <= chargeFactor,
            dischargeDeratedForTemperature: temperatureDischargeFactor < 1 && temperatureDischargeFactor <= dischargeFactor)
    }

    private func lastValue(of quantity: SafetyQuantity) -> Double? {
        rules.indices.first { rules[$0].quantity == quantity }.flatMap { states[$0].lastValue?.value }
    }

    private func taper(_ value: Double, from start: Double, to end: Double) -> Double {
        let fraction = (value - start) / (end - start)
        return min(1, max(0, 1 - fraction))
    }

    private func alarm(rule: SafetyRule, severity: Severity, value: SafetyInput.Value?) -> AlarmDetail {
        let threshold = rule.limit.threshold(severity) ?? .nan
        let levelName: String
        switch severity {
        case .warning: levelName = "operating limit"
        case .alarm: levelName = "recommended safety limit"
        case .critical: levelName = "maximum safety limit"
        case .info: levelName = "limit"
        }
        var data: JSONObject = ["threshold": .number(threshold), "rule": .string(rule.id)]
        if let value {
            data[rule.quantity.dataKey] = .number(value.value)
            if let cell = value.cellNumber { data["cell_number"] = .number(Double(cell)) }
        }
        return AlarmDetail(
            code: rule.code, severity: severity,
            message: "\(rule.summary) \(levelName) (\(format(threshold)) \(rule.unit))", data: data)
    }
}

/// What the safety monitor concluded from one sample.
public struct SafetyVerdict: Sendable, Equatable {
    /// Active alarms, most severe first, one per rule at its highest active level.
    public var alarms: [AlarmDetail]
    /// Alarm flags such as `high_temp_warning`.
    public var flags: [String]
    /// What to do now, merged over all rules: contactors, stops, then the tightest derating.
    public var actions: [ProtectiveAction]
    /// Charge current allowed now, A.
    public var chargeCurrentLimit: Double
    /// Discharge current allowed now, A.
    public var dischargeCurrentLimit: Double
    /// Levels that changed with this sample: publish these at once.
    public var transitions: [AlarmTransition]
    public var latchedRuleIDs: [String]
    /// Whether temperature sets `chargeCurrentLimit`: a rule of the temperature category (SAF-OT-01, SAF-OTC-01,
    /// SAF-UTC-01 in the standard set) derates or stops charging, and no other rule nor the cell-voltage taper
    /// cuts it further. Reported as `temperature_derate` by `SetpointClamp`.
    public var chargeDeratedForTemperature: Bool = false
    /// Whether temperature sets `dischargeCurrentLimit` (SAF-OT-01, SAF-UT-01 in the standard set), as for charge.
    public var dischargeDeratedForTemperature: Bool = false

    /// The most severe active level.
    public var highestSeverity: Severity? { alarms.map(\.severity).max() }

    /// The alarms block of a telemetry message.
    public var alarmSummary: AlarmSummary {
        AlarmSummary(activeCount: alarms.count, flags: flags, details: alarms)
    }
}

/// A rule's level changed: raised (`from` nil), escalated, lowered or cleared (`to` nil).
public struct AlarmTransition: Sendable, Equatable {
    public var ruleID: String
    public var code: String
    public var from: Severity?
    public var to: Severity?
}

/// The result of a reset request.
public struct SafetyResetOutcome: Sendable, Equatable {
    /// Rules whose latch was released.
    public var released: [String]
    /// Rules still latched because their cause is still present.
    public var stillLatched: [String]
}

/// The debounce state of one rule.
struct RuleState: Sendable {
    struct Level: Sendable {
        var counter = 0
        var active = false
    }

    /// Warning, alarm, critical.
    var levels = [Level(), Level(), Level()]
    var latched = false
    var lastValue: SafetyInput.Value?

    static let severities: [Severity] = [.warning, .alarm, .critical]

    var severity: Severity? {
        if latched { return .critical }
        for index in stride(from: 2, through: 0, by: -1) where levels[index].active { return Self.severities[index] }
        return nil
    }

    var criticalConditionCleared: Bool { levels[2].counter == 0 }

    mutating func update(rule: SafetyRule, value: SafetyInput.Value) {
        lastValue = value
        for (index, severity) in Self.severities.enumerated() {
            if rule.violates(value.value, severity) {
                levels[index].counter = min(levels[index].counter + 1, rule.debounceSamples)
                if levels[index].counter >= rule.debounceSamples {
                    levels[index].active = true
                    if severity == .critical { latched = true }
                }
            } else if rule.clears(value.value, severity) {
                levels[index].counter = max(levels[index].counter - 1, 0)
                if levels[index].counter == 0 && !(severity == .critical && latched) {
                    levels[index].active = false
                }
            }
        }
    }
}
