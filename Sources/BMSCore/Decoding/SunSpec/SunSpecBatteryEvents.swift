/// Alarm and warning bits of SunSpec battery events (802 `Evt1`, 803 `StrEvt1`, 804 `Evt1`); bit 0 is the LSB
/// of the 32-bit value. Bit 24 is reserved in 803/804 and bit 27 everywhere.
public struct SunSpecBatteryEvents: OptionSet, Sendable, Hashable {
    /// The bitfield32 value.
    public let rawValue: UInt32

    /// Events from a bitfield32 value.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Bit 0: communication error.
    public static let communicationError = SunSpecBatteryEvents(rawValue: 1 << 0)
    /// Bit 1: over-temperature alarm.
    public static let overTemperatureAlarm = SunSpecBatteryEvents(rawValue: 1 << 1)
    /// Bit 2: over-temperature warning.
    public static let overTemperatureWarning = SunSpecBatteryEvents(rawValue: 1 << 2)
    /// Bit 3: under-temperature alarm.
    public static let underTemperatureAlarm = SunSpecBatteryEvents(rawValue: 1 << 3)
    /// Bit 4: under-temperature warning.
    public static let underTemperatureWarning = SunSpecBatteryEvents(rawValue: 1 << 4)
    /// Bit 5: over charge current alarm.
    public static let overChargeCurrentAlarm = SunSpecBatteryEvents(rawValue: 1 << 5)
    /// Bit 6: over charge current warning.
    public static let overChargeCurrentWarning = SunSpecBatteryEvents(rawValue: 1 << 6)
    /// Bit 7: over discharge current alarm.
    public static let overDischargeCurrentAlarm = SunSpecBatteryEvents(rawValue: 1 << 7)
    /// Bit 8: over discharge current warning.
    public static let overDischargeCurrentWarning = SunSpecBatteryEvents(rawValue: 1 << 8)
    /// Bit 9: over-voltage alarm.
    public static let overVoltageAlarm = SunSpecBatteryEvents(rawValue: 1 << 9)
    /// Bit 10: over-voltage warning.
    public static let overVoltageWarning = SunSpecBatteryEvents(rawValue: 1 << 10)
    /// Bit 11: under-voltage alarm.
    public static let underVoltageAlarm = SunSpecBatteryEvents(rawValue: 1 << 11)
    /// Bit 12: under-voltage warning.
    public static let underVoltageWarning = SunSpecBatteryEvents(rawValue: 1 << 12)
    /// Bit 13: SoC below the minimum, alarm.
    public static let underSoCMinAlarm = SunSpecBatteryEvents(rawValue: 1 << 13)
    /// Bit 14: SoC below the minimum, warning.
    public static let underSoCMinWarning = SunSpecBatteryEvents(rawValue: 1 << 14)
    /// Bit 15: SoC above the maximum, alarm.
    public static let overSoCMaxAlarm = SunSpecBatteryEvents(rawValue: 1 << 15)
    /// Bit 16: SoC above the maximum, warning.
    public static let overSoCMaxWarning = SunSpecBatteryEvents(rawValue: 1 << 16)
    /// Bit 17: voltage imbalance warning.
    public static let voltageImbalanceWarning = SunSpecBatteryEvents(rawValue: 1 << 17)
    /// Bit 18: temperature imbalance alarm.
    public static let temperatureImbalanceAlarm = SunSpecBatteryEvents(rawValue: 1 << 18)
    /// Bit 19: temperature imbalance warning.
    public static let temperatureImbalanceWarning = SunSpecBatteryEvents(rawValue: 1 << 19)
    /// Bit 20: contactor error.
    public static let contactorError = SunSpecBatteryEvents(rawValue: 1 << 20)
    /// Bit 21: fan error.
    public static let fanError = SunSpecBatteryEvents(rawValue: 1 << 21)
    /// Bit 22: ground fault.
    public static let groundFault = SunSpecBatteryEvents(rawValue: 1 << 22)
    /// Bit 23: open door alarm.
    public static let openDoorAlarm = SunSpecBatteryEvents(rawValue: 1 << 23)
    /// Bit 24: current imbalance warning (802 only; reserved in 803/804).
    public static let currentImbalanceWarning = SunSpecBatteryEvents(rawValue: 1 << 24)
    /// Bit 25: other alarm (see the vendor event bitfields).
    public static let otherAlarm = SunSpecBatteryEvents(rawValue: 1 << 25)
    /// Bit 26: other warning (see the vendor event bitfields).
    public static let otherWarning = SunSpecBatteryEvents(rawValue: 1 << 26)
    /// Bit 28: configuration alarm.
    public static let configurationAlarm = SunSpecBatteryEvents(rawValue: 1 << 28)
    /// Bit 29: configuration warning.
    public static let configurationWarning = SunSpecBatteryEvents(rawValue: 1 << 29)

    /// Every bit that is an alarm or an error (as opposed to a warning).
    public static let alarms: SunSpecBatteryEvents = [
        .communicationError, .overTemperatureAlarm, .underTemperatureAlarm, .overChargeCurrentAlarm,
        .overDischargeCurrentAlarm, .overVoltageAlarm, .underVoltageAlarm, .underSoCMinAlarm, .overSoCMaxAlarm,
        .temperatureImbalanceAlarm, .contactorError, .fanError, .groundFault, .openDoorAlarm, .otherAlarm,
        .configurationAlarm,
    ]

    /// Every warning bit.
    public static let warnings: SunSpecBatteryEvents = [
        .overTemperatureWarning, .underTemperatureWarning, .overChargeCurrentWarning, .overDischargeCurrentWarning,
        .overVoltageWarning, .underVoltageWarning, .underSoCMinWarning, .overSoCMaxWarning,
        .voltageImbalanceWarning, .temperatureImbalanceWarning, .currentImbalanceWarning, .otherWarning,
        .configurationWarning,
    ]
}
