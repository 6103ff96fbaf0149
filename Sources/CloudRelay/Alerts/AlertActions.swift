import BMSCore
import Foundation
import Hummingbird

/// The operator actions an alert offers, taken through REST (`POST /alerts/{alert_id}/actions/{action_id}`,
/// `POST /alerts/{alert_id}/acknowledge`) and the socket (`alert_action`) alike.
///
/// - `acknowledge` marks the alert seen; acknowledging again changes nothing.
/// - `reduce_power` sends the pack `update_parameters` with `power_limit_at_most_percent` = 100 −
///   `power_reduction_percent` (1…100, 50 unless the operator says otherwise): the agent lowers the pack's power
///   limit to that share of its rated power — never raises it, so a milder reduction cannot undo a stricter
///   one — and re-clamps the allocation share in force at once. An operator lifts the limit with
///   `update_parameters` `power_limit_percent` 100.
/// - `emergency_shutdown` sends the pack `emergency_shutdown` with the alert as its reason.
///
/// Only actions the alert itself offers are taken; commands go through the same path and checks as
/// `POST /commands/{device_id}`. Both commands only ever lower power, so neither is held back by the
/// maintenance lock, and an emergency shutdown is sent even once the alert has resolved (an alarm that
/// flickers); reducing power on a resolved alert is refused (409). Every action is recorded on the alert (who,
/// when, with which parameters, which command), the first one acknowledges it, and the updated alert is pushed
/// to the live alert streams.
extension RelayAPI {
    /// Accepted values of `power_reduction_percent`.
    static let powerReductionRange = 1.0...100.0

    /// Takes `request` for `principal` and returns the alert as it now stands.
    func performAlertAction(_ request: AlertActionRequest, by principal: Principal) async throws -> StoredAlert {
        try principal.require(.sendCommand)
        let store = store
        let alertID = request.alertID
        // Another site's alert is as invisible as a missing one.
        guard let stored = try await blocking({ try store.alert(id: alertID) }), principal.canAccess(site: stored.alert.siteID) else {
            throw APIError.notFound("Alert '\(alertID)' not found", details: ["alert_id": .string(alertID)], code: "ALERT_NOT_FOUND")
        }
        guard let offered = stored.alert.actions.first(where: { $0.actionID == request.actionID }) else {
            let names = stored.alert.actions.map(\.actionID).joined(separator: ", ")
            throw APIError.badRequest(
                "Action '\(request.actionID)' is not offered by alert '\(alertID)' (offered: \(names))", field: "action_id",
                received: .string(request.actionID))
        }
        let now = Self.now()
        let record: AlertActionRecord
        switch offered.actionID {
        case "acknowledge":
            try Self.requireNoParameters(request)
            guard stored.acknowledgedAt == nil else { return stored }
            record = AlertActionRecord(actionID: offered.actionID, takenBy: principal.subject, takenAt: now)
        case "reduce_power":
            let parameters = try Self.reducePowerParameters(offered: offered.parameters, given: request.parameters)
            let reduction = parameters["power_reduction_percent"]?.numberValue ?? 50
            let command = try await dispatchAlertCommand(
                .updateParameters, parameters: ["power_limit_at_most_percent": .number(100 - reduction)], for: stored,
                by: principal)
            record = AlertActionRecord(
                actionID: offered.actionID, takenBy: principal.subject, takenAt: now, parameters: parameters,
                commandID: command.commandID)
        case "emergency_shutdown":
            try Self.requireNoParameters(request)
            let command = try await dispatchAlertCommand(
                .emergencyShutdown,
                parameters: ["reason": .string("alert_action"), "alert_id": .string(alertID)], for: stored, by: principal)
            record = AlertActionRecord(
                actionID: offered.actionID, takenBy: principal.subject, takenAt: now, commandID: command.commandID)
        default:
            throw APIError.badRequest(
                "Action '\(offered.actionID)' cannot be taken by this relay", field: "action_id", received: .string(offered.actionID))
        }
        let updated = try await blocking { try store.recordAlertAction(id: alertID, record) }
        hub?.publish(alert: updated.current)
        return updated
    }

    /// Sends the alert's pack a command that lowers its power, as `POST /commands/{device_id}` would but past the
    /// maintenance lock; only an emergency shutdown goes to the pack of a resolved alert.
    private func dispatchAlertCommand(
        _ type: CommandType, parameters: JSONObject, for alert: StoredAlert, by principal: Principal
    ) async throws -> StoredCommand {
        guard alert.resolvedAt == nil || type == .emergencyShutdown else {
            throw APIError(
                status: .conflict, code: "ALERT_RESOLVED",
                message: "Alert '\(alert.alert.alertID)' is resolved: its pack is no longer in that state",
                details: ["alert_id": .string(alert.alert.alertID)])
        }
        let store = store
        let deviceID = alert.alert.deviceID
        guard let device = try await blocking({ try store.device(id: deviceID) }) else {
            throw APIError.notFound("Device '\(deviceID)' not found", details: ["device_id": .string(deviceID)])
        }
        return try await dispatch(
            CommandRequest(commandType: type, parameters: parameters), to: device, source: "relay:\(principal.subject)",
            lowersPower: true)
    }

    /// `reduce_power`'s parameters: the offered ones with the operator's on top; only `power_reduction_percent`,
    /// a number within `powerReductionRange`.
    static func reducePowerParameters(offered: JSONObject?, given: JSONObject?) throws -> JSONObject {
        var parameters = offered ?? [:]
        for (key, value) in given ?? [:] {
            guard key == "power_reduction_percent" else {
                throw APIError.badRequest(
                    "Unknown parameter '\(key)' (reduce_power takes power_reduction_percent)", field: "parameters.\(key)",
                    received: value)
            }
            parameters[key] = value
        }
        let value = parameters["power_reduction_percent"] ?? .number(50)
        guard let percent = value.numberValue, percent.isFinite, powerReductionRange.contains(percent) else {
            throw APIError.badRequest(
                "Must be a number from \(Int(powerReductionRange.lowerBound)) to \(Int(powerReductionRange.upperBound))",
                field: "parameters.power_reduction_percent", received: value)
        }
        parameters["power_reduction_percent"] = .number(percent)
        return parameters
    }

    private static func requireNoParameters(_ request: AlertActionRequest) throws {
        guard let parameters = request.parameters, let key = parameters.keys.sorted().first else { return }
        throw APIError.badRequest(
            "Action '\(request.actionID)' takes no parameters", field: "parameters.\(key)", received: parameters[key])
    }
}

extension APIError {
    /// The same error as a socket's `error` message body.
    func body(at time: Timestamp, traceID: String) -> ErrorBody<JSONObject> {
        ErrorBody(code: code, message: message, details: details, timestamp: time, traceID: traceID)
    }
}
