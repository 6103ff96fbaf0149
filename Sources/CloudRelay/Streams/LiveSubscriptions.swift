import BMSCore

/// A client's subscriptions: at most one per topic, since an unsubscribe names only its topic. Subscribing to a
/// topic again replaces that topic's filters.
struct LiveSubscriptions: Sendable {
    var telemetry: TelemetrySubscription?
    var fleet: FleetSubscription?
    var alerts: AlertFilters?

    mutating func remove(_ topic: StreamTopic) {
        switch topic {
        case .telemetry: telemetry = nil
        case .fleetStatus: fleet = nil
        case .alerts: alerts = nil
        }
    }
}

/// A telemetry subscription: its filters, with the decimation state of its sample rate.
struct TelemetrySubscription: Sendable {
    var siteID: String?
    var deviceIDs: Set<String>?
    /// The metrics kept in `data`; `nil` keeps all.
    var metrics: Set<TelemetryMetric>?
    var decimator: TelemetryDecimator?

    init(_ filters: TelemetryFilters) {
        siteID = filters.siteID
        deviceIDs = filters.deviceIDs.map { Set($0) }
        metrics = filters.metrics.map { Set($0) }
        decimator = filters.sampleRate.map { TelemetryDecimator(rate: $0) }
    }

    /// Whether `message` passes the site and device filters and its slot of the sample rate; a sample that
    /// passes the filters is recorded by the decimator whether it is delivered or not.
    mutating func admit(_ message: TelemetryMessage) -> Bool {
        if let siteID, siteID != message.deviceInfo.siteID { return false }
        if let deviceIDs, !deviceIDs.contains(message.deviceInfo.deviceID) { return false }
        return decimator?.admit(deviceID: message.deviceInfo.deviceID, at: message.timestamp) ?? true
    }
}

/// A fleet status subscription: one site, pushed every `intervalMilliseconds` by `LiveHub.tick(now:)`.
struct FleetSubscription: Sendable {
    var siteID: String
    var intervalMilliseconds: Int64
    /// Relay time of the last push; `nil` until the first.
    var lastSent: Timestamp?

    /// Whether a push is due at relay time `now`.
    func isDue(at now: Timestamp) -> Bool {
        guard let lastSent else { return true }
        return now.millisecondsSince(lastSent) >= intervalMilliseconds
    }
}

extension AlertFilters {
    /// Whether `alert` passes the site, device and severity filters.
    func admits(_ alert: Alert) -> Bool {
        if let siteID, siteID != alert.siteID { return false }
        if let deviceIDs, !deviceIDs.contains(alert.deviceID) { return false }
        if let minimumSeverity, alert.severity < minimumSeverity { return false }
        return true
    }
}
