extension DeviceRegistration: ValidatedWireValue {
    /// Accepted `nominal_capacity`, Ah.
    public static let nominalCapacityRange: ClosedRange<Double> = 0.1...10_000
    /// Accepted `nominal_voltage`, V.
    public static let nominalVoltageRange: ClosedRange<Double> = 1...1000
    /// Accepted length of `name`, characters.
    public static let nameLengthRange = 1...255

    static let knownKeys: Set<String> = ["device_id", "site_id", "name", "chemistry", "specifications", "safety_constraints"]
    static let knownSpecificationKeys: Set<String> = [
        "nominal_capacity", "nominal_voltage", "max_charge_power", "max_discharge_power", "series_cells",
        "parallel_cells",
    ]

    /// The spec's device rules, plus the topic rules for ids and the order of the resulting safety limits.
    public static func fieldErrors(in tree: JSONValue) -> [FieldError] {
        var validator = FieldValidator()
        guard let body = validator.object(tree, at: "", required: true) else { return validator.errors }
        validator.rejectUnknownKeys(body, known: knownKeys, prefix: "")

        if let deviceID = validator.string(body, "device_id", prefix: "", required: true) {
            checkIdentifier(deviceID, field: "device_id", into: &validator)
        }
        if let siteID = validator.string(body, "site_id", prefix: "", required: true) {
            checkIdentifier(siteID, field: "site_id", into: &validator)
        }
        if let name = validator.string(body, "name", prefix: "", required: true),
            !nameLengthRange.contains(name.count)
        {
            validator.fail(
                "name", "Length must be between \(nameLengthRange.lowerBound) and \(nameLengthRange.upperBound) characters",
                body["name"])
        }
        let chemistry = validator.enumValue(Chemistry.self, body, "chemistry", prefix: "", required: true)

        var capacity: Double?
        if let specs = validator.object(body["specifications"], at: "specifications", required: true) {
            let prefix = "specifications"
            validator.rejectUnknownKeys(specs, known: knownSpecificationKeys, prefix: prefix)
            capacity = validator.number(specs, "nominal_capacity", prefix: prefix, required: true, range: nominalCapacityRange)
            _ = validator.number(specs, "nominal_voltage", prefix: prefix, required: true, range: nominalVoltageRange)
            _ = validator.number(specs, "max_charge_power", prefix: prefix, required: false, greaterThan: 0)
            _ = validator.number(specs, "max_discharge_power", prefix: prefix, required: false, greaterThan: 0)
            _ = validator.integer(specs, "series_cells", prefix: prefix, required: true, minimum: 1)
            _ = validator.integer(specs, "parallel_cells", prefix: prefix, required: true, minimum: 1)
        }

        let constraints = SafetyConstraints.read(body["safety_constraints"], at: "safety_constraints", into: &validator)
        if let chemistry, let capacity, let constraints {
            let resolution = SafetyLimits.resolve(
                chemistry: chemistry, nominalCapacityAmpHours: capacity, constraints: constraints)
            if case .failure(let failure) = resolution {
                for error in failure.fieldErrors { validator.fail(error.field, error.message, error.receivedValue) }
            }
        }
        return validator.errors
    }

    static func checkIdentifier(_ id: String, field: String, into validator: inout FieldValidator) {
        if !id.isEmpty, !id.unicodeScalars.allSatisfy(isIdentifierScalar) {
            validator.fail(field, "Must match ^[a-zA-Z0-9_-]+$", .string(id))
        } else if let problem = TopicIdentifier.problem(with: id) {
            validator.fail(field, "Must be usable as an MQTT topic level: \(problem)", .string(id))
        }
    }

    private static func isIdentifierScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }
}

extension SafetyConstraints {
    static let knownKeys: Set<String> = [
        "max_cell_voltage", "min_cell_voltage", "max_charge_current", "max_discharge_current", "temperature_limits",
    ]

    /// Reads the optional constraints object at `path`: an empty value when it is absent, `nil` when it has
    /// problems (recorded in `validator`).
    static func read(_ value: JSONValue?, at path: String, into validator: inout FieldValidator) -> SafetyConstraints? {
        guard let value, value != .null else { return SafetyConstraints() }
        let errorsBefore = validator.errors.count
        guard let members = validator.object(value, at: path, required: false) else { return nil }
        validator.rejectUnknownKeys(members, known: knownKeys, prefix: path)
        var constraints = SafetyConstraints()
        constraints.maxCellVoltage = validator.number(members, "max_cell_voltage", prefix: path, required: false, greaterThan: 0)
        constraints.minCellVoltage = validator.number(members, "min_cell_voltage", prefix: path, required: false, greaterThan: 0)
        constraints.maxChargeCurrent = validator.number(members, "max_charge_current", prefix: path, required: false, greaterThan: 0)
        constraints.maxDischargeCurrent = validator.number(
            members, "max_discharge_current", prefix: path, required: false, greaterThan: 0)
        let limitsPath = FieldValidator.join(path, "temperature_limits")
        if let limits = validator.object(members["temperature_limits"], at: limitsPath, required: false) {
            validator.rejectUnknownKeys(limits, known: ["max", "min"], prefix: limitsPath)
            constraints.temperatureLimits = TemperatureLimits(
                max: validator.number(limits, "max", prefix: limitsPath, required: false),
                min: validator.number(limits, "min", prefix: limitsPath, required: false))
        }
        return validator.errors.count == errorsBefore ? constraints : nil
    }
}
