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

/// One bus: a Modbus line (a TCP endpoint or an RS-485 serial line, shared by several unit ids) or a CAN bus
/// (a SocketCAN interface, an slcan adapter, or a candump log replayed).
struct BusConfiguration: Codable, Sendable, Equatable {
    var id: String
    var modbusTCP: ModbusTCPEndpoint?
    var modbusRTU: ModbusRTULine?
    var socketCAN: SocketCANSettings?
    var slcan: SlcanSettings?
    var candumpReplay: CandumpReplaySettings?
    /// How long to wait for a reply, ms.
    var responseTimeoutMilliseconds: Int?

    var responseTimeout: Duration { .milliseconds(responseTimeoutMilliseconds ?? 500) }

    /// Whether the bus carries CAN frames rather than Modbus requests.
    var isCAN: Bool { socketCAN != nil || slcan != nil || candumpReplay != nil }

    enum CodingKeys: String, CodingKey {
        case id
        case modbusTCP = "modbus_tcp"
        case modbusRTU = "modbus_rtu"
        case socketCAN = "socketcan"
        case slcan
        case candumpReplay = "candump_replay"
        case responseTimeoutMilliseconds = "response_timeout_ms"
    }
}

/// A native SocketCAN interface.
struct SocketCANSettings: Codable, Sendable, Equatable {
    /// Network interface, e.g. `can0`.
    var interface: String
    /// Bitrate to set (with the interface down) before opening, bit/s; `nil` leaves it as configured.
    var bitrate: Int?
    /// Accept CAN FD frames.
    var fd: Bool?
    /// Restart the controller through libsocketcan when it goes bus-off.
    var restartOnBusOff: Bool?

    enum CodingKeys: String, CodingKey {
        case interface, bitrate, fd
        case restartOnBusOff = "restart_on_bus_off"
    }
}

/// A USB-serial adapter speaking slcan (Lawicel).
struct SlcanSettings: Codable, Sendable, Equatable {
    /// Serial device, e.g. `/dev/ttyACM0`.
    var device: String
    /// CAN bitrate, bit/s; one of the slcan S-code rates. Default 500 000 (the CAN-bus BMS rate).
    var bitrate: Int?
    /// Serial line speed; ignored by USB CDC adapters. Default 115 200.
    var serialBaud: Int?

    enum CodingKeys: String, CodingKey {
        case device, bitrate
        case serialBaud = "serial_baud"
    }
}

/// A candump `-L` log replayed as if it were a live bus (for tests, demos and post-mortems).
struct CandumpReplaySettings: Codable, Sendable, Equatable {
    /// Path of the log, relative to the configuration file unless absolute.
    var file: String
    /// Replay speed: 1 = as recorded, 10 = ten times faster, 0 = as fast as possible. Default 1.
    var speed: Double?
    /// Start again from the top at the end of the log. Default false.
    var loop: Bool?
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
    /// The CAN-bus BMS protocol (Pylontech / SMA / Victron frames 0x351…0x373).
    case canbusBMS = "canbus_bms"
    /// Any CAN pack described by a DBC file and a signal map.
    case dbc

    var isCAN: Bool { self == .canbusBMS || self == .dbc }
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
    /// Modbus unit id (Modbus devices only).
    var unitID: Int?
    var profile: DeviceProfile
    /// Path of the register map, relative to the configuration file, for `register_map` devices.
    var registerMap: String?
    /// Path of the DBC file, relative to the configuration file, for `dbc` devices.
    var dbc: String?
    /// Path of the signal map (DBC signal → snapshot field), for `dbc` devices.
    var signalMap: String?
    /// Interval of the 0x305 keep-alive the agent sends to a `canbus_bms` pack, ms; 0 sends none.
    /// Default 1000.
    var keepaliveMilliseconds: Int?
    /// After how long without a frame its values turn stale, ms. Default 3000.
    var staleAfterMilliseconds: Int?
    /// CAN frames (candump syntax, `ID#HEX`) that carry out local commands on this pack, by command name
    /// (`open_contactors`, `stop_power`, `reset_alarms`, `start`).
    var canCommands: [String: String]?
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
        case dbc
        case signalMap = "signal_map"
        case keepaliveMilliseconds = "keepalive_ms"
        case staleAfterMilliseconds = "stale_after_ms"
        case canCommands = "can_commands"
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
