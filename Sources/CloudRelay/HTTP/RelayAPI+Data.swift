import BMSCore
import Foundation
import Hummingbird

/// Telemetry, commands, fleet and alerts.
extension RelayAPI {
    /// The longest range one query may ask for.
    static let maximumRange = Duration.seconds(400 * 86_400)

    func telemetry(_ request: Request, _ context: RelayContext) async throws -> Response {
        let (device, _) = try await visibleDevice(context)
        let query = request.uri.queryParameters
        var problems: [FieldError] = []
        func time(_ name: String) -> Timestamp? {
            guard let text = query.get(name) else { return nil }
            do throws(TimestampError) {
                return try Timestamp(rfc3339: text)
            } catch {
                problems.append(FieldError(field: name, message: "Must be an RFC 3339 date-time: \(error.reason)", receivedValue: .string(text)))
                return nil
            }
        }
        let now = Self.now()
        let end = time("end_time") ?? now
        let start = time("start_time") ?? end.adding(milliseconds: -86_400_000)
        if start >= end {
            problems.append(FieldError(field: "start_time", message: "Must be before end_time", receivedValue: query.get("start_time").map { .string($0) }))
        } else if end.millisecondsSinceEpoch - start.millisecondsSinceEpoch > Self.maximumRange.saturatingMilliseconds {
            problems.append(FieldError(field: "end_time", message: "The range may span at most 400 days"))
        }
        var resolution = TelemetryResolution.hour
        if let text = query.get("resolution") {
            if let value = TelemetryResolution(rawValue: text) {
                resolution = value
            } else {
                problems.append(FieldError(field: "resolution", message: "Must be one of: raw, minute, hour, day", receivedValue: .string(text)))
            }
        }
        var metrics: [TelemetryMetric] = []
        for text in query.getAll("metrics").flatMap({ $0.split(separator: ",").map(String.init) }) {
            if let metric = TelemetryMetric(rawValue: text.trimmingCharacters(in: .whitespaces)) {
                if !metrics.contains(metric) { metrics.append(metric) }
            } else {
                problems.append(FieldError(
                    field: "metrics", message: "Must be among: \(TelemetryMetric.allCases.map(\.rawValue).joined(separator: ", "))",
                    receivedValue: .string(text)))
            }
        }
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        if metrics.isEmpty { metrics = TelemetryMetric.allCases }
        let store = store
        let deviceID = device.deviceID
        let chosen = metrics
        let chosenResolution = resolution
        let (series, statistics) = try await blocking {
            (
                try store.telemetry(deviceID: deviceID, from: start, to: end, resolution: chosenResolution, metrics: chosen),
                try store.statistics(deviceID: deviceID, from: start, to: end, resolution: chosenResolution, metrics: chosen)
            )
        }
        return JSONResponse.make(
            TelemetryQueryResponse(
                deviceID: deviceID, startTime: start, endTime: end, resolution: chosenResolution,
                    dataPoints: series.timestamps.count, metrics: series, statistics: statistics))
    }

    // MARK: - Commands

    func sendCommand(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.sendCommand)
        let (device, _) = try await visibleDevice(context)
        let tree = try await request.jsonBody(context: context)
        let problems = CommandRequest.fieldErrors(in: tree)
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        let body: CommandRequest
        do {
            body = try WireCoding.decode(CommandRequest.self, from: tree)
        } catch {
            throw APIError.badRequest(error.reason, field: error.path)
        }
        let stored = try await dispatch(body, to: device, source: "relay:\(principal.subject)")
        return JSONResponse.make(
            CommandAccepted(
                commandID: stored.commandID, status: stored.status, message: "Command queued for delivery to \(device.deviceID)",
                estimatedCompletion: stored.timeoutAt),
            status: .accepted)
    }

    /// Records a command for `device` and hands it to the broker: 423 for a pack in maintenance (but an
    /// emergency shutdown, a status request, or a command the caller knows `lowersPower`), 503 when the broker
    /// does not take it within `deliveryTimeout` (the command is then recorded as failed).
    func dispatch(
        _ body: CommandRequest, to device: StoredDevice, source: String, lowersPower: Bool = false
    ) async throws -> StoredCommand {
        let now = Self.now()
        let status = device.state.status(now: now, offlineAfter: offlineAfter)
        // Maintenance locks a pack against everything but what only takes power away and a status request.
        if status == .maintenance, !lowersPower, body.commandType != .emergencyShutdown, body.commandType != .requestStatus {
            throw APIError(
                status: HTTPResponse.Status(code: 423, reasonPhrase: "Locked"), code: .deviceLocked, message: "Device '\(device.deviceID)' is in maintenance mode",
                details: ["device_id": .string(device.deviceID), "status": .string(status.rawValue)])
        }
        let message = CommandMessage(
            commandID: "cmd_\(UUID().uuidString.lowercased())", timestamp: now, source: source,
            command: CommandBody(
                type: body.commandType, priority: body.commandType == .emergencyShutdown ? .critical : .normal,
                timeoutSeconds: body.effectiveTimeoutSeconds, parameters: body.parameters ?? [:]),
            safetyChecks: SafetyChecks(required: true, constraints: Self.constraints(of: device)))
        let store = store
        let siteID = device.siteID
        let deviceID = device.deviceID
        var stored = try await blocking { try store.insertCommand(message, deviceID: deviceID, siteID: siteID) }
        do {
            try await Self.within(Self.deliveryTimeout) { [commands] in try await commands.send(message, siteID: siteID, deviceID: deviceID) }
        } catch {
            let failure = CommandResponseMessage(
                commandID: message.commandID, deviceID: deviceID, timestamp: Self.now(), status: .failed,
                message: "Not delivered to the broker: \(error)")
            stored = try await blocking { try store.updateCommandStatus(from: failure).command }
            throw APIError(
                status: .serviceUnavailable, code: "COMMAND_NOT_DELIVERED",
                message: "The command could not be handed to the broker: \(error)",
                details: ["command_id": .string(stored.commandID)])
        }
        return stored
    }

    /// How long a command may wait for the broker's acknowledgement before the caller is told it was not
    /// delivered (so a request never waits on a broker that is gone, nor holds up shutdown).
    static let deliveryTimeout = Duration.seconds(5)

    struct DeliveryTimeout: Error, CustomStringConvertible {
        var description: String { "no acknowledgement from the broker within \(RelayAPI.deliveryTimeout)" }
    }

    /// Runs `work`, failing with `DeliveryTimeout` after `limit`.
    static func within(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await work()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished { throw DeliveryTimeout() }
        }
    }

    /// The limits a command is checked against on the agent: the device's registered safety constraints.
    static func constraints(of device: StoredDevice) -> CommandConstraints {
        let registered = device.registration.safetyConstraints
        return CommandConstraints(
            maxCellVoltage: registered?.maxCellVoltage, minCellVoltage: registered?.minCellVoltage,
            maxTemperature: registered?.temperatureLimits?.max)
    }

    func commandStatus(_ context: RelayContext) async throws -> Response {
        let (device, _) = try await visibleDevice(context)
        let commandID = context.parameters.get("command_id") ?? ""
        let store = store
        guard let command = try await blocking({ try store.command(id: commandID) }), command.deviceID == device.deviceID else {
            throw APIError.notFound(
                "Command '\(commandID)' not found for device '\(device.deviceID)'",
                details: ["command_id": .string(commandID), "device_id": .string(device.deviceID)])
        }
        return JSONResponse.make(command.accepted)
    }

    // MARK: - Fleet and alerts

    func fleet(_ context: RelayContext) async throws -> Response {
        let (_, fleet) = try await visibleFleet(context, for: try context.requirePrincipal())
        return JSONResponse.make(fleet.fleetStatus(now: Self.now(), offlineAfter: offlineAfter))
    }

    /// The site named in the path, which `principal` may see, and its fleet as stored; 404 SITE_NOT_FOUND for a
    /// site with neither registered packs nor an agent.
    func visibleFleet(_ context: RelayContext, for principal: Principal) async throws -> (siteID: String, fleet: StoredFleet) {
        let siteID = context.parameters.get("site_id") ?? ""
        try principal.requireAccess(toSite: siteID)
        let store = store
        let fleet = try await blocking { try store.fleetSummary(siteID: siteID) }
        guard !fleet.devices.isEmpty || fleet.agent != nil else {
            throw APIError.notFound("Site '\(siteID)' not found", details: ["site_id": .string(siteID)], code: "SITE_NOT_FOUND")
        }
        return (siteID, fleet)
    }

    func alerts(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        var problems: [FieldError] = []
        let siteID = query.get("site_id")
        if let siteID { try principal.requireAccess(toSite: siteID) }
        var severity: Severity?
        if let text = query.get("severity") {
            severity = Severity(rawValue: text)
            if severity == nil { problems.append(FieldError(field: "severity", message: "Must be one of: info, warning, alarm, critical", receivedValue: .string(text))) }
        }
        var status: AlertStatus?
        if let text = query.get("status") {
            status = AlertStatus(rawValue: text)
            if status == nil { problems.append(FieldError(field: "status", message: "Must be one of: active, acknowledged, resolved", receivedValue: .string(text))) }
        }
        let limit: Int
        do {
            limit = try Self.integer(query.get("limit"), name: "limit", default: 100, range: Self.pageLimitRange)
        } catch {
            problems += error.fieldErrors
            limit = 100
        }
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        let filter = AlertFilter(
            siteID: siteID, deviceID: query.get("device_id"), severity: severity, status: status,
            allowedSites: principal.sites.map { Array($0).sorted() }, limit: limit)
        let store = store
        let page = try await blocking { try store.alerts(filter) }
        return JSONResponse.make(AlertList(alerts: page.items.map(AlertItem.init), total: page.total))
    }
}

extension RelayAPI {
    /// POST /alerts/{alert_id}/acknowledge: operators only, on alerts of sites they may see. The same as the
    /// `acknowledge` action.
    func acknowledgeAlert(_ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let request = AlertActionRequest(alertID: context.parameters.get("alert_id") ?? "", actionID: "acknowledge")
        return JSONResponse.make(AlertItem(try await performAlertAction(request, by: principal)))
    }

    /// POST /alerts/{alert_id}/actions/{action_id}: one of the actions the alert offers, with an optional body
    /// `{"parameters": {…}}`; answers the alert as it now stands (the action recorded in `actions_taken`).
    func takeAlertAction(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var parameters: JSONObject?
        if let tree = try await request.optionalJSONBody(context: context) {
            guard case .object(let body) = tree else { throw APIError.badRequest("The body must be a JSON object") }
            if let unknown = body.keys.filter({ $0 != "parameters" }).sorted().first {
                throw APIError.badRequest("Unknown field '\(unknown)' (the body takes parameters)", field: unknown, received: body[unknown])
            }
            switch body["parameters"] {
            case nil, .null?: parameters = nil
            case .object(let object)?: parameters = object
            case let other?: throw APIError.badRequest("Must be an object", field: "parameters", received: other)
            }
        }
        let action = AlertActionRequest(
            alertID: context.parameters.get("alert_id") ?? "", actionID: context.parameters.get("action_id") ?? "",
            parameters: parameters)
        return JSONResponse.make(AlertItem(try await performAlertAction(action, by: principal)))
    }
}

/// GET /alerts.
struct AlertList: Encodable, Sendable {
    var alerts: [AlertItem]
    var total: Int
}

/// An alert as the API lists it: the spec's alert message plus where it stands (`StoredAlert.current`).
struct AlertItem: Encodable, Sendable {
    var alert: Alert

    init(_ stored: StoredAlert) {
        alert = stored.current
    }

    func encode(to encoder: any Encoder) throws {
        try alert.encode(to: encoder)
    }
}

extension APIError {
    /// The field errors of a 400, for merging several checks into one response.
    var fieldErrors: [FieldError] {
        guard case .array(let items)? = details?["field_errors"] else { return [FieldError(field: "", message: message)] }
        return items.compactMap { item in
            guard let field = item["field"]?.stringValue, let message = item["message"]?.stringValue else { return nil }
            return FieldError(field: field, message: message, receivedValue: item["received_value"])
        }
    }
}
