import BMSCore

/// The latest status message of a site's agent.
struct StoredAgentStatus: Sendable, Equatable {
    var siteID: String
    var message: AgentStatusMessage
    /// Relay clock: when it arrived. Ordering uses this, not the message's timestamp, because an agent's
    /// Last Will carries the time the agent connected, not the time it vanished.
    var receivedAt: Timestamp
}

/// A site's registered packs with their latest state, and its agent's status: what `fleet_status` is
/// built from.
struct StoredFleet: Sendable, Equatable {
    var siteID: String
    var agent: StoredAgentStatus?
    /// Ordered by device id.
    var devices: [StoredDevice]
}

extension StoredFleet {
    /// The spec's `fleet_status` (without `optimization`, which the caller adds while an allocation is active).
    ///
    /// Capacities are nominal energy (Ah × V) in kWh; `available_capacity` is nominal energy × SoH × SoC of
    /// the online packs (SoH taken as 100 % where unknown). Power and the SoC/SoH averages count online packs
    /// only (0 when none has a value); `active_alarms` counts the latest alarms of every pack.
    func fleetStatus(now: Timestamp, offlineAfter: Duration) -> FleetStatus {
        var summary = FleetSummary(
            totalDevices: devices.count, onlineDevices: 0, totalCapacity: 0, availableCapacity: 0, totalPower: 0,
            averageSoC: 0, averageSoH: 0, activeAlarms: 0)
        var soc = MetricSums()
        var soh = MetricSums()
        var rows: [FleetDeviceStatus] = []
        rows.reserveCapacity(devices.count)
        for device in devices {
            let state = device.state
            let status = state.status(now: now, offlineAfter: offlineAfter)
            let specifications = device.registration.specifications
            let energy = specifications.nominalCapacityAmpHours * specifications.nominalVoltageVolts / 1000
            summary.totalCapacity += energy
            summary.activeAlarms += state.alarmCount
            if status == .online {
                summary.onlineDevices += 1
                summary.totalPower += state.power ?? 0
                soc.add(state.soc)
                soh.add(state.soh)
                if let charge = state.soc {
                    summary.availableCapacity += energy * (state.soh ?? 100) / 100 * charge / 100
                }
            }
            rows.append(
                FleetDeviceStatus(
                    deviceID: device.deviceID, status: status, soc: state.soc, power: state.power,
                    alarmCount: state.alarmCount))
        }
        summary.averageSoC = soc.statistics?.avg ?? 0
        summary.averageSoH = soh.statistics?.avg ?? 0
        return FleetStatus(timestamp: now, siteID: siteID, summary: summary, devices: rows)
    }
}
