extension CommandRequest: ValidatedWireValue {
    static let knownKeys: Set<String> = ["command_type", "parameters", "timeout_seconds"]

    /// The spec's command rules: `command_type` in the enum, `parameters` an object whose well-known members
    /// have sensible values, `timeout_seconds` an integer in 1–300.
    public static func fieldErrors(in tree: JSONValue) -> [FieldError] {
        var validator = FieldValidator()
        guard let body = validator.object(tree, at: "", required: true) else { return validator.errors }
        validator.rejectUnknownKeys(body, known: knownKeys, prefix: "")
        _ = validator.enumValue(CommandType.self, body, "command_type", prefix: "", required: true)
        _ = validator.integer(
            body, "timeout_seconds", prefix: "", required: false, minimum: timeoutSecondsRange.lowerBound,
            maximum: timeoutSecondsRange.upperBound)
        if let parameters = validator.object(body["parameters"], at: "parameters", required: false) {
            CommandParameterRules.check(parameters, prefix: "parameters", into: &validator)
        }
        return validator.errors
    }
}

/// Rules for the well-known command parameters. Other members are passed through untouched.
enum CommandParameterRules {
    static func check(_ parameters: JSONObject, prefix: String, into validator: inout FieldValidator) {
        validator.requireFiniteNumbers(in: .object(parameters), at: prefix)
        // Power is a magnitude here: the command type says whether it charges or discharges.
        _ = validator.number(parameters, "target_power", prefix: prefix, required: false, range: 0...10_000_000)
        _ = validator.number(parameters, "target_soc", prefix: prefix, required: false, range: 0...100)
        _ = validator.number(parameters, "max_current", prefix: prefix, required: false, greaterThan: 0)
        _ = validator.number(parameters, "ramp_rate", prefix: prefix, required: false, greaterThan: 0)
        _ = validator.string(parameters, "reason", prefix: prefix, required: false)
    }
}
