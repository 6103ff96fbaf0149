/// Everything a CAN-bus BMS battery reports, each value with its frame's receive time and staleness.
///
/// Units are SI as in `PackSnapshot`; the current follows PulseBMS's sign (> 0 discharging): the protocol's
/// current is > 0 while charging (the Victron convention, UNVERIFIED for other makes), so it is negated.
/// Temperatures from 0x373 arrive in Kelvin and are converted with K − 273.15.
public struct CANBusBMSStatus: Sendable, Equatable {
    /// 0x351 CVL: the highest charge voltage the battery accepts, V.
    public var chargeVoltageLimit: Measured<Double>?
    /// 0x351 CCL: the highest charge current, A (a magnitude).
    public var chargeCurrentLimit: Measured<Double>?
    /// 0x351 DCL: the highest discharge current, A (a magnitude).
    public var dischargeCurrentLimit: Measured<Double>?
    /// 0x351 DVL: the lowest discharge voltage, V.
    public var dischargeVoltageLimit: Measured<Double>?
    /// 0x355 state of charge, % (the 0.01 % field when present and within 1 % of the whole-percent one).
    public var soc: Measured<Double>?
    /// 0x355 state of health, %.
    public var soh: Measured<Double>?
    /// 0x356 pack voltage, V.
    public var voltage: Measured<Double>?
    /// 0x356 pack current, A, > 0 discharging (the protocol's sign negated).
    public var current: Measured<Double>?
    /// 0x356 pack temperature, °C.
    public var temperature: Measured<Double>?
    /// Active alarm (protection) conditions from 0x359 and 0x35A together.
    public var alarms: Measured<Set<CANBusBMSCondition>>?
    /// Active warning conditions from 0x359 and 0x35A together.
    public var warnings: Measured<Set<CANBusBMSCondition>>?
    /// 0x359 byte 4: number of modules.
    public var moduleCount: Measured<Int>?
    /// 0x35C bit 7: charging allowed.
    public var chargeEnabled: Measured<Bool>?
    /// 0x35C bit 6: discharging allowed.
    public var dischargeEnabled: Measured<Bool>?
    /// 0x35C bit 5: the battery asks to be charged.
    public var forceChargeRequested: Measured<Bool>?
    /// 0x35E manufacturer name (trailing spaces and NULs removed).
    public var manufacturer: Measured<String>?
    /// 0x35F bytes 0–1: chemistry or model code ("LI").
    public var chemistry: Measured<String>?
    /// 0x35F bytes 2–3 as a little-endian u16: hardware/firmware version (meaning varies by make).
    public var versionCode: Measured<UInt16>?
    /// 0x35F bytes 4–5: capacity, Ah.
    public var capacityAmpHours: Measured<Double>?
    /// 0x370 + 0x371: BMS name.
    public var bmsName: Measured<String>?
    /// 0x372: modules online.
    public var modulesOnline: Measured<Int>?
    /// 0x372: modules blocking charge.
    public var modulesBlockingCharge: Measured<Int>?
    /// 0x372: modules blocking discharge.
    public var modulesBlockingDischarge: Measured<Int>?
    /// 0x372: modules offline.
    public var modulesOffline: Measured<Int>?
    /// 0x373 lowest cell voltage, V.
    public var cellVoltageMin: Measured<Double>?
    /// 0x373 highest cell voltage, V.
    public var cellVoltageMax: Measured<Double>?
    /// 0x373 lowest cell temperature, °C.
    public var cellTemperatureMin: Measured<Double>?
    /// 0x373 highest cell temperature, °C.
    public var cellTemperatureMax: Measured<Double>?
    /// 0x379 installed capacity, Ah.
    public var installedCapacityAmpHours: Measured<Double>?

    /// A status with nothing received.
    public init() {}

    /// The flags for `PackSnapshot.packAlarmFlags`: alarms then warnings, each in `CANBusBMSCondition` order.
    public var flagNames: [String] {
        (alarms?.value.sorted().map(\.alarmFlag) ?? []) + (warnings?.value.sorted().map(\.warningFlag) ?? [])
    }
}

/// The last payload of one frame and when it arrived.
struct CANBusBMSPayload: Sendable, Equatable {
    var data: [UInt8]
    var receivedAt: Timestamp
}

extension CANBusBMSStatus {
    /// The status made of the last payload of each frame, stale where a frame is older than `staleAfter` at
    /// `time`.
    init(payloads: [CANBusBMSFrameID: CANBusBMSPayload], at time: Timestamp, staleAfter: Duration) {
        self.init()
        func reader(_ id: CANBusBMSFrameID) -> FieldReader? {
            payloads[id].map { FieldReader(payload: $0, isStale: $0.receivedAt.isOlder(than: staleAfter, at: time)) }
        }
        if let frame = reader(.chargeDischargeLimits) {
            chargeVoltageLimit = frame.scaled(0, signed: false, divisor: 10)
            chargeCurrentLimit = frame.scaled(2, signed: true, divisor: 10)
            dischargeCurrentLimit = frame.scaled(4, signed: true, divisor: 10)
            dischargeVoltageLimit = frame.scaled(6, signed: false, divisor: 10)
        }
        if let frame = reader(.stateOfChargeAndHealth) {
            soc = frame.scaled(0, signed: false, divisor: 1)
            if let whole = soc, let fine = frame.scaled(4, signed: false, divisor: 100), abs(fine.value - whole.value) <= 1 {
                soc = fine
            }
            soh = frame.scaled(2, signed: false, divisor: 1)
        }
        if let frame = reader(.voltageCurrentTemperature) {
            voltage = frame.scaled(0, signed: true, divisor: 100)
            // The protocol's current is > 0 charging; PulseBMS's is > 0 discharging.
            current = frame.scaled(2, signed: true, divisor: 10).map { reading in
                frame.measured(reading.value == 0 ? 0 : -reading.value)
            }
            temperature = frame.scaled(4, signed: true, divisor: 10)
        }
        var alarmSets: [Measured<Set<CANBusBMSCondition>>] = []
        var warningSets: [Measured<Set<CANBusBMSCondition>>] = []
        if let frame = reader(.pylontechProtection) {
            if let alarms = frame.pylontechConditions(at: 0) { alarmSets.append(frame.measured(alarms)) }
            if let warnings = frame.pylontechConditions(at: 2) { warningSets.append(frame.measured(warnings)) }
            moduleCount = frame.byte(4).map { frame.measured(Int($0)) }
        }
        if let frame = reader(.alarmsAndWarnings) {
            if let alarms = frame.victronConditions(at: 0) { alarmSets.append(frame.measured(alarms)) }
            if let warnings = frame.victronConditions(at: 4) { warningSets.append(frame.measured(warnings)) }
        }
        alarms = Self.union(alarmSets)
        warnings = Self.union(warningSets)
        if let frame = reader(.requestFlags), let flags = frame.byte(0) {
            chargeEnabled = frame.measured(flags & 0x80 != 0)
            dischargeEnabled = frame.measured(flags & 0x40 != 0)
            forceChargeRequested = frame.measured(flags & 0x20 != 0)
        }
        if let frame = reader(.manufacturerName) { manufacturer = frame.measured(frame.text(0..<8)) }
        if let frame = reader(.batteryInfo) {
            chemistry = frame.payload.data.count >= 2 ? frame.measured(frame.text(0..<2)) : nil
            versionCode = frame.unsigned(2).map { frame.measured($0) }
            capacityAmpHours = frame.scaled(4, signed: false, divisor: 1)
        }
        if let first = reader(.bmsNameFirstHalf) {
            let second = reader(.bmsNameSecondHalf)
            let name = Self.trimmed(first.rawText(0..<8) + (second?.rawText(0..<8) ?? ""))
            let newer = second.map { $0.payload.receivedAt > first.payload.receivedAt ? $0 : first } ?? first
            bmsName = Measured(name, at: newer.payload.receivedAt, isStale: first.isStale || second?.isStale == true)
        }
        if let frame = reader(.moduleCounts) {
            modulesOnline = frame.unsigned(0).map { frame.measured(Int($0)) }
            modulesBlockingCharge = frame.unsigned(2).map { frame.measured(Int($0)) }
            modulesBlockingDischarge = frame.unsigned(4).map { frame.measured(Int($0)) }
            modulesOffline = frame.unsigned(6).map { frame.measured(Int($0)) }
        }
        if let frame = reader(.cellExtremes) {
            cellVoltageMin = frame.scaled(0, signed: false, divisor: 1000)
            cellVoltageMax = frame.scaled(2, signed: false, divisor: 1000)
            cellTemperatureMin = frame.unsigned(4).map { frame.measured(Double($0) - 273.15) }
            cellTemperatureMax = frame.unsigned(6).map { frame.measured(Double($0) - 273.15) }
        }
        if let frame = reader(.installedCapacity) { installedCapacityAmpHours = frame.scaled(0, signed: false, divisor: 1) }
    }

    private static func union(_ sets: [Measured<Set<CANBusBMSCondition>>]) -> Measured<Set<CANBusBMSCondition>>? {
        guard let newest = sets.map(\.measuredAt).max() else { return nil }
        return Measured(sets.reduce(into: Set<CANBusBMSCondition>()) { $0.formUnion($1.value) }, at: newest, isStale: sets.contains(where: \.isStale))
    }

    static func trimmed(_ text: String) -> String {
        var characters = Substring(text)
        while let last = characters.last, last == " " { characters = characters.dropLast() }
        return String(characters)
    }
}

/// Reads the little-endian fields of one payload; a field the payload is too short for is `nil`.
private struct FieldReader {
    var payload: CANBusBMSPayload
    var isStale: Bool

    func measured<Value: Sendable & Equatable>(_ value: Value) -> Measured<Value> {
        Measured(value, at: payload.receivedAt, isStale: isStale)
    }

    func byte(_ offset: Int) -> UInt8? {
        payload.data.indices.contains(offset) ? payload.data[offset] : nil
    }

    func unsigned(_ offset: Int) -> UInt16? {
        guard offset + 1 < payload.data.count else { return nil }
        return UInt16(payload.data[offset]) | UInt16(payload.data[offset + 1]) << 8
    }

    /// The u16 or s16 at `offset` divided by `divisor` (a division, so that 363 / 10 reads 36.3 exactly).
    func scaled(_ offset: Int, signed: Bool, divisor: Double) -> Measured<Double>? {
        guard let word = unsigned(offset) else { return nil }
        let raw = signed ? Double(Int16(bitPattern: word)) : Double(word)
        return measured(raw / divisor)
    }

    /// ASCII up to the first NUL, other non-printable bytes as `?`, without trimming.
    func rawText(_ range: Range<Int>) -> String {
        let bytes = payload.data[min(range.lowerBound, payload.data.count)..<min(range.upperBound, payload.data.count)]
        let printable = bytes.prefix { $0 != 0 }.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }
        return String(decoding: printable, as: UTF8.self)
    }

    func text(_ range: Range<Int>) -> String { CANBusBMSStatus.trimmed(rawText(range)) }

    /// 0x359 conditions from the byte pair at `offset` (0 alarms, 2 warnings).
    func pylontechConditions(at offset: Int) -> Set<CANBusBMSCondition>? {
        guard let low = byte(offset) else { return nil }
        let high = byte(offset + 1) ?? 0
        return Set(CANBusBMSCondition.allCases.filter { condition in
            guard let position = condition.pylontechBit else { return false }
            return (position.byte == 0 ? low : high) & (1 << UInt8(position.bit)) != 0
        })
    }

    /// 0x35A conditions from the four bytes at `offset` (0 alarms, 4 warnings); a pair reading 01 is active.
    func victronConditions(at offset: Int) -> Set<CANBusBMSCondition>? {
        guard byte(offset) != nil else { return nil }
        return Set(CANBusBMSCondition.allCases.filter { condition in
            let position = condition.victronPair
            guard let value = byte(offset + position.byte) else { return false }
            return (value >> UInt8(2 * position.pair)) & 0b11 == 0b01
        })
    }
}
