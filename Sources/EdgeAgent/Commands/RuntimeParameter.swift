import BMSCore

/// A runtime parameter that `update_parameters` may set on a pack, kept per pack in the `CommandStore` so
/// that it survives a restart.
///
/// A successful update re-clamps the pack's share of the allocation in force before the command completes
/// (`AllocationProcessor.reapply(deviceID:)`), so a new limit or maintenance binds the setpoint at once.
enum RuntimeParameter: String, CaseIterable, Sendable {
    /// `true` refuses every start (`CommandSafetyCheck`) and gives the pack no allocation power (0 W, named
    /// `maintenance`, SAF-MNT-01); stops and shutdowns still run.
    case maintenanceMode = "maintenance_mode"
    /// Percent (0…100) of the pack's nameplate power (`specifications.max_charge_power` /
    /// `max_discharge_power`) that every allocation share the agent applies is held to (`SetpointClamp`, named
    /// `power_limit`, SAF-OPL-01); the operator's deliberate setting, which may raise a limit: 100 lifts it.
    case powerLimitPercent = "power_limit_percent"
    /// Lowers `power_limit_percent` to this percent (0…100) if it is higher, never raises it: a pack without a
    /// stored limit counts as 100. Not stored itself. The relay's "Reduce Power" alert action sends this, so a
    /// milder reduction never lifts a stricter limit. With `power_limit_percent` in the same command, that is
    /// applied first and this lowers it.
    case powerLimitAtMostPercent = "power_limit_at_most_percent"

    /// The values `power_limit_percent` and `power_limit_at_most_percent` accept, percent.
    static let powerLimitPercentRange: ClosedRange<Double> = 0...100

    /// The names a command may set, sorted, for messages.
    static var names: [String] { allCases.map(\.rawValue).sorted() }

    /// What the parameter accepts, as said in a refusal.
    var requirement: String {
        switch self {
        case .maintenanceMode:
            return "true or false"
        case .powerLimitPercent, .powerLimitAtMostPercent:
            let range = Self.powerLimitPercentRange
            return "a number from \(formatNumber(range.lowerBound)) to \(formatNumber(range.upperBound))"
        }
    }

    /// The text for `value` (stored as such, except `power_limit_at_most_percent`), or `nil` when the
    /// parameter does not accept it.
    func storedText(for value: JSONValue) -> String? {
        switch (self, value) {
        case (.maintenanceMode, .bool(let flag)):
            return flag ? "true" : "false"
        case (.powerLimitPercent, .number(let percent)), (.powerLimitAtMostPercent, .number(let percent)):
            guard percent.isFinite, Self.powerLimitPercentRange.contains(percent) else { return nil }
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
    /// transaction, so a refused or failed command changes nothing. `power_limit_at_most_percent` is resolved
    /// against the stored limit inside that transaction (`values(for:stored:)`).
    static func update(_ parameters: JSONObject, deviceID: String, in store: CommandStore) -> Result<String, CommandProcessor.CommandFailure> {
        let texts: [RuntimeParameter: String]
        switch parse(parameters) {
        case .success(let parsed): texts = parsed
        case .failure(let failure): return .failure(failure)
        }
        guard !texts.isEmpty else { return .success("nothing to change") }
        let saved: [(name: String, value: String)]
        do {
            saved = try store.setParameters(deviceID: deviceID) { stored in values(for: texts, stored: stored) }
        } catch {
            return .failure(CommandProcessor.CommandFailure(reason: "parameters not saved: \(error)"))
        }
        return .success(summary(of: saved, atMost: texts[.powerLimitAtMostPercent]))
    }

    /// What an update stores, sorted by name, from its checked texts and the pack's stored values (name →
    /// text): absolute values as given; then `power_limit_at_most_percent` lowers `power_limit_percent` — this
    /// update's, else the stored one, else 100 (no limit) — to its value, and never raises it.
    static func values(for texts: [RuntimeParameter: String], stored: [String: String]) -> [(name: String, value: String)] {
        var values: [String: String] = [:]
        for (parameter, text) in texts where parameter != .powerLimitAtMostPercent {
            values[parameter.rawValue] = text
        }
        if let atMost = texts[.powerLimitAtMostPercent] {
            let name = RuntimeParameter.powerLimitPercent.rawValue
            // A stored limit that is not a percentage in range counts as 0 here as in the clamp: never lifted.
            let current = (values[name] ?? stored[name]).map { limitPercent(storedText: $0) } ?? 100
            values[name] = current <= limitPercent(storedText: atMost) ? formatNumber(current) : atMost
        }
        return values.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The command's answer: what was saved, and whether `power_limit_at_most_percent` lowered the limit.
    private static func summary(of saved: [(name: String, value: String)], atMost: String?) -> String {
        saved.map { item -> String in
            var line = "\(item.name) = \(item.value)"
            if item.name == RuntimeParameter.powerLimitPercent.rawValue, let atMost {
                let kept = limitPercent(storedText: item.value) < limitPercent(storedText: atMost)
                line += kept ? " (power_limit_at_most_percent \(atMost) does not raise it)" : " (power_limit_at_most_percent \(atMost))"
            }
            return line
        }.joined(separator: ", ")
    }

    /// The power limit stored for a pack as a fraction of its nameplate power (`SetpointClamp`). Text that is
    /// not a percentage in range (a store edited by hand) counts as 0 — no power — rather than no limit.
    static func powerLimitFraction(storedText text: String) -> Double {
        limitPercent(storedText: text) / 100
    }

    /// A stored power limit, percent; text that is not a percentage in range counts as 0.
    static func limitPercent(storedText text: String) -> Double {
        guard let percent = Double(text), percent.isFinite, powerLimitPercentRange.contains(percent) else { return 0 }
        return percent
    }

    /// Whether stored `maintenance_mode` text means maintenance. Anything but `false` (a store edited by hand)
    /// counts as maintenance: no allocation power, no starts.
    static func maintenance(storedText text: String) -> Bool {
        text != "false"
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
