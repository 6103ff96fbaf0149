import BMSCore

extension AgentConfiguration {
    static let knownKeys: Set<String> = ["site_id", "mqtt", "buses", "devices", "safety_policy", "status_port", "health_interval_seconds"]
    static let knownMQTTKeys: Set<String> = ["host", "port", "client_id", "keepalive_seconds", "username", "password", "tls"]
    static let knownBusKeys: Set<String> = [
        "id", "modbus_tcp", "modbus_rtu", "socketcan", "slcan", "candump_replay", "response_timeout_ms",
    ]
    /// The keys that say what kind of bus a bus is; exactly one per bus.
    static let busKindKeys = ["modbus_tcp", "modbus_rtu", "socketcan", "slcan", "candump_replay"]
    /// Bitrates an slcan adapter sets with an S code.
    static let slcanBitrates: Set<Int> = [10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 750_000, 800_000, 1_000_000]
    static let knownDeviceKeys: Set<String> = [
        "device_id", "name", "chemistry", "specifications", "safety_constraints", "safety_overrides", "bus", "unit_id",
        "profile", "register_map", "poll_interval_ms", "firmware_version", "dbc", "signal_map", "keepalive_ms",
        "stale_after_ms", "can_commands",
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

        var busIDs: [String: BusKind] = [:]
        if let buses = validator.array(root["buses"], at: "buses", required: true) {
            if buses.isEmpty { validator.fail("buses", "At least one bus is required", .array([])) }
            for (index, bus) in buses.enumerated() {
                let path = "buses[\(index)]"
                guard let members = validator.object(bus, at: path, required: true) else { continue }
                if let (id, kind) = checkBus(members, at: path, into: &validator) {
                    if busIDs[id] != nil { validator.fail("\(path).id", "Duplicate bus id", .string(id)) }
                    busIDs[id] = kind
                }
            }
        }

        if let devices = validator.array(root["devices"], at: "devices", required: true) {
            if devices.isEmpty { validator.fail("devices", "At least one device is required", .array([])) }
            var seen: Set<String> = []
            var canbusBMSBuses: Set<String> = []
            for (index, device) in devices.enumerated() {
                let path = "devices[\(index)]"
                guard let members = validator.object(device, at: path, required: true) else { continue }
                // The CAN-bus BMS protocol has no addressing: two such packs on one bus would mix their frames.
                if members["profile"]?.stringValue == DeviceProfile.canbusBMS.rawValue, let bus = members["bus"]?.stringValue,
                    !canbusBMSBuses.insert(bus).inserted
                {
                    validator.fail("\(path).bus", "Only one canbus_bms device per bus (the protocol has no addresses)", .string(bus))
                }
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

    /// What a bus carries, as far as its devices' rules care.
    enum BusKind: Equatable {
        case modbusTCP, modbusRTU, can
        /// A bus whose kind could not be told (none or several given): its devices are not checked against it.
        case unknown
    }

    /// Checks one bus; returns its id and kind.
    private static func checkBus(
        _ bus: JSONObject, at path: String, into validator: inout FieldValidator
    ) -> (String, BusKind)? {
        validator.rejectUnknownKeys(bus, known: knownBusKeys, prefix: path)
        let id = validator.string(bus, "id", prefix: path, required: true)
        _ = validator.integer(bus, "response_timeout_ms", prefix: path, required: false, minimum: 10, maximum: 10_000)
        let kinds = busKindKeys.filter { bus[$0] != nil }
        guard kinds.count == 1, let kindKey = kinds.first else {
            let list = busKindKeys.joined(separator: ", ")
            validator.fail(path, kinds.isEmpty ? "A bus needs exactly one of \(list)" : "A bus needs exactly one of \(list), not \(kinds.joined(separator: " and "))", nil)
            return id.map { ($0, .unknown) }
        }
        let prefix = "\(path).\(kindKey)"
        guard let settings = validator.object(bus[kindKey], at: prefix, required: true) else { return nil }
        let kind: BusKind
        switch kindKey {
        case "modbus_tcp":
            kind = .modbusTCP
            validator.rejectUnknownKeys(settings, known: ["host", "port"], prefix: prefix)
            _ = validator.string(settings, "host", prefix: prefix, required: true)
            _ = validator.integer(settings, "port", prefix: prefix, required: true, minimum: 1, maximum: 65535)
        case "modbus_rtu":
            kind = .modbusRTU
            validator.rejectUnknownKeys(settings, known: ["device", "baud", "parity", "data_bits", "stop_bits"], prefix: prefix)
            _ = validator.string(settings, "device", prefix: prefix, required: true)
            if let baud = validator.integer(settings, "baud", prefix: prefix, required: true, minimum: 1),
                !standardBaudRates.contains(baud)
            {
                validator.fail("\(prefix).baud", "Must be one of: \(standardBaudRates.sorted().map(String.init).joined(separator: ", "))", settings["baud"])
            }
            _ = validator.enumValue(ModbusRTULine.Parity.self, settings, "parity", prefix: prefix, required: true)
            _ = validator.integer(settings, "data_bits", prefix: prefix, required: true, minimum: 7, maximum: 8)
            _ = validator.integer(settings, "stop_bits", prefix: prefix, required: true, minimum: 1, maximum: 2)
        case "socketcan":
            kind = .can
            validator.rejectUnknownKeys(settings, known: ["interface", "bitrate", "fd", "restart_on_bus_off"], prefix: prefix)
            if let name = validator.string(settings, "interface", prefix: prefix, required: true),
                name.isEmpty || name.utf8.count >= 16 || name.contains("/")
            {
                validator.fail("\(prefix).interface", "Must be a network interface name of 1–15 characters", .string(name))
            }
            _ = validator.integer(settings, "bitrate", prefix: prefix, required: false, minimum: 1000, maximum: 1_000_000)
            _ = validator.boolean(settings, "fd", prefix: prefix, required: false)
            _ = validator.boolean(settings, "restart_on_bus_off", prefix: prefix, required: false)
        case "slcan":
            kind = .can
            validator.rejectUnknownKeys(settings, known: ["device", "bitrate", "serial_baud"], prefix: prefix)
            _ = validator.string(settings, "device", prefix: prefix, required: true)
            if let rate = validator.integer(settings, "bitrate", prefix: prefix, required: false, minimum: 1),
                !slcanBitrates.contains(rate)
            {
                validator.fail("\(prefix).bitrate", "Must be one of: \(slcanBitrates.sorted().map(String.init).joined(separator: ", "))", settings["bitrate"])
            }
            _ = validator.integer(settings, "serial_baud", prefix: prefix, required: false, minimum: 1200, maximum: 3_000_000)
        default:
            kind = .can
            validator.rejectUnknownKeys(settings, known: ["file", "speed", "loop"], prefix: prefix)
            _ = validator.string(settings, "file", prefix: prefix, required: true)
            if let speed = settings["speed"] {
                if let value = speed.numberValue, value.isFinite, value >= 0, value <= 10_000 {} else {
                    validator.fail("\(prefix).speed", "Must be a number from 0 (as fast as possible) to 10000", speed)
                }
            }
            _ = validator.boolean(settings, "loop", prefix: prefix, required: false)
        }
        guard let id else { return nil }
        return (id, kind)
    }

    private static func checkDevice(
        _ device: JSONObject, at path: String, siteID: String, buses: [String: BusKind],
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
        let kind = device["bus"]?.stringValue.flatMap { buses[$0] }.flatMap { $0 == .unknown ? nil : $0 }
        let isRTU = kind == .modbusRTU
        let profile = validator.enumValue(DeviceProfile.self, device, "profile", prefix: path, required: true)
        if let profile, let kind, profile.isCAN != (kind == .can) {
            validator.fail(
                "\(path).profile", profile.isCAN ? "A CAN profile needs a CAN bus" : "A Modbus profile needs a Modbus bus",
                device["profile"])
        }
        if kind == .can || profile?.isCAN == true {
            if device["unit_id"] != nil { validator.fail("\(path).unit_id", "CAN devices have no unit id", device["unit_id"]) }
        } else {
            _ = validator.integer(device, "unit_id", prefix: path, required: true, minimum: isRTU ? 1 : 0, maximum: isRTU ? 247 : 255)
        }
        let map = validator.string(device, "register_map", prefix: path, required: profile == .registerMap)
        if profile != .registerMap, map != nil {
            validator.fail("\(path).register_map", "Only register_map devices take a register map", device["register_map"])
        }
        let dbc = validator.string(device, "dbc", prefix: path, required: profile == .dbc)
        let signalMap = validator.string(device, "signal_map", prefix: path, required: profile == .dbc)
        if profile != .dbc {
            if dbc != nil { validator.fail("\(path).dbc", "Only dbc devices take a DBC file", device["dbc"]) }
            if signalMap != nil { validator.fail("\(path).signal_map", "Only dbc devices take a signal map", device["signal_map"]) }
        }
        if profile?.isCAN == false {
            for key in ["keepalive_ms", "stale_after_ms", "can_commands"] where device[key] != nil {
                validator.fail("\(path).\(key)", "Only CAN devices take \(key)", device[key])
            }
        }
        _ = validator.integer(device, "keepalive_ms", prefix: path, required: false, minimum: 0, maximum: 60_000)
        _ = validator.integer(device, "stale_after_ms", prefix: path, required: false, minimum: 100, maximum: 600_000)
        if let commands = validator.object(device["can_commands"], at: "\(path).can_commands", required: false) {
            for (name, value) in commands {
                let field = "\(path).can_commands.\(name)"
                if LocalCommand(rawValue: name) == nil {
                    validator.fail(field, "Unknown command (known: \(LocalCommand.allCases.map(\.rawValue).joined(separator: ", ")))", value)
                } else if let text = value.stringValue {
                    if let problem = CANCommandFrame.problem(with: text) { validator.fail(field, problem, value) }
                } else {
                    validator.fail(field, "Must be a frame in candump syntax, ID#HEXDATA (e.g. 35F#01)", value)
                }
            }
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
