/// A stream a WebSocket client can subscribe to.
public enum StreamTopic: String, WireEnum {
    case telemetry
    case fleetStatus = "fleet_status"
    case alerts
}

/// A message a dashboard sends on `/ws/{client_id}`.
public enum WebSocketClientMessage: Codable, Sendable, Equatable {
    case subscribe(Subscription)
    case unsubscribe(StreamTopic)
    /// An operator acts on an alert: `{"type": "alert_action", "alert_id": …, "action_id": "acknowledge",
    /// "parameters": {…}}` — one of the `actions` the alert offers.
    case alertAction(AlertActionRequest)

    enum MessageType: String, WireEnum {
        case subscribe, unsubscribe
        case alertAction = "alert_action"
    }

    enum CodingKeys: String, CodingKey {
        case type, topic, filters
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(MessageType.self, forKey: .type)
        if type == .alertAction {
            self = .alertAction(try AlertActionRequest(from: decoder))
            return
        }
        let topic = try container.decode(StreamTopic.self, forKey: .topic)
        switch type {
        case .alertAction:
            self = .alertAction(try AlertActionRequest(from: decoder))
        case .unsubscribe:
            self = .unsubscribe(topic)
        case .subscribe:
            switch topic {
            case .telemetry:
                let filters = try container.decodeIfPresent(TelemetryFilters.self, forKey: .filters)
                self = .subscribe(.telemetry(filters ?? TelemetryFilters()))
            case .fleetStatus:
                self = .subscribe(.fleetStatus(try container.decode(FleetStatusFilters.self, forKey: .filters)))
            case .alerts:
                let filters = try container.decodeIfPresent(AlertFilters.self, forKey: .filters)
                self = .subscribe(.alerts(filters ?? AlertFilters()))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .alertAction(let request):
            try container.encode(MessageType.alertAction, forKey: .type)
            try request.encode(to: encoder)
        case .unsubscribe(let topic):
            try container.encode(MessageType.unsubscribe, forKey: .type)
            try container.encode(topic, forKey: .topic)
        case .subscribe(let subscription):
            try container.encode(MessageType.subscribe, forKey: .type)
            switch subscription {
            case .telemetry(let filters):
                try container.encode(StreamTopic.telemetry, forKey: .topic)
                try container.encode(filters, forKey: .filters)
            case .fleetStatus(let filters):
                try container.encode(StreamTopic.fleetStatus, forKey: .topic)
                try container.encode(filters, forKey: .filters)
            case .alerts(let filters):
                try container.encode(StreamTopic.alerts, forKey: .topic)
                try container.encode(filters, forKey: .filters)
            }
        }
    }
}

/// An operator's action on an alert, from the socket (`alert_action`) or REST
/// (`POST /alerts/{alert_id}/actions/{action_id}`).
public struct AlertActionRequest: Codable, Sendable, Equatable {
    public var alertID: String
    public var actionID: String
    /// Overrides of the action's offered parameters (`power_reduction_percent` of `reduce_power`).
    public var parameters: JSONObject?

    public init(alertID: String, actionID: String, parameters: JSONObject? = nil) {
        self.alertID = alertID
        self.actionID = actionID
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case alertID = "alert_id"
        case actionID = "action_id"
        case parameters
    }
}

/// A subscription with the filters of its topic.
public enum Subscription: Sendable, Equatable {
    case telemetry(TelemetryFilters)
    case fleetStatus(FleetStatusFilters)
    case alerts(AlertFilters)

    /// The topic subscribed to.
    public var topic: StreamTopic {
        switch self {
        case .telemetry: .telemetry
        case .fleetStatus: .fleetStatus
        case .alerts: .alerts
        }
    }
}

/// Which telemetry to stream. An absent filter does not restrict.
public struct TelemetryFilters: Codable, Sendable, Equatable {
    public var siteID: String?
    public var deviceIDs: [String]?
    public var metrics: [TelemetryMetric]?
    public var sampleRate: SampleRate?

    public init(
        siteID: String? = nil, deviceIDs: [String]? = nil, metrics: [TelemetryMetric]? = nil,
        sampleRate: SampleRate? = nil
    ) {
        self.siteID = siteID
        self.deviceIDs = deviceIDs
        self.metrics = metrics
        self.sampleRate = sampleRate
    }

    enum CodingKeys: String, CodingKey {
        case siteID = "site_id"
        case deviceIDs = "device_ids"
        case metrics
        case sampleRate = "sample_rate"
    }
}

/// Which fleet to watch and how often.
public struct FleetStatusFilters: Codable, Sendable, Equatable {
    public var siteID: String
    /// Interval between updates in milliseconds.
    public var updateIntervalMilliseconds: Int?

    public init(siteID: String, updateIntervalMilliseconds: Int? = nil) {
        self.siteID = siteID
        self.updateIntervalMilliseconds = updateIntervalMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case siteID = "site_id"
        case updateIntervalMilliseconds = "update_interval"
    }
}

/// Which alerts to stream. An absent filter does not restrict.
public struct AlertFilters: Codable, Sendable, Equatable {
    public var siteID: String?
    public var deviceIDs: [String]?
    /// Lowest severity to stream.
    public var minimumSeverity: Severity?

    public init(siteID: String? = nil, deviceIDs: [String]? = nil, minimumSeverity: Severity? = nil) {
        self.siteID = siteID
        self.deviceIDs = deviceIDs
        self.minimumSeverity = minimumSeverity
    }

    enum CodingKeys: String, CodingKey {
        case siteID = "site_id"
        case deviceIDs = "device_ids"
        case minimumSeverity = "min_severity"
    }
}

/// A stream rate such as `"1Hz"` or `"0.2Hz"`.
public struct SampleRate: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Accepted rates in Hz.
    public static let acceptedRange: ClosedRange<Double> = 0.001...100

    public let hertz: Double

    /// A rate in Hz, or `nil` if it is not finite or outside `acceptedRange`.
    public init?(hertz: Double) {
        guard hertz.isFinite, Self.acceptedRange.contains(hertz) else { return nil }
        self.hertz = hertz
    }

    /// Parses `"<number>Hz"`.
    public init?(_ text: String) {
        guard text.hasSuffix("Hz"), let value = Double(text.dropLast(2)),
            !text.dropLast(2).contains(where: { $0 == " " || $0 == "+" })
        else { return nil }
        self.init(hertz: value)
    }

    /// The interval between samples, in milliseconds.
    public var intervalMilliseconds: Double { 1000 / hertz }

    public var description: String {
        hertz == hertz.rounded() && hertz < 1e15 ? "\(Int64(hertz))Hz" : "\(hertz)Hz"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let rate = SampleRate(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription:
                    "'\(text)' is not a sample rate; write a number of Hz between \(Self.acceptedRange.lowerBound) and \(Self.acceptedRange.upperBound), e.g. \"1Hz\" or \"0.2Hz\""
            )
        }
        self = rate
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
