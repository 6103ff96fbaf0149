import BMSCore

extension AgentConfiguration {
    static let knownKeys: Set<String> = ["site_id", "mqtt", "buses", "devices", "safety_policy", "status_port", "health_interval_seconds"]
    static let knownMQTTKeys: Set<String> = ["host", "port", "client_id", "keepalive_seconds", "username", "password", "tls"]
    static let knownBusKeys: Set<String> = ["id", "modbus_tcp", "modbus_rtu", "response_timeout_ms"]
    static let knownDeviceKeys: Set<String> = [
        "device_id", "name", "chemistry", "specifications", "safety_constraints", "safety_overrides", "bus", "unit_id",
        "profile", "register_map", "poll_interval_ms", "firmware_version",
    ]
    static let standardBaudRates: Set<Int> = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200]

    /// Every problem of a configuration tree, each with its key path (`devices[1].bus`).
    static func fieldErrors(in tree: JSONValue) -> [FieldError] {
        var validator = FieldValidator()
        guard let root = validator.object(tree, at: "", required: true) else { return validator.errors }
        validator.rejectUnknownKeys(root, known: knownKeys, prefix: "")

        let siteID = validator.string(root, "site_id", prefix: "", required: true)
        if let siteID, let problem = TopicIdentifier.problem(with: siteID) {
            validator.fail("site_id", "Must be usable as an MQTT topic level: \(problem)", .string(siteID))
        }
        _ = validator.integer(root, "status_port", prefix: "", required: false, minimum: 0, maximum: 65535)
        _ = validator.integer(root, "health_interval_seconds", prefix: "", required: false, minimum: 1, maximum: 86400)
        if let mqtt = validator.object(root["mqtt"], at: "mqtt", required: false) {
            checkMQTT(mqtt, into: &validator)
        }

        var busIDs: [String: Bool] = [:]  // id → is RTU
        if let buses = validator.array(root["buses"], at: "buses", required: true) {
            if buses.isEmpty { validator.fail("buses", "At least one bus is required", .array([])) }
            for (index, bus) in buses.enumerated() {
                let path = "buses[\(index)]"
                guard let members = validator.object(bus, at: path, required: true) else { continue }
                if let (id, isRTU) = checkBus(members, at: path, into: &validator) {
                    if busIDs[id] != nil { validator.fail("\(path).id", "Duplicate bus id", .string(id)) }
                    busIDs[id] = isRTU
                }
            }
        }

        if let devices = validator.array(root["devices"], at: "devices", required: true) {
            if devices.isEmpty { validator.fail("devices", "At least one device is required", .array([])) }
            var seen: Set<String> = []
            for (index, device) in devices.enumerated() {
                let path = "devices[\(index)]"
                guard let members = validator.object(device, at: path, required: true) else { continue }
                checkDevice(members, at: path, siteID: siteID ?? "site", buses: busIDs, into: &validator)
                if let id = members["device_id"]?.stringValue {
                    if !seen.insert(id).inserted { validator.fail("\(path).device_id", "Duplicate device id", .string(id)) }
                }
            }
        }
        return validator.errors
    }

    private static func checkMQTT(_ mqtt: JSONObject, into validator: inout FieldValidator) {
        validator.rejectUnknownKeys(mqtt, known: knownMQTTKeys, prefix: "mqtt")
        _ = validator.string(mqtt, "host", prefix: "mqtt", required: true)
        _ = validator.integer(mqtt, "port", prefix: "mqtt", required: false, minimum: 1, maximum: 65535)
        _ = validator.string(mqtt, "client_id", prefix: "mqtt", required: false)
        _ = validator.integer(mqtt, "keepalive_seconds", prefix: "mqtt", required: false, minimum: 5, maximum: 3600)
        _ = validator.string(mqtt, "username", prefix: "mqtt", required: false)
        _ = validator.string(mqtt, "password", prefix: "mqtt", required: false)
        if let tls = validator.object(mqtt["tls"], at: "mqtt.tls", required: false) {
            validator.rejectUnknownKeys(tls, known: ["ca_file", "cert_file", "key_file"], prefix: "mqtt.tls")
            _ = validator.string(tls, "ca_file", prefix: "mqtt.tls", required: true)
            _ = validator.string(tls, "cert_file", prefix: "mqtt.tls", required: false)
            _ = validator.string(tls, "key_file", prefix: "mqtt.tls", required: false)
        }
    }

    /// Checks one bus; returns its id and whether it is a serial line.
    private static func checkBus(
        _ bus: JSONObject, at path: String, into validator: inout FieldValidator
    ) -> (String, Bool)? {
        validator.rejectUnknownKeys(bus, known: knownBusKeys, prefix: path)
        let id = validator.string(bus, "id", prefix: path, required: true)
        _ = validator.integer(bus, "response_timeout_ms", prefix: path, required: false, minimum: 10, maximum: 10_000)
        let tcp = validator.object(bus["modbus_tcp"], at: "\(path).modbus_tcp", required: false)
        let rtu = validator.object(bus["modbus_rtu"], at: "\(path).modbus_rtu", required: false)
        switch (tcp, rtu) {
        case (nil, nil):
            if bus["modbus_tcp"] == nil && bus["modbus_rtu"] == nil {
                validator.fail(path, "A bus needs exactly one of modbus_tcp or modbus_rtu", nil)
            }
        case (.some, .some):
            validator.fail(path, "A bus needs exactly one of modbus_tcp or modbus_rtu, not both", nil)
        case (let tcp?, nil):
            let prefix = "\(path).modbus_tcp"
            validator.rejectUnknownKeys(tcp, known: ["host", "port"], prefix: prefix)
            _ = validator.string(tcp, "host", prefix: prefix, required: true)
            _ = validator.integer(tcp, "port", prefix: prefix, required: true, minimum: 1, maximum: 65535)
        case (nil, let rtu?):
            let prefix = "\(path).modbus_rtu"
            validator.rejectUnknownKeys(rtu, known: ["device", "baud", "parity", "data_bits", "stop_bits"], prefix: prefix)
            _ = validator.string(rtu, "device", prefix: prefix, required: true)
            if let baud = validator.integer(rtu, "baud", prefix: prefix, required: true, minimum: 1),
                !standardBaudRates.contains(baud)
            {
                validator.fail("\(prefix).baud", "Must be one of: \(standardBaudRates.sorted().map(String.init).joined(separator: ", "))", rtu["baud"])
            }
            _ = validator.enumValue(ModbusRTULine.Parity.self, rtu, "parity", prefix: prefix, required: true)
            _ = validator.integer(rtu, "data_bits", prefix: prefix, required: true, minimum: 7, maximum: 8)
            _ = validator.integer(rtu, "stop_bits", prefix: prefix, required: true, minimum: 1, maximum: 2)
        }
        guard let id else { return nil }
        return (id, rtu != nil)
    }

    private static func checkDevice(
        _ device: JSONObject, at path: String, siteID: String, buses: [String: Bool],
        into validator: inout FieldValidator
    ) {
        validator.rejectUnknownKeys(device, known: knownDeviceKeys, prefix: path)
        // The pack's own fields follow the API's device rules exactly.
        var registration: JSONObject = ["site_id": .string(siteID)]
        for key in ["device_id", "name", "chemistry", "specifications", "safety_constraints"] {
            if let value = device[key] { registration[key] = value }
        }
        validator.merge(DeviceRegistration.fieldErrors(in: .object(registration)), under: path)

        if let bus = validator.string(device, "bus", prefix: path, required: true), buses[bus] == nil {
            validator.fail("\(path).bus", "No bus with this id (known: \(buses.keys.sorted().joined(separator: ", ")))", .string(bus))
        }
        let isRTU = device["bus"]?.stringValue.flatMap { buses[$0] } ?? false
        _ = validator.integer(device, "unit_id", prefix: path, required: true, minimum: isRTU ? 1 : 0, maximum: isRTU ? 247 : 255)
        let profile = validator.enumValue(DeviceProfile.self, device, "profile", prefix: path, required: true)
        let map = validator.string(device, "register_map", prefix: path, required: profile == .registerMap)
        if profile == .sunspec, map != nil {
            validator.fail("\(path).register_map", "Only register_map devices take a register map", device["register_map"])
        }
        _ = validator.integer(device, "poll_interval_ms", prefix: path, required: false, minimum: 100, maximum: 3_600_000)
        _ = validator.string(device, "firmware_version", prefix: path, required: false)

        // Explicit level overrides are checked together with the constraints, against the chemistry.
        if device["safety_overrides"] != nil,
            let chemistry = device["chemistry"]?.stringValue.flatMap(Chemistry.init(rawValue:)),
            let capacity = device["specifications"]?["nominal_capacity"]?.numberValue
        {
            do {
                let overrides = try WireCoding.decode(SafetyLimitOverrides.self, from: device["safety_overrides"] ?? .null)
                let constraints = try? WireCoding.decode(SafetyConstraints.self, from: device["safety_constraints"] ?? .object([:]))
                if case .failure(let failure) = SafetyLimits.resolve(
                    chemistry: chemistry, nominalCapacityAmpHours: capacity, constraints: constraints, overrides: overrides,
                    constraintsPath: "safety_constraints", overridesPath: "safety_overrides")
                {
                    // Constraint problems were reported by the device rules above.
                    validator.merge(failure.fieldErrors.filter { $0.field.hasPrefix("safety_overrides") }, under: path)
                }
            } catch {
                validator.fail("\(path).safety_overrides\(error.path.isEmpty ? "" : ".\(error.path)")", error.reason, device["safety_overrides"])
            }
        }
    }
}
