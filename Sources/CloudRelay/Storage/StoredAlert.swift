import BMSCore

/// An alert as stored: the spec's alert message plus its lifecycle.
struct StoredAlert: Sendable, Equatable {
    /// The alert as published. `timestamp` is when it was raised; the other fields are the latest update's.
    var alert: Alert
    /// The alarm code it tracks (`TEMP_001`): a device has at most one unresolved alert per code.
    var code: String
    var updatedAt: Timestamp
    var resolvedAt: Timestamp?
    var acknowledgedAt: Timestamp?
    /// Who acknowledged it (an API key id or a token subject).
    var acknowledgedBy: String?
    /// The operator actions taken on it, oldest first.
    var actionsTaken: [AlertActionRecord] = []

    var status: AlertStatus {
        if resolvedAt != nil { return .resolved }
        return acknowledgedAt == nil ? .active : .acknowledged
    }

    /// The alert as the API and the live streams show it: the spec's fields with where it stands.
    var current: Alert {
        var current = alert
        current.status = status
        current.acknowledgedAt = acknowledgedAt
        current.acknowledgedBy = acknowledgedBy
        current.resolvedAt = resolvedAt
        current.actionsTaken = actionsTaken
        return current
    }
}

/// The filters of `GET /alerts`. Newest first; `nil` filters nothing.
struct AlertFilter: Sendable, Equatable {
    var siteID: String?
    var deviceID: String?
    var severity: Severity?
    var status: AlertStatus?
    /// The sites the caller may see (a site-limited key); `nil` for every site.
    var allowedSites: [String]?
    var limit: Int

    init(
        siteID: String? = nil, deviceID: String? = nil, severity: Severity? = nil, status: AlertStatus? = nil,
        allowedSites: [String]? = nil, limit: Int = 100
    ) {
        self.siteID = siteID
        self.deviceID = deviceID
        self.severity = severity
        self.status = status
        self.allowedSites = allowedSites
        self.limit = limit
    }
}

/// What an upsert did to the alert of a device and code.
enum AlertChange: Sendable, Equatable {
    /// A new alert: publish it.
    case raised
    /// The open alert changed severity (a higher one clears its acknowledgement): publish it again.
    case severityChanged(from: Severity)
    /// The open alert's text or data were refreshed at the same severity.
    case updated
}

/// One page of alerts and the number of alerts matching the filter.
struct AlertPage: Sendable, Equatable {
    var items: [StoredAlert]
    var total: Int
}

/// The alert after an upsert and what changed.
struct AlertUpsert: Sendable, Equatable {
    var alert: StoredAlert
    var change: AlertChange
}
