/// The telemetry message of one checked sample.
extension TelemetryMessage {
    /// The message for a fresh snapshot and its verdict, or `nil` when the snapshot has no fresh pack voltage
    /// and current (a failed read is never published as if it were a measurement).
    ///
    /// Stale cell values are left out of the cell arrays' meaning by keeping the arrays only when every cell
    /// is fresh; `communication_quality` carries the pack's read success rate.
    ///
    /// A pack that reports only its cell extremes (`PackSnapshot.cellVoltageMin`, …) has no `cells` block:
    /// the spec's telemetry has per-cell arrays only, no field for a lowest or highest cell, and the extremes
    /// are never passed off as cells. They still reach the alarms through the verdict.
    public init?(
        snapshot: PackSnapshot, verdict: SafetyVerdict, siteID: String, sequenceNumber: UInt64,
        firmwareVersion: String? = nil, uptimeSeconds: Double, lastCommandID: String? = nil
    ) {
        guard let voltage = snapshot.voltage?.freshValue, let current = snapshot.current?.freshValue else { return nil }
        let cellsFresh = !snapshot.cellVoltages.isEmpty && snapshot.cellVoltages.allSatisfy { !$0.isStale }
        let temperaturesFresh = snapshot.cellTemperatures.allSatisfy { !$0.isStale }
        let cells = cellsFresh && temperaturesFresh
            ? CellMeasurements(
                count: snapshot.cellVoltages.count, voltages: snapshot.cellVoltages.map(\.value),
                temperatures: snapshot.cellTemperatures.map(\.value),
                balancingStatus: snapshot.balancing.map { $0.value ? 1 : 0 })
            : nil
        self.init(
            timestamp: snapshot.takenAt, sequenceNumber: sequenceNumber,
            deviceInfo: DeviceInfo(deviceID: snapshot.deviceID, siteID: siteID, firmwareVersion: firmwareVersion),
            measurements: Measurements(
                pack: PackMeasurements(
                    voltage: voltage, current: current, power: snapshot.power?.freshValue,
                    temperature: snapshot.temperature?.freshValue, soc: snapshot.soc?.freshValue,
                    soh: snapshot.soh?.freshValue),
                cells: cells),
            status: RuntimeStatus(
                operationalState: snapshot.operationalState?.freshValue ?? .idle,
                communicationQuality: snapshot.dataQuality, lastCommandID: lastCommandID, uptimeSeconds: uptimeSeconds),
            alarms: verdict.alarmSummary)
    }
}
