extension PowerAllocationMessage: ValidatedWireValue {
    /// The longest accepted `demand.duration_minutes`: one day. (The shortest is anything above 0.)
    public static let maximumDurationMinutes: Double = 1440
    /// Accepted range of the scores and probabilities: `flexibility`, `efficiency_score`, `confidence`,
    /// `efficiency_prediction`, `completion_probability`.
    public static let fractionRange: ClosedRange<Double> = 0...1

    static let knownKeys: Set<String> = [
        "schema_version", "timestamp", "allocation_id", "site_id", "demand", "allocation", "forecasts",
    ]
    static let knownDemandKeys: Set<String> = ["total_power_target", "duration_minutes", "flexibility", "priority"]
    static let knownAllocationKeys: Set<String> = ["optimization_method", "total_allocated", "efficiency_score", "devices"]
    static let knownDeviceKeys: Set<String> = ["device_id", "allocated_power", "confidence", "constraints_active"]
    static let knownForecastKeys: Set<String> = ["degradation_impact", "efficiency_prediction", "completion_probability"]

    /// The spec's power allocation message checked in full: every member required, no unknown member at any
    /// level, every number finite, `duration_minutes` in (0, 1440], scores and probabilities in 0–1, ids usable
    /// as MQTT topic levels, each device at most once.
    ///
    /// Which devices exist, and whether the site is the one addressed, is the receiver's check: this one sees
    /// the message alone.
    public static func fieldErrors(in tree: JSONValue) -> [FieldError] {
        var validator = FieldValidator()
        guard let body = validator.object(tree, at: "", required: true) else { return validator.errors }
        validator.rejectUnknownKeys(body, known: knownKeys, prefix: "")

        _ = validator.enumValue(SchemaVersion.self, body, "schema_version", prefix: "", required: true)
        if let text = validator.string(body, "timestamp", prefix: "", required: true) {
            do throws(TimestampError) {
                _ = try Timestamp(rfc3339: text)
            } catch {
                validator.fail("timestamp", "Must be an RFC 3339 date-time: \(error.reason)", body["timestamp"])
            }
        }
        if let allocationID = validator.string(body, "allocation_id", prefix: "", required: true), allocationID.isEmpty {
            validator.fail("allocation_id", "Must not be empty", body["allocation_id"])
        }
        if let siteID = validator.string(body, "site_id", prefix: "", required: true) {
            DeviceRegistration.checkIdentifier(siteID, field: "site_id", into: &validator)
        }
        if let demand = validator.object(body["demand"], at: "demand", required: true) {
            checkDemand(demand, into: &validator)
        }
        if let allocation = validator.object(body["allocation"], at: "allocation", required: true) {
            checkAllocation(allocation, into: &validator)
        }
        if let forecasts = validator.object(body["forecasts"], at: "forecasts", required: true) {
            checkForecasts(forecasts, into: &validator)
        }
        return validator.errors
    }

    // MARK: - Parts

    private static func checkDemand(_ demand: JSONObject, into validator: inout FieldValidator) {
        let prefix = "demand"
        validator.rejectUnknownKeys(demand, known: knownDemandKeys, prefix: prefix)
        _ = validator.number(demand, "total_power_target", prefix: prefix, required: true)
        if let minutes = validator.number(demand, "duration_minutes", prefix: prefix, required: true, greaterThan: 0),
            minutes > maximumDurationMinutes
        {
            validator.fail(
                FieldValidator.join(prefix, "duration_minutes"), "Value must be at most \(format(maximumDurationMinutes))",
                demand["duration_minutes"])
        }
        _ = validator.number(demand, "flexibility", prefix: prefix, required: true, range: fractionRange)
        _ = validator.enumValue(Priority.self, demand, "priority", prefix: prefix, required: true)
    }

    private static func checkAllocation(_ allocation: JSONObject, into validator: inout FieldValidator) {
        let prefix = "allocation"
        validator.rejectUnknownKeys(allocation, known: knownAllocationKeys, prefix: prefix)
        if let method = validator.string(allocation, "optimization_method", prefix: prefix, required: true), method.isEmpty {
            validator.fail(FieldValidator.join(prefix, "optimization_method"), "Must not be empty", allocation["optimization_method"])
        }
        _ = validator.number(allocation, "total_allocated", prefix: prefix, required: true)
        _ = validator.number(allocation, "efficiency_score", prefix: prefix, required: true, range: fractionRange)
        let devicesPath = FieldValidator.join(prefix, "devices")
        guard let devices = validator.array(allocation["devices"], at: devicesPath, required: true) else { return }
        var seen: Set<String> = []
        for (index, element) in devices.enumerated() {
            let path = "\(devicesPath)[\(index)]"
            guard let share = validator.object(element, at: path, required: true) else { continue }
            validator.rejectUnknownKeys(share, known: knownDeviceKeys, prefix: path)
            if let deviceID = validator.string(share, "device_id", prefix: path, required: true) {
                let field = FieldValidator.join(path, "device_id")
                DeviceRegistration.checkIdentifier(deviceID, field: field, into: &validator)
                if !seen.insert(deviceID).inserted {
                    validator.fail(field, "Device is listed more than once", share["device_id"])
                }
            }
            _ = validator.number(share, "allocated_power", prefix: path, required: true)
            _ = validator.number(share, "confidence", prefix: path, required: true, range: fractionRange)
            let constraintsPath = FieldValidator.join(path, "constraints_active")
            if let constraints = validator.array(share["constraints_active"], at: constraintsPath, required: true) {
                for (position, constraint) in constraints.enumerated() where constraint.stringValue == nil {
                    validator.fail("\(constraintsPath)[\(position)]", "Must be a string", constraint)
                }
            }
        }
    }

    private static func checkForecasts(_ forecasts: JSONObject, into validator: inout FieldValidator) {
        let prefix = "forecasts"
        validator.rejectUnknownKeys(forecasts, known: knownForecastKeys, prefix: prefix)
        let impactPath = FieldValidator.join(prefix, "degradation_impact")
        if let impact = validator.object(forecasts["degradation_impact"], at: impactPath, required: true) {
            for key in impact.keys.sorted() {
                _ = validator.number(impact, key, prefix: impactPath, required: true)
            }
        }
        _ = validator.number(forecasts, "efficiency_prediction", prefix: prefix, required: true, range: fractionRange)
        _ = validator.number(forecasts, "completion_probability", prefix: prefix, required: true, range: fractionRange)
    }
}
