/// Building a snapshot from SunSpec storage models.
extension PackSnapshot {
    /// The snapshot of one SunSpec read: model 802 for the pack, the 805 modules for the cells in order.
    ///
    /// A point the device reports as not implemented is absent (pack values) or, for a cell, kept from
    /// `previous` and marked stale, so cell numbers never shift. The pack temperature is the mean of the fresh
    /// cell temperatures (802 has none). 802's lowest and highest cell voltage (CellVMin, CellVMax) fill the
    /// snapshot's extremes, so a pack without 805 modules still has cell-voltage protection. AChaMax and
    /// ADisChaMax are the pack's own current limits, which bound every setpoint. Current and power are positive while discharging (PulseBMS's
    /// convention; SunSpec leaves the sign open, so a device that differs needs a profile setting).
    public init(
        deviceID: String, at time: Timestamp, base: SunSpecBatteryBase, modules: [SunSpecBatteryModule],
        previous: PackSnapshot? = nil
    ) {
        func fresh(_ value: Double?) -> Measured<Double>? { value.map { Measured($0, at: time) } }
        func cells(_ values: [Double?], previous: [Measured<Double>]) -> [Measured<Double>] {
            values.enumerated().map { index, value in
                if let value { return Measured(value, at: time) }
                if previous.indices.contains(index) { return previous[index].markedStale }
                return Measured(.nan, at: time, isStale: true)
            }
        }
        let voltages = cells(modules.flatMap(\.cellVoltages), previous: previous?.cellVoltages ?? [])
        let temperatures = cells(modules.flatMap(\.cellTemperatures), previous: previous?.cellTemperatures ?? [])
        let freshTemperatures = temperatures.compactMap(\.freshValue)
        let balancing = modules.flatMap(\.cellBalancing).map { Measured($0 ?? false, at: time, isStale: $0 == nil) }

        let power = base.power ?? base.voltage.flatMap { volts in base.current.map { volts * $0 } }
        let state: OperationalState
        switch (base.state, base.chargeStatus) {
        case (.fault?, _): state = .fault
        case (.disconnected?, _): state = .offline
        case (.initializing?, _): state = .initializing
        case (_, .charging?): state = .charging
        case (_, .discharging?): state = .discharging
        default: state = .idle
        }
        self.init(
            deviceID: deviceID, takenAt: time, voltage: fresh(base.voltage), current: fresh(base.current),
            power: fresh(power),
            temperature: freshTemperatures.isEmpty
                ? nil : Measured(freshTemperatures.reduce(0, +) / Double(freshTemperatures.count), at: time),
            soc: fresh(base.soc), soh: fresh(base.soh), cellVoltages: voltages, cellTemperatures: temperatures,
            cellVoltageMin: fresh(base.cellVoltageMin), cellVoltageMax: fresh(base.cellVoltageMax),
            balancing: balancing, operationalState: Measured(state, at: time),
            packChargeCurrentLimit: PackSnapshot.currentLimit(base.chargeCurrentMax.map { Measured($0, at: time) }),
            packDischargeCurrentLimit: PackSnapshot.currentLimit(base.dischargeCurrentMax.map { Measured($0, at: time) }),
            dataQuality: 1, secondsSinceLastRead: 0)
    }
}
