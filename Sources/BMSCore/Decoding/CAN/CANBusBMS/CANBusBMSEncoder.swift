/// Builds the frames of the CAN-bus BMS protocol, for the simulator and for tests; `CANBusBMSAccumulator`
/// reads them back. Values are rounded to the field's resolution and clamped to its range (NaN sends 0), so
/// encoding never fails.
public enum CANBusBMSEncoder {
    /// One broadcast cycle, in identifier order: 0x351, 0x355, 0x356, 0x359 and 0x35C and/or 0x35A, 0x35E,
    /// 0x35F, 0x370, 0x371, 0x372, 0x373, 0x379.
    public static func frames(for image: CANBusBMSPackImage) -> [CANFrame] {
        var frames: [CANFrame] = []
        func add(_ id: CANBusBMSFrameID, _ data: [UInt8]) { frames.append(CANFrame(standardID: id.rawValue, classicData: data)) }
        add(
            .chargeDischargeLimits,
            word(image.chargeVoltageLimit * 10, signed: false) + word(image.chargeCurrentLimit * 10, signed: true)
                + word(image.dischargeCurrentLimit * 10, signed: true) + word(image.dischargeVoltageLimit * 10, signed: false))
        add(.stateOfChargeAndHealth, word(image.soc, signed: false) + word(image.soh, signed: false) + word(image.soc * 100, signed: false))
        add(
            .voltageCurrentTemperature,
            word(image.voltage * 100, signed: true) + word(-image.current * 10, signed: true) + word(image.temperature * 10, signed: true))
        let moduleByte = UInt8(clamping: image.moduleCount)
        if image.alarmFrames != .victron35A {
            add(.pylontechProtection, pylontechBytes(image.alarms) + pylontechBytes(image.warnings) + [moduleByte, 0x50, 0x4E])
        }
        if image.alarmFrames != .pylontech359 {
            add(.alarmsAndWarnings, victronBytes(image.alarms) + victronBytes(image.warnings))
        }
        if image.alarmFrames != .victron35A {
            let flags: UInt8 = (image.chargeEnabled ? 0x80 : 0) | (image.dischargeEnabled ? 0x40 : 0) | (image.forceChargeRequested ? 0x20 : 0)
            add(.requestFlags, [flags, 0])
        }
        add(.manufacturerName, ascii(image.manufacturer, count: 8))
        add(.batteryInfo, ascii("LI", count: 2) + [0, 0] + word(image.capacityAmpHours, signed: false))
        let name = ascii(image.name, count: 16)
        add(.bmsNameFirstHalf, Array(name[0..<8]))
        add(.bmsNameSecondHalf, Array(name[8..<16]))
        add(.moduleCounts, word(Double(image.moduleCount), signed: false) + word(0, signed: false) + word(0, signed: false) + word(0, signed: false))
        add(
            .cellExtremes,
            word(image.cellVoltageMin * 1000, signed: false) + word(image.cellVoltageMax * 1000, signed: false)
                + word(image.cellTemperatureMin + 273.15, signed: false) + word(image.cellTemperatureMax + 273.15, signed: false))
        add(.installedCapacity, word(image.capacityAmpHours, signed: false))
        return frames
    }

    /// The 0x305 keep-alive an inverter sends to the battery (8 zero bytes unless given).
    public static func keepAliveFrame(data: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]) -> CANFrame {
        CANFrame(standardID: CANBusBMSFrameID.keepAlive.rawValue, classicData: data)
    }

    /// `value` rounded half to even and clamped to u16 or s16, little-endian.
    static func word(_ value: Double, signed: Bool) -> [UInt8] {
        let rounded = value.isNaN ? 0 : value.rounded(.toNearestOrEven)
        let bits: UInt16
        if signed {
            bits = UInt16(bitPattern: Int16(max(Double(Int16.min), min(Double(Int16.max), rounded))))
        } else {
            bits = UInt16(max(0, min(Double(UInt16.max), rounded)))
        }
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }

    /// Printable ASCII (anything else as `?`), cut or space-padded to `count` bytes.
    static func ascii(_ text: String, count: Int) -> [UInt8] {
        let bytes = text.unicodeScalars.prefix(count).map { scalar -> UInt8 in
            (0x20...0x7E).contains(scalar.value) ? UInt8(scalar.value) : 0x3F
        }
        return bytes + [UInt8](repeating: 0x20, count: count - bytes.count)
    }

    private static func pylontechBytes(_ conditions: Set<CANBusBMSCondition>) -> [UInt8] {
        var bytes: [UInt8] = [0, 0]
        for condition in conditions {
            guard let position = condition.pylontechBit else { continue }
            bytes[position.byte] |= 1 << UInt8(position.bit)
        }
        return bytes
    }

    /// Every known pair reads 10 (OK) or 01 (active); pairs the layout does not define stay 00.
    private static func victronBytes(_ conditions: Set<CANBusBMSCondition>) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0]
        for condition in CANBusBMSCondition.allCases {
            let position = condition.victronPair
            let pair: UInt8 = conditions.contains(condition) ? 0b01 : 0b10
            bytes[position.byte] |= pair << UInt8(2 * position.pair)
        }
        return bytes
    }
}
