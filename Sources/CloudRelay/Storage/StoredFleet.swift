import BMSCore

/// The latest status message of a site's agent.
struct StoredAgentStatus: Sendable, Equatable {
    var siteID: String
    var message: AgentStatusMessage
    /// Relay clock: when it arrived. Ordering uses this, not the message's timestamp, because an agent's
    /// Last Will carries the time the agent connected, not the time it vanished.
    var receivedAt: Timestamp
}

/// A site's registered packs with their latest state, its agent's status and its newest power allocation:
/// what `fleet_status` is built from.
struct StoredFleet: Sendable, Equatable {
    var siteID: String
    var agent: StoredAgentStatus?
    /// Ordered by device id.
    var devices: [StoredDevice]
    /// The newest allocation recorded for the site, whether or not it is still in force.
    var allocation: StoredAllocation? = nil
    /// Unresolved alerts an operator has acknowledged, per device id.
    var acknowledgedAlerts: [String: Int] = [:]
}

extension StoredFleet {
    /// The spec's `fleet_status`, with `optimization` while an allocation is in force (see `optimization(now:)`).
    ///
    /// Capacities are nominal energy (Ah × V) in kWh; `available_capacity` is nominal energy × SoH × SoC of
    /// the online packs (SoH taken as 100 % where unknown). Power and the SoC/SoH averages count online packs
    /// only (0 when none has a value). `active_alarms` counts the latest alarms of every pack, as the spec has
    /// it; `acknowledged_alarms` how many of those an operator has acknowledged — per pack, the unresolved
    /// acknowledged alerts, never more than the pack's alarms (an alert left open by a relay restart cannot
    /// hide another pack's alarm).
    func fleetStatus(now: Timestamp, offlineAfter: Duration) -> FleetStatus {
        var summary = FleetSummary(
            totalDevices: devices.count, onlineDevices: 0, totalCapacity: 0, availableCapacity: 0, totalPower: 0,
            averageSoC: 0, averageSoH: 0, activeAlarms: 0)
        var soc = MetricSums()
        var soh = MetricSums()
        var acknowledged = 0
        var rows: [FleetDeviceStatus] = []
        rows.reserveCapacity(devices.count)
        for device in devices {
            let state = device.state
            let status = state.status(now: now, offlineAfter: offlineAfter)
            let specifications = device.registration.specifications
            let energy = specifications.nominalCapacityAmpHours * specifications.nominalVoltageVolts / 1000
            summary.totalCapacity += energy
            summary.activeAlarms += state.alarmCount
            acknowledged += min(acknowledgedAlerts[device.deviceID] ?? 0, state.alarmCount)
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
        summary.acknowledgedAlarms = acknowledged
        return FleetStatus(timestamp: now, siteID: siteID, summary: summary, devices: rows, optimization: optimization(now: now))
    }

    /// The `optimization` block while the site's newest recorded allocation is in force, `nil` otherwise.
    ///
    /// In force means `now` is before the allocation's end (its timestamp plus `duration_minutes`; at the end
    /// itself it is over), the site's agent is not offline, and it has not reported that same allocation with
    /// `fallback_active`. An agent
    /// status naming another allocation changes nothing: it is either an older one that the agent applied
    /// before this one reached it, or one this relay has not recorded (its message, if newer, replaces this
    /// one when it arrives). So the block always describes the newest allocation the relay knows of.
    ///
    /// - `active_policy`: the allocation's `optimization_method` (the message carries no policy version).
    /// - `performance_score`: its `efficiency_score` (a required member, so never guessed).
    /// - `next_update`: its end, when the agent falls back unless a newer allocation arrives first.
    func optimization(now: Timestamp) -> OptimizationStatus? {
        guard let allocation, now < allocation.expiresAt else { return nil }
        // An agent gone (its Last Will) holds nothing: its packs run on local protection alone.
        if agent?.message.status == .offline { return nil }
        let message = allocation.message
        if let applied = agent?.message.allocation, applied.allocationID == message.allocationID, applied.fallbackActive {
            return nil
        }
        return OptimizationStatus(
            activePolicy: message.allocation.optimizationMethod, performanceScore: message.allocation.efficiencyScore,
            nextUpdate: allocation.expiresAt)
    }
}
