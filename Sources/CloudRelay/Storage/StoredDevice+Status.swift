import BMSCore

extension DeviceLatestState {
    /// `last_seen`: when the relay last heard from the pack.
    var lastSeen: Timestamp? { lastReceivedAt }

    /// The pack's status as the API reports it.
    ///
    /// In order: the site's agent offline → offline; never heard from, or silent for longer than
    /// `offlineAfter` → offline; a status message newer than the newest telemetry → its status; otherwise
    /// the telemetry's operational state (fault → error, maintenance → maintenance, offline → offline,
    /// anything else → online).
    func status(now: Timestamp, offlineAfter: Duration) -> DeviceStatus {
        if agentStatus == .offline { return .offline }
        guard let lastReceivedAt else { return .offline }
        if now.millisecondsSince(lastReceivedAt) > offlineAfter.saturatingMilliseconds { return .offline }
        if let reportedStatus, let reportedStatusAt, telemetryAt.map({ reportedStatusAt >= $0 }) ?? true {
            return reportedStatus
        }
        switch operationalState {
        case .fault?: return .error
        case .maintenance?: return .maintenance
        case .offline?: return .offline
        case .idle?, .charging?, .discharging?, .standby?, .initializing?, nil: return .online
        }
    }
}

extension StoredDevice {
    /// The spec's `current_status`.
    func currentStatus(now: Timestamp, offlineAfter: Duration) -> DeviceCurrentStatus {
        DeviceCurrentStatus(
            status: state.status(now: now, offlineAfter: offlineAfter), lastSeen: state.lastSeen,
            currentSoC: state.soc, currentSoH: state.soh, activeAlarms: state.alarmCodes)
    }

    /// The body of `GET /devices/{device_id}`.
    ///
    /// `safety_constraints` are the limits in force: the chemistry's defaults with the registration's
    /// overrides (as the agent applies them), or the overrides alone if they do not resolve.
    func device(now: Timestamp, offlineAfter: Duration) -> Device {
        let constraints: SafetyConstraints
        switch SafetyLimits.resolve(
            chemistry: registration.chemistry, nominalCapacityAmpHours: registration.specifications.nominalCapacityAmpHours,
            constraints: registration.safetyConstraints)
        {
        case .success(let limits): constraints = limits.safetyConstraints
        case .failure: constraints = registration.safetyConstraints ?? SafetyConstraints()
        }
        return Device(
            deviceID: registration.deviceID, siteID: registration.siteID, name: registration.name,
            chemistry: registration.chemistry, specifications: registration.specifications,
            currentStatus: currentStatus(now: now, offlineAfter: offlineAfter), safetyConstraints: constraints)
    }
}
