import BMSCore

/// A runtime parameter that `update_parameters` may set on a pack, kept per pack in the `CommandStore` so
/// that it survives a restart.
enum RuntimeParameter: String, CaseIterable, Sendable {
    /// `true` refuses every start (`CommandSafetyCheck`); stops and shutdowns still run.
    case maintenanceMode = "maintenance_mode"
    /// Percent (0…100) of the pack's nameplate power (`specifications.max_charge_power` /
    /// `max_discharge_power`) that every setpoint the agent applies is held to (`SetpointClamp`, named
    /// `power_limit`); 100 lifts the limit.
    case powerLimitPercent = "power_limit_percent"

    /// The values `power_limit_percent` accepts, percent.
    static let powerLimitPercentRange: ClosedRange<Double> = 0...100

    /// The names a command may set, sorted, for messages.
    static var names: [String] { allCases.map(\.rawValue).sorted() }

    /// What the parameter accepts, as said in a refusal.
    var requirement: String {
        switch self {
        case .maintenanceMode:
            return "true or false"
        case .powerLimitPercent:
            let range = Self.powerLimitPercentRange
            return "a number from \(formatNumber(range.lowerBound)) to \(formatNumber(range.upperBound))"
        }
    }

    /// The text stored for `value`, or `nil` when the parameter does not accept it.
    func storedText(for value: JSONValue) -> String? {
        switch (self, value) {
        case (.maintenanceMode, .bool(let flag)):
            return flag ? "true" : "false"
        case (.powerLimitPercent, .number(let percent)) where percent.isFinite && Self.powerLimitPercentRange.contains(percent):
            return formatNumber(percent)
        default:
            return nil
        }
    }

    /// Checks every member of an `update_parameters` command before anything is saved: the texts to store,
    /// or one failure that names every unknown member and every refused value.
    static func parse(_ parameters: JSONObject) -> Result<[RuntimeParameter: String], CommandProcessor.CommandFailure> {
        var problems: [String] = []
        let unknown = parameters.keys.filter { RuntimeParameter(rawValue: $0) == nil }.sorted()
        if !unknown.isEmpty {
            problems.append("not a runtime parameter: \(unknown.joined(separator: ", ")) (allowed: \(names.joined(separator: ", ")))")
        }
        var texts: [RuntimeParameter: String] = [:]
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let parameter = RuntimeParameter(rawValue: name) else { continue }
            if let text = parameter.storedText(for: value) {
                texts[parameter] = text
            } else {
                problems.append("\(name) must be \(parameter.requirement), not \(describe(value))")
            }
        }
        guard problems.isEmpty else { return .failure(CommandProcessor.CommandFailure(reason: problems.joined(separator: "; "))) }
        return .success(texts)
    }

    /// Carries out `update_parameters` on one pack: every value is checked first, then all are saved in one
    /// transaction, so a refused or failed command changes nothing.
    static func update(_ parameters: JSONObject, deviceID: String, in store: CommandStore) -> Result<String, CommandProcessor.CommandFailure> {
        let texts: [RuntimeParameter: String]
        switch parse(parameters) {
        case .success(let parsed): texts = parsed
        case .failure(let failure): return .failure(failure)
        }
        guard !texts.isEmpty else { return .success("nothing to change") }
        let ordered = texts.sorted { $0.key.rawValue < $1.key.rawValue }
        do {
            try store.setParameters(ordered.map { (name: $0.key.rawValue, value: $0.value) }, deviceID: deviceID)
        } catch {
            return .failure(CommandProcessor.CommandFailure(reason: "parameters not saved: \(error)"))
        }
        return .success(ordered.map { "\($0.key.rawValue) = \($0.value)" }.joined(separator: ", "))
    }

    /// The power limit stored for a pack as a fraction of its nameplate power (`SetpointClamp`). Text that is
    /// not a percentage in range (a store edited by hand) counts as 0 — no power — rather than no limit.
    static func powerLimitFraction(storedText text: String) -> Double {
        guard let percent = Double(text), percent.isFinite, powerLimitPercentRange.contains(percent) else { return 0 }
        return percent / 100
    }

    /// A value as written in a refusal: numbers and booleans as such, anything else by its kind.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): number.isFinite ? formatNumber(number) : "\(number)"
        case .bool(let flag): flag ? "true" : "false"
        default: value.kindDescription
        }
    }
}

/// A number without a needless fraction: `50`, `12.5`.
private func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}
