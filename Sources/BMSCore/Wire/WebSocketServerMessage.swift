/// A message the relay pushes on `/ws/{client_id}`.
public enum WebSocketServerMessage: Codable, Sendable, Equatable {
    case telemetry(LiveTelemetry)
    case fleetStatus(FleetStatus)
    case alert(Alert)
    /// A client message the relay refused, in the spec's error shape beside `type`: `code`, `message`,
    /// `details`, `timestamp`, `trace_id`. The connection stays open.
    case error(ErrorBody<JSONObject>)

    enum MessageType: String, WireEnum {
        case telemetry
        case fleetStatus = "fleet_status"
        case alert
        case error
    }

    enum CodingKeys: String, CodingKey {
        case type
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(MessageType.self, forKey: .type) {
        case .telemetry: self = .telemetry(try LiveTelemetry(from: decoder))
        case .fleetStatus: self = .fleetStatus(try FleetStatus(from: decoder))
        case .alert: self = .alert(try Alert(from: decoder))
        case .error: self = .error(try ErrorBody<JSONObject>(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .telemetry(let message):
            try container.encode(MessageType.telemetry, forKey: .type)
            try message.encode(to: encoder)
        case .fleetStatus(let message):
            try container.encode(MessageType.fleetStatus, forKey: .type)
            try message.encode(to: encoder)
        case .alert(let message):
            try container.encode(MessageType.alert, forKey: .type)
            try message.encode(to: encoder)
        case .error(let body):
            try container.encode(MessageType.error, forKey: .type)
            try body.encode(to: encoder)
        }
    }
}

/// One telemetry sample as streamed to dashboards. Metrics left out by the subscription's filter are absent.
public struct LiveTelemetry: Codable, Sendable, Equatable {
    public var timestamp: Timestamp
    public var siteID: String
    public var deviceID: String
    public var data: LiveTelemetryData
    public var metadata: LiveTelemetryMetadata

    public init(
        timestamp: Timestamp, siteID: String, deviceID: String, data: LiveTelemetryData,
        metadata: LiveTelemetryMetadata
    ) {
        self.timestamp = timestamp
        self.siteID = siteID
        self.deviceID = deviceID
        self.data = data
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case timestamp
        case siteID = "site_id"
        case deviceID = "device_id"
        case data, metadata
    }
}

/// The values of a streamed sample.
public struct LiveTelemetryData: Codable, Sendable, Equatable {
    public var voltage: Double?
    public var current: Double?
    public var power: Double?
    public var temperature: Double?
    public var soc: Double?
    public var soh: Double?
    public var cellVoltages: [Double]?
    public var cellTemperatures: [Double]?
    public var alarmFlags: [String]

    public init(
        voltage: Double? = nil, current: Double? = nil, power: Double? = nil, temperature: Double? = nil,
        soc: Double? = nil, soh: Double? = nil, cellVoltages: [Double]? = nil, cellTemperatures: [Double]? = nil,
        alarmFlags: [String] = []
    ) {
        self.voltage = voltage
        self.current = current
        self.power = power
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
        self.cellVoltages = cellVoltages
        self.cellTemperatures = cellTemperatures
        self.alarmFlags = alarmFlags
    }

    enum CodingKeys: String, CodingKey {
        case voltage, current, power, temperature, soc, soh
        case cellVoltages = "cell_voltages"
        case cellTemperatures = "cell_temperatures"
        case alarmFlags = "alarm_flags"
    }
}

/// Delivery facts of a streamed sample.
public struct LiveTelemetryMetadata: Codable, Sendable, Equatable {
    /// From the device's measurement time to the push, in ms.
    public var latencyMilliseconds: Double
    /// Fraction of the pack's recent reads that succeeded, 0–1.
    public var dataQuality: Double
    /// Samples for this client dropped by backpressure since the previous delivered one.
    public var droppedMessages: Int?

    public init(latencyMilliseconds: Double, dataQuality: Double, droppedMessages: Int? = nil) {
        self.latencyMilliseconds = latencyMilliseconds
        self.dataQuality = dataQuality
        self.droppedMessages = droppedMessages
    }

    enum CodingKeys: String, CodingKey {
        case latencyMilliseconds = "latency_ms"
        case dataQuality = "data_quality"
        case droppedMessages = "dropped_messages"
    }
}

/// The state of one site's fleet: pushed on the socket, published on `pulsebms/{site}/fleet/summary`, and
/// served at `GET /api/v1/fleet/{site_id}`.
public struct FleetStatus: Codable, Sendable, Equatable {
    public var timestamp: Timestamp
    public var siteID: String
    public var summary: FleetSummary
    public var devices: [FleetDeviceStatus]
    /// Present while a power allocation is active.
    public var optimization: OptimizationStatus?

    public init(
        timestamp: Timestamp, siteID: String, summary: FleetSummary, devices: [FleetDeviceStatus],
        optimization: OptimizationStatus? = nil
    ) {
        self.timestamp = timestamp
        self.siteID = siteID
        self.summary = summary
        self.devices = devices
        self.optimization = optimization
    }

    enum CodingKeys: String, CodingKey {
        case timestamp
        case siteID = "site_id"
        case summary, devices, optimization
    }
}

/// Site totals.
public struct FleetSummary: Codable, Sendable, Equatable {
    public var totalDevices: Int
    public var onlineDevices: Int
    /// Sum of nominal energy, kWh.
    public var totalCapacity: Double
    /// Sum of the energy the packs can deliver now, kWh.
    public var availableCapacity: Double
    /// Site power, W (> 0 discharging).
    public var totalPower: Double
    public var averageSoC: Double
    public var averageSoH: Double
    /// Alarms on the packs now.
    public var activeAlarms: Int
    /// How many of `activeAlarms` an operator has acknowledged (beyond the spec; absent when the relay does not
    /// track alerts).
    public var acknowledgedAlarms: Int?

    public init(
        totalDevices: Int, onlineDevices: Int, totalCapacity: Double, availableCapacity: Double,
        totalPower: Double, averageSoC: Double, averageSoH: Double, activeAlarms: Int, acknowledgedAlarms: Int? = nil
    ) {
        self.acknowledgedAlarms = acknowledgedAlarms
        self.totalDevices = totalDevices
        self.onlineDevices = onlineDevices
        self.totalCapacity = totalCapacity
        self.availableCapacity = availableCapacity
        self.totalPower = totalPower
        self.averageSoC = averageSoC
        self.averageSoH = averageSoH
        self.activeAlarms = activeAlarms
    }

    enum CodingKeys: String, CodingKey {
        case totalDevices = "total_devices"
        case onlineDevices = "online_devices"
        case totalCapacity = "total_capacity"
        case availableCapacity = "available_capacity"
        case totalPower = "total_power"
        case averageSoC = "average_soc"
        case averageSoH = "average_soh"
        case activeAlarms = "active_alarms"
        case acknowledgedAlarms = "acknowledged_alarms"
    }
}

/// One pack in a fleet status. `soc` and `power` are absent for a pack never heard from.
public struct FleetDeviceStatus: Codable, Sendable, Equatable {
    public var deviceID: String
    public var status: DeviceStatus
    public var soc: Double?
    public var power: Double?
    public var alarmCount: Int

    public init(deviceID: String, status: DeviceStatus, soc: Double? = nil, power: Double? = nil, alarmCount: Int) {
        self.deviceID = deviceID
        self.status = status
        self.soc = soc
        self.power = power
        self.alarmCount = alarmCount
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case status, soc, power
        case alarmCount = "alarm_count"
    }
}

/// The active power allocation policy.
public struct OptimizationStatus: Codable, Sendable, Equatable {
    public var activePolicy: String
    public var performanceScore: Double
    public var nextUpdate: Timestamp

    public init(activePolicy: String, performanceScore: Double, nextUpdate: Timestamp) {
        self.activePolicy = activePolicy
        self.performanceScore = performanceScore
        self.nextUpdate = nextUpdate
    }

    enum CodingKeys: String, CodingKey {
        case activePolicy = "active_policy"
        case performanceScore = "performance_score"
        case nextUpdate = "next_update"
    }
}

/// What an alert is about.
public enum AlertCategory: String, WireEnum {
    case voltage, temperature, current, soc, imbalance, communication, system
}

/// An alert: pushed on the socket, published on `pulsebms/{site}/fleet/alerts`, served at `GET /alerts`.
///
/// Beyond the spec's fields, the relay says where the alert stands — `status`, who acknowledged it and when,
/// when it resolved, and the operator actions taken on it — so a dashboard shows the same alert alike from the
/// socket and from REST. These are absent (not null) where unknown, as on an alert just raised.
public struct Alert: Codable, Sendable, Equatable {
    public var timestamp: Timestamp
    public var alertID: String
    public var severity: Severity
    public var category: AlertCategory
    public var siteID: String
    public var deviceID: String
    public var title: String
    public var message: String
    public var data: JSONObject
    public var actions: [AlertAction]
    public var status: AlertStatus?
    public var acknowledgedAt: Timestamp?
    /// Who acknowledged it (an API key id or a token subject).
    public var acknowledgedBy: String?
    public var resolvedAt: Timestamp?
    /// The operator actions taken on it, oldest first.
    public var actionsTaken: [AlertActionRecord]?

    public init(
        timestamp: Timestamp, alertID: String, severity: Severity, category: AlertCategory, siteID: String,
        deviceID: String, title: String, message: String, data: JSONObject, actions: [AlertAction],
        status: AlertStatus? = nil, acknowledgedAt: Timestamp? = nil, acknowledgedBy: String? = nil,
        resolvedAt: Timestamp? = nil, actionsTaken: [AlertActionRecord]? = nil
    ) {
        self.timestamp = timestamp
        self.alertID = alertID
        self.severity = severity
        self.category = category
        self.siteID = siteID
        self.deviceID = deviceID
        self.title = title
        self.message = message
        self.data = data
        self.actions = actions
        self.status = status
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAt = resolvedAt
        self.actionsTaken = actionsTaken
    }

    enum CodingKeys: String, CodingKey {
        case timestamp
        case alertID = "alert_id"
        case severity, category
        case siteID = "site_id"
        case deviceID = "device_id"
        case title, message, data, actions, status
        case acknowledgedAt = "acknowledged_at"
        case acknowledgedBy = "acknowledged_by"
        case resolvedAt = "resolved_at"
        case actionsTaken = "actions_taken"
    }
}

/// Where an alert stands: `active` until someone acknowledges it or its alarm clears.
public enum AlertStatus: String, WireEnum {
    case active, acknowledged, resolved
}

/// An operator action taken on an alert.
public struct AlertActionRecord: Codable, Sendable, Equatable {
    public var actionID: String
    /// Who took it (an API key id or a token subject).
    public var takenBy: String
    public var takenAt: Timestamp
    /// The parameters it was taken with (the offered defaults where the operator gave none).
    public var parameters: JSONObject?
    /// The command it sent the pack, if any.
    public var commandID: String?

    public init(actionID: String, takenBy: String, takenAt: Timestamp, parameters: JSONObject? = nil, commandID: String? = nil) {
        self.actionID = actionID
        self.takenBy = takenBy
        self.takenAt = takenAt
        self.parameters = parameters
        self.commandID = commandID
    }

    enum CodingKeys: String, CodingKey {
        case actionID = "action_id"
        case takenBy = "taken_by"
        case takenAt = "taken_at"
        case parameters
        case commandID = "command_id"
    }
}

/// Something an operator can do about an alert.
public struct AlertAction: Codable, Sendable, Equatable {
    public var actionID: String
    public var label: String
    public var parameters: JSONObject?

    public init(actionID: String, label: String, parameters: JSONObject? = nil) {
        self.actionID = actionID
        self.label = label
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case actionID = "action_id"
        case label, parameters
    }
}
