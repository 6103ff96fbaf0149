/// Building a snapshot from register-map values.
extension PackSnapshot {
    /// The snapshot of one register-map read. `cellCount` fixes the cell arrays' length; a cell whose value
    /// was not read (its block failed) is kept from `previous` and marked stale, so cell numbers never shift.
    /// The cell extremes (`cell_voltage_min`, …, for packs without per-cell registers) are kept the same way,
    /// and so are the pack's own current limits (`max_charge_current`, `max_discharge_current` →
    /// `packChargeCurrentLimit`, `packDischargeCurrentLimit`, A, negative read as 0): a failed block must not
    /// lift a limit the pack set.
    public init(
        deviceID: String, at time: Timestamp, values: [SnapshotField: Double], cellCount: Int, temperatureCount: Int,
        previous: PackSnapshot? = nil
    ) {
        func fresh(_ field: SnapshotField) -> Measured<Double>? { values[field].map { Measured($0, at: time) } }
        func series(_ field: (Int) -> SnapshotField, count: Int, previous: [Measured<Double>]) -> [Measured<Double>] {
            (1...max(1, count)).prefix(count).map { number in
                if let value = values[field(number)] { return Measured(value, at: time) }
                if previous.indices.contains(number - 1) { return previous[number - 1].markedStale }
                return Measured(.nan, at: time, isStale: true)
            }
        }
        func extreme(_ field: SnapshotField, previous: Measured<Double>?) -> Measured<Double>? {
            fresh(field) ?? previous?.markedStale
        }
        let voltage = fresh(.packVoltage)
        let current = fresh(.packCurrent)
        var power = fresh(.packPower)
        if power == nil, let volts = voltage?.value, let amps = current?.value { power = Measured(volts * amps, at: time) }
        let state: OperationalState? = current.map { $0.value > 0.5 ? .discharging : $0.value < -0.5 ? .charging : .idle }
        self.init(
            deviceID: deviceID, takenAt: time, voltage: voltage, current: current, power: power,
            temperature: fresh(.packTemperature), soc: fresh(.soc), soh: fresh(.soh),
            cellVoltages: series(SnapshotField.cellVoltage, count: cellCount, previous: previous?.cellVoltages ?? []),
            cellTemperatures: series(SnapshotField.cellTemperature, count: temperatureCount, previous: previous?.cellTemperatures ?? []),
            cellVoltageMin: extreme(.cellVoltageMin, previous: previous?.cellVoltageMin),
            cellVoltageMax: extreme(.cellVoltageMax, previous: previous?.cellVoltageMax),
            cellTemperatureMin: extreme(.cellTemperatureMin, previous: previous?.cellTemperatureMin),
            cellTemperatureMax: extreme(.cellTemperatureMax, previous: previous?.cellTemperatureMax),
            balancing: (0..<cellCount).compactMap { index in
                values[.balancing(index + 1)].map { Measured($0 != 0, at: time) }
            },
            operationalState: state.map { Measured($0, at: time) },
            packChargeCurrentLimit: PackSnapshot.currentLimit(extreme(.maxChargeCurrent, previous: previous?.packChargeCurrentLimit)),
            packDischargeCurrentLimit: PackSnapshot.currentLimit(
                extreme(.maxDischargeCurrent, previous: previous?.packDischargeCurrentLimit)),
            dataQuality: 1, secondsSinceLastRead: 0)
    }
}
