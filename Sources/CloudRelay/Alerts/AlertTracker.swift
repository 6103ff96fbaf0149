import BMSCore
import Foundation

/// Turns the alarm lists of successive telemetry samples into alert events: an alarm code that appears
/// raises an alert, a rise in severity escalates it (same alert id), and a code that disappears resolves it.
///
/// Only samples newer than the last one seen for the device count: MQTT may deliver out of order and a
/// replayed backlog must not re-raise or resolve anything. Alert ids are derived from the device, the code and
/// the time the alarm first appeared, so two relays sharing a subscription name the same alert alike.
struct AlertTracker: Sendable {
    struct ActiveAlarm: Sendable, Equatable {
        var alertID: String
        var severity: Severity
        var since: Timestamp
    }

    enum Event: Sendable, Equatable {
        /// A new alert, or a higher severity of an active one (same id).
        case raised(Alert)
        /// The alarm is gone.
        case resolved(alertID: String, deviceID: String, code: String, at: Timestamp)
    }

    /// How far ahead of the relay's clock a sample may be stamped and still count.
    static let maximumClockSkewMilliseconds: Int64 = 300_000

    private var active: [String: [String: ActiveAlarm]] = [:]
    private var newest: [String: Timestamp] = [:]

    /// Takes up the unresolved alerts of a store (the relay restarted): the next sample of each device resolves
    /// those whose alarm is gone and escalates, under the same id, those whose alarm rose — instead of leaving
    /// them open for ever and raising duplicates.
    ///
    /// Each alert's last update (`updatedAt`) counts as a sample seen: a backlog older than it, replayed after
    /// the restart, neither resolves nor re-raises anything.
    mutating func restore(
        _ open: [(deviceID: String, code: String, alertID: String, severity: Severity, since: Timestamp, updatedAt: Timestamp)]
    ) {
        for alarm in open {
            active[alarm.deviceID, default: [:]][alarm.code] = ActiveAlarm(
                alertID: alarm.alertID, severity: alarm.severity, since: alarm.since)
            newest[alarm.deviceID] = max(newest[alarm.deviceID] ?? alarm.updatedAt, alarm.updatedAt)
        }
    }

    /// The events one sample causes; none for a sample older than the newest seen for its device.
    mutating func update(
        siteID: String, deviceID: String, timestamp: Timestamp, alarms: AlarmSummary, now: Timestamp = Timestamp(Date())
    ) -> [Event] {
        // A sample stamped far in the future (a gateway with a wrong clock) would freeze the device's alerts.
        if timestamp.millisecondsSinceEpoch > now.millisecondsSinceEpoch + Self.maximumClockSkewMilliseconds { return [] }
        if let newest = newest[deviceID], timestamp <= newest { return [] }
        newest[deviceID] = timestamp
        var current = active[deviceID] ?? [:]
        var events: [Event] = []
        var present: Set<String> = []
        for detail in alarms.details {
            present.insert(detail.code)
            if let known = current[detail.code] {
                guard detail.severity > known.severity else { continue }
                current[detail.code]?.severity = detail.severity
                events.append(.raised(Self.alert(siteID: siteID, deviceID: deviceID, detail: detail, id: known.alertID, at: timestamp)))
            } else {
                let id = "alert_\(deviceID)_\(detail.code)_\(timestamp.millisecondsSinceEpoch)"
                current[detail.code] = ActiveAlarm(alertID: id, severity: detail.severity, since: timestamp)
                events.append(.raised(Self.alert(siteID: siteID, deviceID: deviceID, detail: detail, id: id, at: timestamp)))
            }
        }
        for (code, alarm) in current where !present.contains(code) {
            current.removeValue(forKey: code)
            events.append(.resolved(alertID: alarm.alertID, deviceID: deviceID, code: code, at: timestamp))
        }
        active[deviceID] = current.isEmpty ? nil : current
        return events
    }

    /// The alert category of an alarm code (`TEMP_001` → temperature).
    static func category(ofCode code: String) -> AlertCategory {
        switch code.split(separator: "_").first ?? "" {
        case "VOLT": .voltage
        case "TEMP": .temperature
        case "CURR": .current
        case "BAL": .imbalance
        case "SOC": .soc
        case "COMM": .communication
        default: .system
        }
    }

    /// The spec's alert for one alarm, with the actions an operator can take.
    static func alert(siteID: String, deviceID: String, detail: AlarmDetail, id: String, at time: Timestamp) -> Alert {
        let category = category(ofCode: detail.code)
        var actions = [AlertAction(actionID: "acknowledge", label: "Acknowledge")]
        switch category {
        case .temperature, .current:
            actions.append(AlertAction(actionID: "reduce_power", label: "Reduce Power", parameters: ["power_reduction_percent": .number(50)]))
        default:
            break
        }
        if detail.severity == .critical {
            actions.append(AlertAction(actionID: "emergency_shutdown", label: "Emergency Shutdown"))
        }
        var data = detail.data
        data["code"] = .string(detail.code)
        return Alert(
            timestamp: time, alertID: id, severity: detail.severity, category: category, siteID: siteID, deviceID: deviceID,
            title: title(for: detail.code, category: category, severity: detail.severity), message: detail.message,
            data: data, actions: actions)
    }

    static func title(for code: String, category: AlertCategory, severity: Severity) -> String {
        let level = severity.rawValue.prefix(1).uppercased() + severity.rawValue.dropFirst()
        let subject: String
        switch code {
        case "VOLT_001": subject = "High Cell Voltage"
        case "VOLT_002": subject = "Low Cell Voltage"
        case "TEMP_001": subject = "High Cell Temperature"
        case "TEMP_002": subject = "High Charge Temperature"
        case "TEMP_003": subject = "Low Charge Temperature"
        case "TEMP_004": subject = "Low Temperature"
        case "CURR_001": subject = "High Charge Current"
        case "CURR_002": subject = "High Discharge Current"
        case "BAL_001": subject = "Cell Voltage Imbalance"
        case "BAL_002": subject = "Temperature Imbalance"
        case "SOC_001": subject = "High State of Charge"
        case "SOC_002": subject = "Low State of Charge"
        case "COMM_001": subject = "Communication Lost"
        default: subject = category.rawValue.capitalized + " Alarm (\(code))"
        }
        return "\(level): \(subject)"
    }
}
