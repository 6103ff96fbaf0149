/// Version of the MQTT message schemas. A message of any other version is refused, not guessed at.
public enum SchemaVersion: String, WireEnum {
    case v1 = "1.0"
}

/// Severity of an alarm or alert, from least to most severe.
///
/// `warning` is the operating limit, `alarm` the recommended safety limit and `critical` the maximum safety
/// limit (foxBMS levels); `info` reports without a limit violation.
public enum Severity: String, WireEnum, Comparable {
    case info, warning, alarm, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .alarm: 2
        case .critical: 3
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What a pack is doing.
public enum OperationalState: String, WireEnum {
    case idle, charging, discharging, standby, initializing, maintenance, fault, offline
}

/// The telemetry message an agent publishes on `pulsebms/{site}/{device}/telemetry`.
public struct TelemetryMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    /// When the sample was measured.
    public var timestamp: Timestamp
    /// Per-device counter that only grows, across agent restarts too.
    public var sequenceNumber: UInt64
    public var deviceInfo: DeviceInfo
    public var measurements: Measurements
    public var status: RuntimeStatus
    public var alarms: AlarmSummary
    /// `true` on a sample replayed from the agent's buffer after an outage: it must not update live views.
    public var isHistorical: Bool?

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, sequenceNumber: UInt64, deviceInfo: DeviceInfo,
        measurements: Measurements, status: RuntimeStatus, alarms: AlarmSummary, isHistorical: Bool? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.sequenceNumber = sequenceNumber
        self.deviceInfo = deviceInfo
        self.measurements = measurements
        self.status = status
        self.alarms = alarms
        self.isHistorical = isHistorical
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp
        case sequenceNumber = "sequence_number"
        case deviceInfo = "device_info"
        case measurements, status, alarms
        case isHistorical = "is_historical"
    }
}

/// Identity of the pack that sent a message.
public struct DeviceInfo: Codable, Sendable, Equatable {
    public var deviceID: String
    public var siteID: String
    public var firmwareVersion: String?

    public init(deviceID: String, siteID: String, firmwareVersion: String? = nil) {
        self.deviceID = deviceID
        self.siteID = siteID
        self.firmwareVersion = firmwareVersion
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case siteID = "site_id"
        case firmwareVersion = "firmware_version"
    }
}

/// Pack and cell measurements of one sample.
public struct Measurements: Codable, Sendable, Equatable {
    public var pack: PackMeasurements
    public var cells: CellMeasurements?

    public init(pack: PackMeasurements, cells: CellMeasurements? = nil) {
        self.pack = pack
        self.cells = cells
    }
}

/// Pack-level values. Current and power are negative while charging (the spec's examples).
///
/// Voltage and current are always present; a value the pack does not report, or whose read failed, is
/// absent rather than invented.
public struct PackMeasurements: Codable, Sendable, Equatable {
    /// Pack voltage in V.
    public var voltage: Double
    /// Pack current in A.
    public var current: Double
    /// Pack power in W.
    public var power: Double?
    /// Pack temperature in °C.
    public var temperature: Double?
    /// State of charge in percent.
    public var soc: Double?
    /// State of health in percent.
    public var soh: Double?
    /// Internal resistance in Ω.
    public var internalResistance: Double?

    public init(
        voltage: Double, current: Double, power: Double?, temperature: Double?, soc: Double?, soh: Double?,
        internalResistance: Double? = nil
    ) {
        self.voltage = voltage
        self.current = current
        self.power = power
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
        self.internalResistance = internalResistance
    }

    enum CodingKeys: String, CodingKey {
        case voltage, current, power, temperature, soc, soh
        case internalResistance = "internal_resistance"
    }
}

/// Per-cell values, index 0 being cell 1.
public struct CellMeasurements: Codable, Sendable, Equatable {
    public var count: Int
    /// Cell voltages in V.
    public var voltages: [Double]
    /// Cell (or sensor) temperatures in °C.
    public var temperatures: [Double]
    /// 1 while the cell is being balanced, else 0.
    public var balancingStatus: [Int]

    public init(count: Int, voltages: [Double], temperatures: [Double], balancingStatus: [Int]) {
        self.count = count
        self.voltages = voltages
        self.temperatures = temperatures
        self.balancingStatus = balancingStatus
    }

    enum CodingKeys: String, CodingKey {
        case count, voltages, temperatures
        case balancingStatus = "balancing_status"
    }
}

/// The `status` block of a telemetry message.
public struct RuntimeStatus: Codable, Sendable, Equatable {
    public var operationalState: OperationalState
    /// Fraction of recent reads that succeeded, 0–1.
    public var communicationQuality: Double
    public var lastCommandID: String?
    public var uptimeSeconds: Double

    public init(
        operationalState: OperationalState, communicationQuality: Double, lastCommandID: String? = nil,
        uptimeSeconds: Double
    ) {
        self.operationalState = operationalState
        self.communicationQuality = communicationQuality
        self.lastCommandID = lastCommandID
        self.uptimeSeconds = uptimeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case operationalState = "operational_state"
        case communicationQuality = "communication_quality"
        case lastCommandID = "last_command_id"
        case uptimeSeconds = "uptime_seconds"
    }
}

/// The alarms active in a sample.
public struct AlarmSummary: Codable, Sendable, Equatable {
    public var activeCount: Int
    public var flags: [String]
    public var details: [AlarmDetail]

    public init(activeCount: Int, flags: [String], details: [AlarmDetail]) {
        self.activeCount = activeCount
        self.flags = flags
        self.details = details
    }

    /// No active alarm.
    public static let none = AlarmSummary(activeCount: 0, flags: [], details: [])

    enum CodingKeys: String, CodingKey {
        case activeCount = "active_count"
        case flags, details
    }
}

/// One active alarm.
public struct AlarmDetail: Codable, Sendable, Equatable {
    /// Stable code such as `TEMP_001`.
    public var code: String
    public var severity: Severity
    public var message: String
    /// Values behind the alarm: cell number, measured value, threshold.
    public var data: JSONObject

    public init(code: String, severity: Severity, message: String, data: JSONObject) {
        self.code = code
        self.severity = severity
        self.message = message
        self.data = data
    }
}
