import BMSCore

/// The agent's configuration file (YAML), after validation.
struct AgentConfiguration: Codable, Sendable, Equatable {
    var siteID: String
    var mqtt: MQTTSettings?
    var buses: [BusConfiguration]
    var devices: [DeviceConfiguration]
    var safetyPolicy: SafetyPolicy?
    /// Port of the loopback status endpoint (`/status`, `/metrics`); 0 turns it off. Default 9721.
    var statusPort: Int?
    /// Interval of the agent's report on `pulsebms/system/health`, seconds. Default 60.
    var healthIntervalSeconds: Int?

    enum CodingKeys: String, CodingKey {
        case siteID = "site_id"
        case mqtt, buses, devices
        case safetyPolicy = "safety_policy"
        case statusPort = "status_port"
        case healthIntervalSeconds = "health_interval_seconds"
    }
}

/// How to reach the MQTT broker (used by the publishing side of the agent).
struct MQTTSettings: Codable, Sendable, Equatable {
    var host: String
    var port: Int?
    var clientID: String?
    var keepaliveSeconds: Int?
    var username: String?
    var password: String?
    var tls: TLSSettings?

    enum CodingKeys: String, CodingKey {
        case host, port
        case clientID = "client_id"
        case keepaliveSeconds = "keepalive_seconds"
        case username, password, tls
    }
}

struct TLSSettings: Codable, Sendable, Equatable {
    var caFile: String
    var certFile: String?
    var keyFile: String?

    enum CodingKeys: String, CodingKey {
        case caFile = "ca_file"
        case certFile = "cert_file"
        case keyFile = "key_file"
    }
}

/// One Modbus line: a TCP endpoint or an RS-485 serial line, shared by several unit ids.
struct BusConfiguration: Codable, Sendable, Equatable {
    var id: String
    var modbusTCP: ModbusTCPEndpoint?
    var modbusRTU: ModbusRTULine?
    /// How long to wait for a reply, ms.
    var responseTimeoutMilliseconds: Int?

    var responseTimeout: Duration { .milliseconds(responseTimeoutMilliseconds ?? 500) }

    enum CodingKeys: String, CodingKey {
        case id
        case modbusTCP = "modbus_tcp"
        case modbusRTU = "modbus_rtu"
        case responseTimeoutMilliseconds = "response_timeout_ms"
    }
}

struct ModbusTCPEndpoint: Codable, Sendable, Equatable {
    var host: String
    var port: Int
}

struct ModbusRTULine: Codable, Sendable, Equatable {
    var device: String
    var baud: Int
    var parity: Parity
    var dataBits: Int
    var stopBits: Int

    enum Parity: String, WireEnum {
        case none, even, odd

        /// libmodbus's parity letter.
        var letter: Character {
            switch self {
            case .none: "N"
            case .even: "E"
            case .odd: "O"
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case device, baud, parity
        case dataBits = "data_bits"
        case stopBits = "stop_bits"
    }
}

/// How a pack is read.
enum DeviceProfile: String, WireEnum {
    case sunspec
    case registerMap = "register_map"
}

/// One pack on a bus.
struct DeviceConfiguration: Codable, Sendable, Equatable {
    var deviceID: String
    var name: String
    var chemistry: Chemistry
    var specifications: DeviceSpecifications
    var safetyConstraints: SafetyConstraints?
    var safetyOverrides: SafetyLimitOverrides?
    var bus: String
    var unitID: Int
    var profile: DeviceProfile
    /// Path of the register map, relative to the configuration file, for `register_map` devices.
    var registerMap: String?
    var pollIntervalMilliseconds: Int?
    var firmwareVersion: String?

    var pollInterval: Duration { .milliseconds(pollIntervalMilliseconds ?? 1000) }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case name, chemistry, specifications
        case safetyConstraints = "safety_constraints"
        case safetyOverrides = "safety_overrides"
        case bus
        case unitID = "unit_id"
        case profile
        case registerMap = "register_map"
        case pollIntervalMilliseconds = "poll_interval_ms"
        case firmwareVersion = "firmware_version"
    }

    /// The pack's descriptor in the spec's registration shape.
    func registration(siteID: String) -> DeviceRegistration {
        DeviceRegistration(
            deviceID: deviceID, siteID: siteID, name: name, chemistry: chemistry, specifications: specifications,
            safetyConstraints: safetyConstraints)
    }

    /// The limits in force for this pack (validated before use, so resolution succeeds).
    func safetyLimits() throws(ValidationFailure) -> SafetyLimits {
        try SafetyLimits.resolve(
            chemistry: chemistry, nominalCapacityAmpHours: specifications.nominalCapacityAmpHours,
            constraints: safetyConstraints, overrides: safetyOverrides
        ).get()
    }
}
