import BMSCore

/// Why the hub refused a message a client sent; the client gets it as an `error` message in the spec's error
/// shape, and the connection stays open.
enum LiveRequestError: Error, Sendable, Equatable {
    /// Not JSON, or not a client message: unknown `type` or `topic`, a missing field, a bad `sample_rate`.
    case malformed(WireDecodingError)
    /// Well-formed, but a filter cannot be served.
    case invalidFilter(field: String, message: String, received: JSONValue?)
    /// A filter names a site the principal may not see.
    case siteForbidden(siteID: String)
    /// The connection is no longer registered (disconnected or replaced).
    case notConnected(clientID: String)
    /// An `alert_action` reached the hub, which cannot take it (the socket hands those to the API).
    case actionUnavailable

    /// The spec's error body: `VALIDATION_ERROR` with `field_errors` as in REST, `SITE_FORBIDDEN` with the site
    /// as REST answers it, or `NOT_CONNECTED`.
    func body(at time: Timestamp, traceID: String) -> ErrorBody<JSONObject> {
        switch self {
        case .malformed(let error):
            return Self.validation(
                field: error.path, message: error.reason, summary: "Invalid message: \(error.description)",
                received: nil, at: time, traceID: traceID)
        case .invalidFilter(let field, let message, let received):
            return Self.validation(
                field: field, message: message, summary: "Invalid filter: \(field): \(message)", received: received,
                at: time, traceID: traceID)
        case .siteForbidden(let siteID):
            let error = AuthError.siteForbidden(siteID: siteID)
            return ErrorBody(
                code: ErrorCode(rawValue: error.code), message: error.message, details: error.details, timestamp: time,
                traceID: traceID)
        case .actionUnavailable:
            return ErrorBody(
                code: "ACTION_UNAVAILABLE", message: "Alert actions are not available on this connection", details: nil,
                timestamp: time, traceID: traceID)
        case .notConnected(let clientID):
            return ErrorBody(
                code: "NOT_CONNECTED", message: "Client '\(clientID)' is not connected", details: ["client_id": .string(clientID)],
                timestamp: time, traceID: traceID)
        }
    }

    private static func validation(
        field: String, message: String, summary: String, received: JSONValue?, at time: Timestamp, traceID: String
    ) -> ErrorBody<JSONObject> {
        var fieldError: JSONObject = ["field": .string(field), "message": .string(message)]
        if let received { fieldError["received_value"] = received }
        return ErrorBody(
            code: .validationError, message: summary, details: ["field_errors": [.object(fieldError)]], timestamp: time,
            traceID: traceID)
    }
}

extension Subscription {
    /// Throws unless the hub can serve this subscription to `principal`: every named site visible to it, lists
    /// not empty (an empty list would silently stream nothing), `update_interval` within range.
    func validate(for principal: Principal, configuration: LiveHub.Configuration) throws(LiveRequestError) {
        switch self {
        case .telemetry(let filters):
            try Self.requireNonEmpty(filters.deviceIDs, field: "filters.device_ids", noun: "device")
            try Self.requireNonEmpty(filters.metrics, field: "filters.metrics", noun: "metric")
            try Self.requireAccess(principal, filters.siteID)
        case .fleetStatus(let filters):
            if let interval = filters.updateIntervalMilliseconds, !configuration.fleetIntervalRange.contains(interval) {
                let range = configuration.fleetIntervalRange
                throw .invalidFilter(
                    field: "filters.update_interval",
                    message: "must be between \(range.lowerBound) and \(range.upperBound) ms",
                    received: .number(Double(interval)))
            }
            try Self.requireAccess(principal, filters.siteID)
        case .alerts(let filters):
            try Self.requireNonEmpty(filters.deviceIDs, field: "filters.device_ids", noun: "device")
            try Self.requireAccess(principal, filters.siteID)
        }
    }

    private static func requireAccess(_ principal: Principal, _ siteID: String?) throws(LiveRequestError) {
        guard let siteID, !principal.canAccess(site: siteID) else { return }
        throw .siteForbidden(siteID: siteID)
    }

    private static func requireNonEmpty<Element>(_ list: [Element]?, field: String, noun: String) throws(LiveRequestError) {
        guard list?.isEmpty == true else { return }
        throw .invalidFilter(
            field: field, message: "must list at least one \(noun); leave it out for every \(noun)", received: .array([]))
    }
}
