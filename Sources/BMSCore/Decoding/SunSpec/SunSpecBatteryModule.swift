/// SunSpec model 805 (Lithium-Ion Module): one module's summary and its cells.
///
/// The fixed part is 44 registers (ID, `L`, 42 points); then one 4-register block per cell (CellV uint16
/// × CellV_SF, CellTmp int16 × Tmp_SF, CellSt bitfield32 with bit 0 = balancing). The cell count is
/// (L − 42) / 4, taken from `L`, not from the declared `NCell`.
///
/// Point offsets: 2 StrIdx, 3 ModIdx, 4 NCell, 10 V, 11–15 cell voltage max/max cell/min/min cell/average,
/// 16–20 cell temperature likewise, 22 SN (16 registers), as in protocols.md §1. UNVERIFIED: the offsets that
/// protocols.md leaves open (5 SoC, 6 DoD, 7 SoH, 8 NCyc uint32, 21 NCellBal) and the scale factor order
/// 38 SoC_SF, 39 SoH_SF, 40 DoD_SF, 41 V_SF, 42 CellV_SF, 43 Tmp_SF are taken from sunspec/models
/// `json/model_805.json` and were not checked against the pysunspec2 1.3.7 copy.
public struct SunSpecBatteryModule: Sendable, Equatable {
    /// The model ID, 805.
    public static let modelID: UInt16 = 805
    /// Length of the fixed part, counted like `L` (without ID and `L`): 42.
    public static let fixedLength = 42
    /// Registers per cell block: 4.
    public static let cellBlockLength = 4

    /// The raw points and cells.
    public var image: Image

    /// A model from a raw image (for simulators and tests).
    public init(image: Image = Image()) {
        self.image = image
    }

    /// Decodes model 805 from registers that start at its ID register; registers after the model are ignored.
    ///
    /// - Throws: `SunSpecError.unexpectedModel`, `.modelTruncated`, `.lengthMismatch` (L below 42) or
    ///   `.repeatingBlockMismatch` (L − 42 not a multiple of 4).
    public init(registers: [UInt16]) throws(SunSpecError) {
        let model = try SunSpecModelRegisters(registers, model: Self.modelID)
        let cellCount = try model.repeatingCount(fixedLength: Self.fixedLength, blockLength: Self.cellBlockLength)
        image = Image(checked: model, cellCount: cellCount)
    }

    /// The model's registers, as a device serves them.
    public var registers: [UInt16] { image.registers }

    private func scaled(_ raw: UInt16, _ scaleFactor: Int16) -> Double? {
        SunSpecPoint.scaled(SunSpecPoint.uint16(raw: raw), scaleFactor: SunSpecPoint.sunssf(raw: scaleFactor))
    }

    private func scaled(signed raw: Int16, _ scaleFactor: Int16) -> Double? {
        SunSpecPoint.scaled(SunSpecPoint.int16(raw: raw), scaleFactor: SunSpecPoint.sunssf(raw: scaleFactor))
    }

    // MARK: - Identity

    /// Index of the string holding the module (StrIdx, 1-based).
    public var stringIndex: UInt16? { SunSpecPoint.uint16(raw: image.strIdx) }
    /// Index of the module in its string (ModIdx, 1-based).
    public var moduleIndex: UInt16? { SunSpecPoint.uint16(raw: image.modIdx) }
    /// The cell count the module declares (NCell); compare with `cellCount`.
    public var declaredCellCount: UInt16? { SunSpecPoint.uint16(raw: image.nCell) }
    /// Serial number (SN).
    public var serialNumber: String? { image.sn.isEmpty ? nil : image.sn }

    // MARK: - Module values

    /// Module state of charge (SoC), %.
    public var soc: Double? { scaled(image.soc, image.socSF) }
    /// Module depth of discharge (DoD), %.
    public var depthOfDischarge: Double? { scaled(image.dod, image.dodSF) }
    /// Module state of health (SoH), %.
    public var soh: Double? { scaled(image.soh, image.sohSF) }
    /// Cycle count (NCyc).
    public var cycleCount: UInt32? { SunSpecPoint.uint32(raw: image.nCyc) }
    /// Module voltage (V), V.
    public var voltage: Double? { scaled(image.v, image.vSF) }
    /// Highest cell voltage (CellVMax), V.
    public var cellVoltageMax: Double? { scaled(image.cellVMax, image.cellVSF) }
    /// Cell with the highest voltage (CellVMaxCell).
    public var cellVoltageMaxCell: UInt16? { SunSpecPoint.uint16(raw: image.cellVMaxCell) }
    /// Lowest cell voltage (CellVMin), V.
    public var cellVoltageMin: Double? { scaled(image.cellVMin, image.cellVSF) }
    /// Cell with the lowest voltage (CellVMinCell).
    public var cellVoltageMinCell: UInt16? { SunSpecPoint.uint16(raw: image.cellVMinCell) }
    /// Average cell voltage (CellVAvg), V.
    public var cellVoltageAverage: Double? { scaled(image.cellVAvg, image.cellVSF) }
    /// Highest cell temperature (CellTmpMax), °C.
    public var cellTemperatureMax: Double? { scaled(signed: image.cellTmpMax, image.tmpSF) }
    /// Cell with the highest temperature (CellTmpMaxCell).
    public var cellTemperatureMaxCell: UInt16? { SunSpecPoint.uint16(raw: image.cellTmpMaxCell) }
    /// Lowest cell temperature (CellTmpMin), °C.
    public var cellTemperatureMin: Double? { scaled(signed: image.cellTmpMin, image.tmpSF) }
    /// Cell with the lowest temperature (CellTmpMinCell).
    public var cellTemperatureMinCell: UInt16? { SunSpecPoint.uint16(raw: image.cellTmpMinCell) }
    /// Average cell temperature (CellTmpAvg), °C.
    public var cellTemperatureAverage: Double? { scaled(signed: image.cellTmpAvg, image.tmpSF) }
    /// Number of cells being balanced (NCellBal).
    public var balancingCellCount: UInt16? { SunSpecPoint.uint16(raw: image.nCellBal) }

    // MARK: - Cells

    /// Number of cell blocks, from `L`.
    public var cellCount: Int { image.cells.count }
    /// Each cell's voltage (CellV), V; `nil` where not implemented.
    public var cellVoltages: [Double?] { image.cells.map { scaled($0.cellV, image.cellVSF) } }
    /// Each cell's temperature (CellTmp), °C; `nil` where not implemented.
    public var cellTemperatures: [Double?] { image.cells.map { scaled(signed: $0.cellTmp, image.tmpSF) } }
    /// Whether each cell is balancing (CellSt bit 0); `nil` where CellSt is not implemented.
    public var cellBalancing: [Bool?] {
        image.cells.map { cell in SunSpecPoint.bitfield32(raw: cell.cellSt).map { status in status & 1 != 0 } }
    }
}
