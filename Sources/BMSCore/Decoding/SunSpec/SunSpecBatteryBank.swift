/// SunSpec model 803 (Lithium-Ion Bank): the bank summary and one block per string.
///
/// Fixed part (offsets from the ID register): 2 NStr, 3 NStrCon, 4–10 module temperature max (string,
/// module), min (string, module), average, 11–15 string voltage max (string), min (string), average, 16–20
/// string current likewise, 21 NCellBal, 22–27 scale factors; then (L − 26) / 32 string blocks.
///
/// UNVERIFIED: protocols.md gives only the key offsets. The order of the scale factors (22 CellV_SF,
/// 23 ModTmp_SF, 24 A_SF, 25 SoH_SF, 26 SoC_SF, 27 V_SF), the offsets of the "which string/module" points and
/// the string block layout are taken from sunspec/models `json/model_803.json`, not checked against the
/// pysunspec2 1.3.7 copy. That JSON gives ModTmpAvg no scale factor; ModTmp_SF is applied to it here.
public struct SunSpecBatteryBank: Sendable, Equatable {
    /// The model ID, 803.
    public static let modelID: UInt16 = 803
    /// Length of the fixed part, counted like `L`: 26.
    public static let fixedLength = 26
    /// Registers per string block: 32.
    public static let stringBlockLength = 32

    /// Offset (from the ID register) of the string block at `index` (0-based); add a `StringSummary.Offset`
    /// to reach one of its points.
    public static func offset(ofStringBlock index: Int) -> Int {
        fixedLength + 2 + stringBlockLength * index
    }

    /// Number of strings (NStr).
    public var stringCount: UInt16?
    /// Number of strings with contactors closed (NStrCon).
    public var connectedStringCount: UInt16?
    /// Highest module temperature (ModTmpMax), °C.
    public var moduleTemperatureMax: Double?
    /// String holding the hottest module (ModTmpMaxStr).
    public var moduleTemperatureMaxString: UInt16?
    /// Hottest module (ModTmpMaxMod).
    public var moduleTemperatureMaxModule: UInt16?
    /// Lowest module temperature (ModTmpMin), °C.
    public var moduleTemperatureMin: Double?
    /// String holding the coldest module (ModTmpMinStr).
    public var moduleTemperatureMinString: UInt16?
    /// Coldest module (ModTmpMinMod).
    public var moduleTemperatureMinModule: UInt16?
    /// Average module temperature (ModTmpAvg), °C.
    public var moduleTemperatureAverage: Double?
    /// Highest string voltage (StrVMax), V.
    public var stringVoltageMax: Double?
    /// String with the highest voltage (StrVMaxStr).
    public var stringVoltageMaxString: UInt16?
    /// Lowest string voltage (StrVMin), V.
    public var stringVoltageMin: Double?
    /// String with the lowest voltage (StrVMinStr).
    public var stringVoltageMinString: UInt16?
    /// Average string voltage (StrVAvg), V.
    public var stringVoltageAverage: Double?
    /// Highest string current (StrAMax), A.
    public var stringCurrentMax: Double?
    /// String with the highest current (StrAMaxStr).
    public var stringCurrentMaxString: UInt16?
    /// Lowest string current (StrAMin), A.
    public var stringCurrentMin: Double?
    /// String with the lowest current (StrAMinStr).
    public var stringCurrentMinString: UInt16?
    /// Average string current (StrAAvg), A.
    public var stringCurrentAverage: Double?
    /// Number of cells being balanced in the bank (NCellBal).
    public var balancingCellCount: UInt16?
    /// The string blocks, in order; their count comes from `L`.
    public var strings: [StringSummary]

    /// Decodes model 803 from registers that start at its ID register; registers after the model are ignored.
    ///
    /// - Throws: `SunSpecError.unexpectedModel`, `.modelTruncated`, `.lengthMismatch` (L below 26) or
    ///   `.repeatingBlockMismatch` (L − 26 not a multiple of 32).
    public init(registers: [UInt16]) throws(SunSpecError) {
        let model = try SunSpecModelRegisters(registers, model: Self.modelID)
        let count = try model.repeatingCount(fixedLength: Self.fixedLength, blockLength: Self.stringBlockLength)
        stringCount = model.uint16(2)
        connectedStringCount = model.uint16(3)
        moduleTemperatureMax = model.scaledInt16(4, scaleFactor: 23)
        moduleTemperatureMaxString = model.uint16(5)
        moduleTemperatureMaxModule = model.uint16(6)
        moduleTemperatureMin = model.scaledInt16(7, scaleFactor: 23)
        moduleTemperatureMinString = model.uint16(8)
        moduleTemperatureMinModule = model.uint16(9)
        moduleTemperatureAverage = model.scaledInt16(10, scaleFactor: 23)
        stringVoltageMax = model.scaledUInt16(11, scaleFactor: 27)
        stringVoltageMaxString = model.uint16(12)
        stringVoltageMin = model.scaledUInt16(13, scaleFactor: 27)
        stringVoltageMinString = model.uint16(14)
        stringVoltageAverage = model.scaledUInt16(15, scaleFactor: 27)
        stringCurrentMax = model.scaledInt16(16, scaleFactor: 24)
        stringCurrentMaxString = model.uint16(17)
        stringCurrentMin = model.scaledInt16(18, scaleFactor: 24)
        stringCurrentMinString = model.uint16(19)
        stringCurrentAverage = model.scaledInt16(20, scaleFactor: 24)
        balancingCellCount = model.uint16(21)
        let blockOffsets = (0..<count).map { index in SunSpecBatteryBank.offset(ofStringBlock: index) }
        strings = blockOffsets.map { offset in StringSummary(model, at: offset) }
    }
}
