/// SunSpec model 804 (Lithium-Ion String): one string's summary and one block per module.
///
/// Fixed part (offsets from the ID register): 2 Idx, 3 NMod, 4 St (bitfield32), 6 ConFail, 7 NCellBal, 8 SoC,
/// 9 DoD, 10 NCyc (uint32), 12 SoH, 13 A, 14 V, 15–19 cell voltage max (module), min (module), average,
/// 20–24 module temperature likewise, 26 ConSt, 28 Evt1, 30 Evt2, 32/34 EvtVnd1/2, 36 SetEna, 37 SetCon,
/// 38–44 scale factors; then (L − 46) / 16 module blocks.
///
/// UNVERIFIED: protocols.md gives only the key offsets. The order of the scale factors (38 SoC_SF, 39 SoH_SF,
/// 40 DoD_SF, 41 A_SF, 42 V_SF, 43 CellV_SF, 44 ModTmp_SF), the offsets it leaves open and the module block
/// layout are taken from sunspec/models `json/model_804.json`, not checked against the pysunspec2 1.3.7 copy.
public struct SunSpecBatteryString: Sendable, Equatable {
    /// The model ID, 804.
    public static let modelID: UInt16 = 804
    /// Length of the fixed part, counted like `L`: 46.
    public static let fixedLength = 46
    /// Registers per module block: 16.
    public static let moduleBlockLength = 16

    /// Offsets (from the ID register) of the points the agent writes.
    public enum Offset {
        /// SetEna: write a `SunSpecStringControl.Enable` raw value.
        public static let setEnable = 36
        /// SetCon: write a `SunSpecStringControl.Connect` raw value.
        public static let setConnect = 37
    }

    /// Index of the string in the bank (Idx, 1-based).
    public var stringIndex: UInt16?
    /// Number of modules (NMod).
    public var moduleCount: UInt16?
    /// String status (St) as sent.
    public var statusRaw: UInt32?
    /// Why the string did not connect (ConFail) as sent.
    public var connectionFailureRaw: UInt16?
    /// Number of cells being balanced (NCellBal).
    public var balancingCellCount: UInt16?
    /// State of charge (SoC), %.
    public var soc: Double?
    /// Depth of discharge (DoD), %.
    public var depthOfDischarge: Double?
    /// Cycle count (NCyc).
    public var cycleCount: UInt32?
    /// State of health (SoH), %.
    public var soh: Double?
    /// String current (A), A.
    public var current: Double?
    /// String voltage (V), V.
    public var voltage: Double?
    /// Cell-voltage and module-temperature extremes.
    public var extremes: SunSpecStringExtremes
    /// Contactor status (ConSt), one bit per contactor.
    public var contactorStatus: UInt32?
    /// Alarms and warnings (Evt1).
    public var events: SunSpecBatteryEvents?
    /// Evt2 (reserved), raw.
    public var events2: UInt32?
    /// Vendor events (EvtVnd1), raw.
    public var vendorEvents1: UInt32?
    /// Vendor events (EvtVnd2), raw.
    public var vendorEvents2: UInt32?
    /// Enable/disable command (SetEna) as read back.
    public var setEnableRaw: UInt16?
    /// Connect/disconnect command (SetCon) as read back.
    public var setConnectRaw: UInt16?
    /// The module blocks, in order; their count comes from `L`.
    public var modules: [ModuleSummary]

    /// Whether the string is enabled (St bit 0).
    public var isEnabled: Bool? { statusRaw.map { status in status & 1 != 0 } }
    /// Whether all of the string's contactors are closed (St bit 1).
    public var contactorsClosed: Bool? { statusRaw.map { status in status & 2 != 0 } }
    /// Why the string did not connect, or `nil` when not implemented or not a defined value.
    public var connectionFailure: SunSpecConnectionFailure? {
        connectionFailureRaw.flatMap(SunSpecConnectionFailure.init(rawValue:))
    }

    /// Decodes model 804 from registers that start at its ID register; registers after the model are ignored.
    ///
    /// - Throws: `SunSpecError.unexpectedModel`, `.modelTruncated`, `.lengthMismatch` (L below 46) or
    ///   `.repeatingBlockMismatch` (L − 46 not a multiple of 16).
    public init(registers: [UInt16]) throws(SunSpecError) {
        let model = try SunSpecModelRegisters(registers, model: Self.modelID)
        let count = try model.repeatingCount(fixedLength: Self.fixedLength, blockLength: Self.moduleBlockLength)
        stringIndex = model.uint16(2)
        moduleCount = model.uint16(3)
        statusRaw = model.bitfield32(4)
        connectionFailureRaw = model.enum16(6)
        balancingCellCount = model.uint16(7)
        soc = model.scaledUInt16(8, scaleFactor: 38)
        depthOfDischarge = model.scaledUInt16(9, scaleFactor: 40)
        cycleCount = model.uint32(10)
        soh = model.scaledUInt16(12, scaleFactor: 39)
        current = model.scaledInt16(13, scaleFactor: 41)
        voltage = model.scaledUInt16(14, scaleFactor: 42)
        extremes = SunSpecStringExtremes(model, at: 15, cellVoltageScaleFactor: 43, temperatureScaleFactor: 44)
        contactorStatus = model.bitfield32(26)
        events = model.bitfield32(28).map(SunSpecBatteryEvents.init(rawValue:))
        events2 = model.bitfield32(30)
        vendorEvents1 = model.bitfield32(32)
        vendorEvents2 = model.bitfield32(34)
        setEnableRaw = model.enum16(Offset.setEnable)
        setConnectRaw = model.enum16(Offset.setConnect)
        let firstBlock = Self.fixedLength + 2
        let blockLength = Self.moduleBlockLength
        modules = (0..<count).map { index in ModuleSummary(model, at: firstBlock + blockLength * index) }
    }
}
