/// A pack as the relay serves it at `GET /api/v1/devices/{device_id}`.
public struct Device: Codable, Sendable, Equatable {
    public var deviceID: String
    public var siteID: String
    public var name: String
    public var chemistry: Chemistry
    public var specifications: DeviceSpecifications
    public var currentStatus: DeviceCurrentStatus
    public var safetyConstraints: SafetyConstraints

    public init(
        deviceID: String, siteID: String, name: String, chemistry: Chemistry,
        specifications: DeviceSpecifications, currentStatus: DeviceCurrentStatus,
        safetyConstraints: SafetyConstraints
    ) {
        self.deviceID = deviceID
        self.siteID = siteID
        self.name = name
        self.chemistry = chemistry
        self.specifications = specifications
        self.currentStatus = currentStatus
        self.safetyConstraints = safetyConstraints
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case siteID = "site_id"
        case name, chemistry, specifications
        case currentStatus = "current_status"
        case safetyConstraints = "safety_constraints"
    }
}

/// The body of `POST /api/v1/devices`; also the descriptor an agent announces for each of its packs.
public struct DeviceRegistration: Codable, Sendable, Equatable {
    public var deviceID: String
    public var siteID: String
    public var name: String
    public var chemistry: Chemistry
    public var specifications: DeviceSpecifications
    /// Overrides of the chemistry's default maximum safety limits.
    public var safetyConstraints: SafetyConstraints?

    public init(
        deviceID: String, siteID: String, name: String, chemistry: Chemistry,
        specifications: DeviceSpecifications, safetyConstraints: SafetyConstraints? = nil
    ) {
        self.deviceID = deviceID
        self.siteID = siteID
        self.name = name
        self.chemistry = chemistry
        self.specifications = specifications
        self.safetyConstraints = safetyConstraints
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case siteID = "site_id"
        case name, chemistry, specifications
        case safetyConstraints = "safety_constraints"
    }
}

/// Nameplate data of a pack.
public struct DeviceSpecifications: Codable, Sendable, Equatable {
    /// Capacity in Ah.
    public var nominalCapacityAmpHours: Double
    /// Voltage in V.
    public var nominalVoltageVolts: Double
    /// Largest charge power in W.
    public var maxChargePowerWatts: Double?
    /// Largest discharge power in W.
    public var maxDischargePowerWatts: Double?
    public var seriesCells: Int
    public var parallelCells: Int

    public init(
        nominalCapacityAmpHours: Double, nominalVoltageVolts: Double, maxChargePowerWatts: Double? = nil,
        maxDischargePowerWatts: Double? = nil, seriesCells: Int, parallelCells: Int
    ) {
        self.nominalCapacityAmpHours = nominalCapacityAmpHours
        self.nominalVoltageVolts = nominalVoltageVolts
        self.maxChargePowerWatts = maxChargePowerWatts
        self.maxDischargePowerWatts = maxDischargePowerWatts
        self.seriesCells = seriesCells
        self.parallelCells = parallelCells
    }

    enum CodingKeys: String, CodingKey {
        case nominalCapacityAmpHours = "nominal_capacity"
        case nominalVoltageVolts = "nominal_voltage"
        case maxChargePowerWatts = "max_charge_power"
        case maxDischargePowerWatts = "max_discharge_power"
        case seriesCells = "series_cells"
        case parallelCells = "parallel_cells"
    }
}

/// Connection state of a pack as the relay sees it.
public enum DeviceStatus: String, WireEnum {
    case online, offline, error, maintenance
}

/// The live part of `GET /devices/{device_id}`, taken from the latest telemetry.
public struct DeviceCurrentStatus: Codable, Sendable, Equatable {
    public var status: DeviceStatus
    /// When the relay last heard from the pack; absent if it never has.
    public var lastSeen: Timestamp?
    /// State of charge in percent (0–100), absent before the first telemetry.
    public var currentSoC: Double?
    /// State of health in percent (0–100), absent before the first telemetry.
    public var currentSoH: Double?
    /// Codes of the alarms active in the latest telemetry.
    public var activeAlarms: [String]

    public init(
        status: DeviceStatus, lastSeen: Timestamp? = nil, currentSoC: Double? = nil, currentSoH: Double? = nil,
        activeAlarms: [String] = []
    ) {
        self.status = status
        self.lastSeen = lastSeen
        self.currentSoC = currentSoC
        self.currentSoH = currentSoH
        self.activeAlarms = activeAlarms
    }

    enum CodingKeys: String, CodingKey {
        case status
        case lastSeen = "last_seen"
        case currentSoC = "current_soc"
        case currentSoH = "current_soh"
        case activeAlarms = "active_alarms"
    }
}

/// The spec's `safety_constraints`: a pack's maximum safety limits (the level at which protection acts).
///
/// Each value present overrides the chemistry's default; see `SafetyLimits` for how the warning and alarm
/// levels follow it.
public struct SafetyConstraints: Codable, Sendable, Equatable {
    /// Highest cell voltage in V.
    public var maxCellVoltage: Double?
    /// Lowest cell voltage in V.
    public var minCellVoltage: Double?
    /// Largest charge current in A.
    public var maxChargeCurrent: Double?
    /// Largest discharge current in A.
    public var maxDischargeCurrent: Double?
    /// Temperature window in °C.
    public var temperatureLimits: TemperatureLimits?

    public init(
        maxCellVoltage: Double? = nil, minCellVoltage: Double? = nil, maxChargeCurrent: Double? = nil,
        maxDischargeCurrent: Double? = nil, temperatureLimits: TemperatureLimits? = nil
    ) {
        self.maxCellVoltage = maxCellVoltage
        self.minCellVoltage = minCellVoltage
        self.maxChargeCurrent = maxChargeCurrent
        self.maxDischargeCurrent = maxDischargeCurrent
        self.temperatureLimits = temperatureLimits
    }

    enum CodingKeys: String, CodingKey {
        case maxCellVoltage = "max_cell_voltage"
        case minCellVoltage = "min_cell_voltage"
        case maxChargeCurrent = "max_charge_current"
        case maxDischargeCurrent = "max_discharge_current"
        case temperatureLimits = "temperature_limits"
    }
}

/// A temperature window in °C.
public struct TemperatureLimits: Codable, Sendable, Equatable {
    public var max: Double?
    public var min: Double?

    public init(max: Double? = nil, min: Double? = nil) {
        self.max = max
        self.min = min
    }
}
