import BMSCore

extension LiveTelemetry {
    /// The streamed form of an ingested sample, with every metric: the filters of a subscription are applied
    /// afterwards with `keeping(_:)`.
    ///
    /// `latency_ms` runs from the device's measurement time to `receivedAt` on the relay's clock, so a device
    /// clock ahead of the relay's shows as a negative latency rather than being hidden; `data_quality` is the
    /// pack's `communication_quality`.
    init(_ message: TelemetryMessage, receivedAt: Timestamp) {
        let pack = message.measurements.pack
        let cells = message.measurements.cells
        self.init(
            timestamp: message.timestamp, siteID: message.deviceInfo.siteID, deviceID: message.deviceInfo.deviceID,
            data: LiveTelemetryData(
                voltage: pack.voltage, current: pack.current, power: pack.power, temperature: pack.temperature,
                soc: pack.soc, soh: pack.soh, cellVoltages: cells?.voltages, cellTemperatures: cells?.temperatures,
                alarmFlags: message.alarms.flags),
            metadata: LiveTelemetryMetadata(
                latencyMilliseconds: Double(receivedAt.millisecondsSince(message.timestamp)),
                dataQuality: message.status.communicationQuality))
    }

    /// A copy with only `metrics` in its data (all of them when `nil`).
    func keeping(_ metrics: Set<TelemetryMetric>?) -> LiveTelemetry {
        guard let metrics else { return self }
        var copy = self
        copy.data = data.keeping(metrics)
        return copy
    }
}

extension LiveTelemetryData {
    /// A copy with only `metrics`. The cell arrays follow their pack metric (`cell_voltages` with `voltage`,
    /// `cell_temperatures` with `temperature`), since the metric enum has no names for them; `alarm_flags` is
    /// always kept, being what a dashboard must never miss.
    func keeping(_ metrics: Set<TelemetryMetric>) -> LiveTelemetryData {
        LiveTelemetryData(
            voltage: metrics.contains(.voltage) ? voltage : nil,
            current: metrics.contains(.current) ? current : nil,
            power: metrics.contains(.power) ? power : nil,
            temperature: metrics.contains(.temperature) ? temperature : nil,
            soc: metrics.contains(.soc) ? soc : nil,
            soh: metrics.contains(.soh) ? soh : nil,
            cellVoltages: metrics.contains(.voltage) ? cellVoltages : nil,
            cellTemperatures: metrics.contains(.temperature) ? cellTemperatures : nil,
            alarmFlags: alarmFlags)
    }
}
