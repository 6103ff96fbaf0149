/// The frames of the "CAN-bus BMS" protocol (Pylontech LV / SMA Sunny Island / Victron): 11-bit identifiers,
/// 500 kbit/s, little-endian fields, each broadcast by the battery about once a second (protocols.md §2).
public enum CANBusBMSFrameID: UInt32, Sendable, Hashable, CaseIterable {
    /// 0x305: keep-alive the inverter (here: the agent) sends; the battery's own frames never use it.
    case keepAlive = 0x305
    /// 0x351: CVL u16 0.1 V, CCL s16 0.1 A, DCL s16 0.1 A, DVL u16 0.1 V.
    case chargeDischargeLimits = 0x351
    /// 0x355: SoC u16 %, SoH u16 %, optional SoC u16 0.01 % (SMA).
    case stateOfChargeAndHealth = 0x355
    /// 0x356: voltage s16 0.01 V, current s16 0.1 A (> 0 charging), temperature s16 0.1 °C.
    case voltageCurrentTemperature = 0x356
    /// 0x359 (Pylontech): protection and warning bits, module count, "PN".
    case pylontechProtection = 0x359
    /// 0x35A (Victron/SMA, Pylontech V1.3+): alarm and warning 2-bit pairs.
    case alarmsAndWarnings = 0x35A
    /// 0x35C (Pylontech): charge/discharge enable and force-charge request bits.
    case requestFlags = 0x35C
    /// 0x35E: manufacturer name, ASCII, space-padded.
    case manufacturerName = 0x35E
    /// 0x35F: chemistry/model (2 ASCII), hardware/firmware version, capacity Ah.
    case batteryInfo = 0x35F
    /// 0x370: BMS name, first 8 characters.
    case bmsNameFirstHalf = 0x370
    /// 0x371: BMS name, next 8 characters.
    case bmsNameSecondHalf = 0x371
    /// 0x372: modules online, blocking charge, blocking discharge, offline (u16 each).
    case moduleCounts = 0x372
    /// 0x373: min/max cell voltage mV, min/max cell temperature K (u16 each).
    case cellExtremes = 0x373
    /// 0x379: installed capacity, u16 Ah.
    case installedCapacity = 0x379

    /// The frames a battery sends (everything but the keep-alive).
    public static let batteryFrames: [CANBusBMSFrameID] = allCases.filter { $0 != .keepAlive }

    /// The kernel filters passing the battery's frames (0x351–0x35F, 0x370–0x373, 0x379).
    public static var batteryFilters: [CANFilter] {
        CANFilter.minimalFilters(for: Set(batteryFrames.map(\.rawValue)))
    }
}

/// A condition the battery reports in 0x359 or 0x35A, as an alarm (protection) or a warning.
///
/// In `PackSnapshot.packAlarmFlags` each active condition appears as `<name>_alarm` or `<name>_warning`:
///
/// | Flag stem | 0x359 alarm/warning bit (byte 0/2, 1/3) | 0x35A pair (byte.pair) |
/// |---|---|---|
/// | `general` | — | 0.0 |
/// | `pack_over_voltage` | byte 0 bit 1 | 0.1 |
/// | `pack_under_voltage` | byte 0 bit 2 | 0.2 |
/// | `pack_over_temperature` | byte 0 bit 3 | 0.3 |
/// | `pack_under_temperature` | byte 0 bit 4 | 1.0 |
/// | `charge_over_temperature` | — | 1.1 |
/// | `charge_under_temperature` | — | 1.2 |
/// | `discharge_over_current` | byte 0 bit 7 | 1.3 |
/// | `charge_over_current` | byte 1 bit 0 | 2.0 |
/// | `bms_internal` | byte 1 bit 3 (Battery-Emulator says bit 7: UNVERIFIED) | 2.3 |
/// | `cell_imbalance` | — | 3.0 |
///
/// A 0x35A pair is active when it reads `01` (`10` = OK, `11` = not supported, per diyBMS).
public enum CANBusBMSCondition: String, Sendable, Hashable, CaseIterable, Comparable {
    /// General alarm or warning (0x35A only).
    case general = "general"
    /// Pack (or cell) voltage too high.
    case packOverVoltage = "pack_over_voltage"
    /// Pack (or cell) voltage too low.
    case packUnderVoltage = "pack_under_voltage"
    /// Temperature too high.
    case packOverTemperature = "pack_over_temperature"
    /// Temperature too low.
    case packUnderTemperature = "pack_under_temperature"
    /// Too hot to charge (0x35A only).
    case chargeOverTemperature = "charge_over_temperature"
    /// Too cold to charge (0x35A only).
    case chargeUnderTemperature = "charge_under_temperature"
    /// Discharge current too high.
    case dischargeOverCurrent = "discharge_over_current"
    /// Charge current too high.
    case chargeOverCurrent = "charge_over_current"
    /// Internal BMS fault (communication, sensor, contactor).
    case bmsInternal = "bms_internal"
    /// Cells out of balance (0x35A only).
    case cellImbalance = "cell_imbalance"

    /// `pack_over_voltage_alarm`, …
    public var alarmFlag: String { rawValue + "_alarm" }
    /// `pack_over_voltage_warning`, …
    public var warningFlag: String { rawValue + "_warning" }

    /// Declaration order.
    public static func < (lhs: CANBusBMSCondition, rhs: CANBusBMSCondition) -> Bool {
        let order = allCases
        return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
    }

    /// Where the condition sits in 0x359: (byte within the alarm or warning pair of bytes, bit).
    var pylontechBit: (byte: Int, bit: Int)? {
        switch self {
        case .packOverVoltage: return (0, 1)
        case .packUnderVoltage: return (0, 2)
        case .packOverTemperature: return (0, 3)
        case .packUnderTemperature: return (0, 4)
        case .dischargeOverCurrent: return (0, 7)
        case .chargeOverCurrent: return (1, 0)
        case .bmsInternal: return (1, 3)
        default: return nil
        }
    }

    /// Where the condition sits in 0x35A: (byte within the alarm or warning half, 2-bit pair).
    var victronPair: (byte: Int, pair: Int) {
        switch self {
        case .general: return (0, 0)
        case .packOverVoltage: return (0, 1)
        case .packUnderVoltage: return (0, 2)
        case .packOverTemperature: return (0, 3)
        case .packUnderTemperature: return (1, 0)
        case .chargeOverTemperature: return (1, 1)
        case .chargeUnderTemperature: return (1, 2)
        case .dischargeOverCurrent: return (1, 3)
        case .chargeOverCurrent: return (2, 0)
        case .bmsInternal: return (2, 3)
        case .cellImbalance: return (3, 0)
        }
    }
}
