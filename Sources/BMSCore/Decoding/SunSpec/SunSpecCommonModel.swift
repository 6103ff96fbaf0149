/// SunSpec model 1 (Common): who made the device and what it is.
///
/// Offsets from the ID register: Mn @2 (16 registers), Md @18 (16), Opt @34 (8), Vr @42 (8), SN @50 (16),
/// DA @66, Pad @67. `L` is 66; 65 (no pad register, as some older devices send) is accepted too.
public struct SunSpecCommonModel: Sendable, Equatable {
    /// The model ID, 1.
    public static let modelID: UInt16 = 1
    /// The model length `L`, 66.
    public static let length = 66

    /// Manufacturer (Mn); `nil` when all NUL.
    public var manufacturer: String?
    /// Model name (Md).
    public var model: String?
    /// Options (Opt).
    public var options: String?
    /// Firmware version (Vr).
    public var version: String?
    /// Serial number (SN).
    public var serialNumber: String?
    /// Modbus device address (DA); `nil` for 0xFFFF.
    public var deviceAddress: UInt16?

    /// A Common model from typed values, for simulators and test fixtures.
    public init(
        manufacturer: String?, model: String?, options: String? = nil, version: String? = nil,
        serialNumber: String? = nil, deviceAddress: UInt16? = nil
    ) {
        self.manufacturer = manufacturer
        self.model = model
        self.options = options
        self.version = version
        self.serialNumber = serialNumber
        self.deviceAddress = deviceAddress
    }

    /// Decodes model 1 from registers that start at its ID register.
    ///
    /// - Throws: `SunSpecError.unexpectedModel`, `.modelTruncated` or `.lengthMismatch` (L other than 65/66).
    public init(registers: [UInt16]) throws(SunSpecError) {
        let image = try SunSpecModelRegisters(registers, model: Self.modelID)
        if image.length != Self.length - 1 { try image.requireLength(Self.length) }
        manufacturer = image.string(2, count: 16)
        model = image.string(18, count: 16)
        options = image.string(34, count: 8)
        version = image.string(42, count: 8)
        serialNumber = image.string(50, count: 16)
        deviceAddress = image.uint16(66)
    }

    /// The model's 68 registers (ID, `L` = 66, body, pad), as a device would serve them.
    public var registers: [UInt16] {
        var words: [UInt16] = [Self.modelID, UInt16(Self.length)]
        words += SunSpecPoint.registers(string: manufacturer ?? "", count: 16)
        words += SunSpecPoint.registers(string: model ?? "", count: 16)
        words += SunSpecPoint.registers(string: options ?? "", count: 8)
        words += SunSpecPoint.registers(string: version ?? "", count: 8)
        words += SunSpecPoint.registers(string: serialNumber ?? "", count: 16)
        words.append(deviceAddress ?? 0xFFFF)
        words.append(0)  // pad: not implemented is 0
        return words
    }
}
