/// What a simulated CAN-bus BMS battery broadcasts, in PulseBMS units and signs.
public struct CANBusBMSPackImage: Sendable, Equatable {
    /// Which alarm frame the battery sends.
    public enum AlarmFrames: Sendable, Hashable {
        /// 0x359 and 0x35C (Pylontech before firmware V1.3).
        case pylontech359
        /// 0x35A (Victron/SMA, Pylontech V1.3+).
        case victron35A
        /// Both.
        case both
    }

    /// Pack voltage, V.
    public var voltage: Double
    /// Pack current, A, > 0 discharging (sent negated: the protocol's current is > 0 charging).
    public var current: Double
    /// Pack temperature, °C.
    public var temperature: Double
    /// State of charge, %.
    public var soc: Double
    /// State of health, %.
    public var soh: Double
    /// CVL, V.
    public var chargeVoltageLimit: Double
    /// CCL, A.
    public var chargeCurrentLimit: Double
    /// DCL, A.
    public var dischargeCurrentLimit: Double
    /// DVL, V.
    public var dischargeVoltageLimit: Double
    /// 0x35C bit 7.
    public var chargeEnabled: Bool
    /// 0x35C bit 6.
    public var dischargeEnabled: Bool
    /// 0x35C bit 5.
    public var forceChargeRequested: Bool
    /// Active alarm conditions (0x359 carries only those with a 0x359 bit).
    public var alarms: Set<CANBusBMSCondition>
    /// Active warning conditions.
    public var warnings: Set<CANBusBMSCondition>
    /// Lowest cell voltage, V.
    public var cellVoltageMin: Double
    /// Highest cell voltage, V.
    public var cellVoltageMax: Double
    /// Coldest cell, °C (sent in whole Kelvin).
    public var cellTemperatureMin: Double
    /// Hottest cell, °C (sent in whole Kelvin).
    public var cellTemperatureMax: Double
    /// 0x35E, up to 8 ASCII characters.
    public var manufacturer: String
    /// 0x370/0x371, up to 16 ASCII characters.
    public var name: String
    /// Modules (0x359 byte 4 and 0x372 modules online).
    public var moduleCount: Int
    /// 0x35F and 0x379 capacity, Ah.
    public var capacityAmpHours: Double
    /// Which alarm frames to send.
    public var alarmFrames: AlarmFrames

    /// A pack image; limits, flags and names have simulator defaults.
    public init(
        voltage: Double, current: Double, temperature: Double, soc: Double, soh: Double = 100,
        chargeVoltageLimit: Double = 0, chargeCurrentLimit: Double = 0, dischargeCurrentLimit: Double = 0,
        dischargeVoltageLimit: Double = 0, chargeEnabled: Bool = true, dischargeEnabled: Bool = true,
        forceChargeRequested: Bool = false, alarms: Set<CANBusBMSCondition> = [], warnings: Set<CANBusBMSCondition> = [],
        cellVoltageMin: Double = 0, cellVoltageMax: Double = 0, cellTemperatureMin: Double = 0,
        cellTemperatureMax: Double = 0, manufacturer: String = "PULSEBMS", name: String = "PulseBMS Sim",
        moduleCount: Int = 1, capacityAmpHours: Double = 100, alarmFrames: AlarmFrames = .victron35A
    ) {
        self.voltage = voltage
        self.current = current
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
        self.chargeVoltageLimit = chargeVoltageLimit
        self.chargeCurrentLimit = chargeCurrentLimit
        self.dischargeCurrentLimit = dischargeCurrentLimit
        self.dischargeVoltageLimit = dischargeVoltageLimit
        self.chargeEnabled = chargeEnabled
        self.dischargeEnabled = dischargeEnabled
        self.forceChargeRequested = forceChargeRequested
        self.alarms = alarms
        self.warnings = warnings
        self.cellVoltageMin = cellVoltageMin
        self.cellVoltageMax = cellVoltageMax
        self.cellTemperatureMin = cellTemperatureMin
        self.cellTemperatureMax = cellTemperatureMax
        self.manufacturer = manufacturer
        self.name = name
        self.moduleCount = moduleCount
        self.capacityAmpHours = capacityAmpHours
        self.alarmFrames = alarmFrames
    }
}
