/// A value together with the time it was measured and whether it is still current.
///
/// A value whose read failed keeps its last measurement but is marked stale: it is never republished as
/// fresh, and safety rules neither trip nor release on it.
public struct Measured<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var measuredAt: Timestamp
    public var isStale: Bool

    public init(_ value: Value, at measuredAt: Timestamp, isStale: Bool = false) {
        self.value = value
        self.measuredAt = measuredAt
        self.isStale = isStale
    }

    /// The value if it is fresh.
    public var freshValue: Value? { isStale ? nil : value }

    /// The same measurement marked stale.
    public var markedStale: Measured { Measured(value, at: measuredAt, isStale: true) }
}

/// One reading of a pack from any source (SunSpec, register map, CAN), in SI units.
///
/// Sign convention (the spec's examples): current and power are positive while discharging and negative
/// while charging.
///
/// Some packs (the CAN-bus BMS protocol's frame 0x373; DBC signal maps and register maps naming
/// `cell_voltage_min`, `cell_temperature_max`, …) report only their lowest and highest cell, not which cells
/// those are. Their snapshots leave the cell arrays empty, so the arrays never hold entries that are not
/// cells, and carry the extremes in `cellVoltageMin`/`cellVoltageMax` and
/// `cellTemperatureMin`/`cellTemperatureMax` instead. A pack that reports per-cell values normally leaves
/// the extremes `nil`; where both are present, consumers (`SafetyInput`) take the per-cell values.
///
/// The pack's own BMS may also say how much current it allows right now (`packChargeCurrentLimit`,
/// `packDischargeCurrentLimit`); `SetpointClamp` keeps every setpoint the agent applies inside that allowance.
public struct PackSnapshot: Sendable, Equatable {
    public var deviceID: String
    /// When the read that produced this snapshot finished.
    public var takenAt: Timestamp
    /// Pack voltage, V.
    public var voltage: Measured<Double>?
    /// Pack current, A (> 0 discharging).
    public var current: Measured<Double>?
    /// Pack power, W (> 0 discharging).
    public var power: Measured<Double>?
    /// Pack temperature, °C.
    public var temperature: Measured<Double>?
    /// State of charge, %.
    public var soc: Measured<Double>?
    /// State of health, %.
    public var soh: Measured<Double>?
    /// Cell voltages, V; index 0 is cell 1. Empty for a pack that reports only its extremes.
    public var cellVoltages: [Measured<Double>]
    /// Cell or module temperatures, °C; index 0 is sensor 1. Empty for a pack that reports only its extremes.
    public var cellTemperatures: [Measured<Double>]
    /// Lowest cell voltage the pack reports, V, when it reports no per-cell voltages; the cell is unknown.
    public var cellVoltageMin: Measured<Double>?
    /// Highest cell voltage the pack reports, V, when it reports no per-cell voltages; the cell is unknown.
    public var cellVoltageMax: Measured<Double>?
    /// Coldest cell temperature the pack reports, °C, when it reports no per-cell temperatures; the cell is
    /// unknown.
    public var cellTemperatureMin: Measured<Double>?
    /// Hottest cell temperature the pack reports, °C, when it reports no per-cell temperatures; the cell is
    /// unknown.
    public var cellTemperatureMax: Measured<Double>?
    /// Balancing flags per cell.
    public var balancing: [Measured<Bool>]
    /// Alarm flags the pack itself reports (its own BMS), by name.
    public var packAlarmFlags: Measured<[String]>?
    public var operationalState: Measured<OperationalState>?
    /// The charge current the pack's own BMS allows now, A: a magnitude (≥ 0, whatever the sign of `current`);
    /// 0 means the pack's BMS does not allow charging. From the CAN-bus BMS frame 0x351 CCL (0 while 0x35C
    /// says charging is disabled), or a register map's or DBC signal map's `max_charge_current`. `nil` when
    /// the pack reports none.
    public var packChargeCurrentLimit: Measured<Double>?
    /// The discharge current the pack's own BMS allows now, A: a magnitude (≥ 0, whatever the sign of
    /// `current`); 0 means the pack's BMS does not allow discharging. From the CAN-bus BMS frame 0x351 DCL
    /// (0 while 0x35C says discharging is disabled), or a map's `max_discharge_current`. `nil` when the pack
    /// reports none.
    public var packDischargeCurrentLimit: Measured<Double>?
    /// Fraction of recent reads of this pack that succeeded, 0–1.
    public var dataQuality: Double
    /// Time since the last successful read of the pack, seconds (0 when this snapshot is fresh).
    public var secondsSinceLastRead: Double

    public init(
        deviceID: String, takenAt: Timestamp, voltage: Measured<Double>? = nil, current: Measured<Double>? = nil,
        power: Measured<Double>? = nil, temperature: Measured<Double>? = nil, soc: Measured<Double>? = nil,
        soh: Measured<Double>? = nil, cellVoltages: [Measured<Double>] = [], cellTemperatures: [Measured<Double>] = [],
        cellVoltageMin: Measured<Double>? = nil, cellVoltageMax: Measured<Double>? = nil,
        cellTemperatureMin: Measured<Double>? = nil, cellTemperatureMax: Measured<Double>? = nil,
        balancing: [Measured<Bool>] = [], packAlarmFlags: Measured<[String]>? = nil,
        operationalState: Measured<OperationalState>? = nil, packChargeCurrentLimit: Measured<Double>? = nil,
        packDischargeCurrentLimit: Measured<Double>? = nil, dataQuality: Double = 1, secondsSinceLastRead: Double = 0
    ) {
        self.deviceID = deviceID
        self.takenAt = takenAt
        self.voltage = voltage
        self.current = current
        self.power = power
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
        self.cellVoltages = cellVoltages
        self.cellTemperatures = cellTemperatures
        self.cellVoltageMin = cellVoltageMin
        self.cellVoltageMax = cellVoltageMax
        self.cellTemperatureMin = cellTemperatureMin
        self.cellTemperatureMax = cellTemperatureMax
        self.balancing = balancing
        self.packAlarmFlags = packAlarmFlags
        self.operationalState = operationalState
        self.packChargeCurrentLimit = packChargeCurrentLimit
        self.packDischargeCurrentLimit = packDischargeCurrentLimit
        self.dataQuality = dataQuality
        self.secondsSinceLastRead = secondsSinceLastRead
    }

    /// The snapshot after a failed read at `time`: every value kept but marked stale.
    public func markedStale(at time: Timestamp, dataQuality: Double) -> PackSnapshot {
        var copy = self
        copy.takenAt = time
        copy.voltage = voltage?.markedStale
        copy.current = current?.markedStale
        copy.power = power?.markedStale
        copy.temperature = temperature?.markedStale
        copy.soc = soc?.markedStale
        copy.soh = soh?.markedStale
        copy.cellVoltages = cellVoltages.map(\.markedStale)
        copy.cellTemperatures = cellTemperatures.map(\.markedStale)
        copy.cellVoltageMin = cellVoltageMin?.markedStale
        copy.cellVoltageMax = cellVoltageMax?.markedStale
        copy.cellTemperatureMin = cellTemperatureMin?.markedStale
        copy.cellTemperatureMax = cellTemperatureMax?.markedStale
        copy.balancing = balancing.map(\.markedStale)
        copy.packAlarmFlags = packAlarmFlags?.markedStale
        copy.operationalState = operationalState?.markedStale
        copy.packChargeCurrentLimit = packChargeCurrentLimit?.markedStale
        copy.packDischargeCurrentLimit = packDischargeCurrentLimit?.markedStale
        copy.dataQuality = dataQuality
        copy.secondsSinceLastRead = Double(time.millisecondsSinceEpoch - lastFreshRead.millisecondsSinceEpoch) / 1000
        return copy
    }

    /// The most recent time any value was measured fresh.
    public var lastFreshRead: Timestamp {
        takenAt.adding(milliseconds: -Int64((secondsSinceLastRead * 1000).rounded()))
    }

    /// `amps` as a pack current limit: a negative value, or one that is not a finite number, reads as 0
    /// (the pack allows nothing) rather than as no limit.
    static func currentLimit(amps: Double) -> Double {
        amps.isFinite ? max(0, amps) : 0
    }

    /// `reading` as a pack current limit (see `currentLimit(amps:)`), its time and staleness kept.
    static func currentLimit(_ reading: Measured<Double>?) -> Measured<Double>? {
        reading.map { Measured(currentLimit(amps: $0.value), at: $0.measuredAt, isStale: $0.isStale) }
    }
}
