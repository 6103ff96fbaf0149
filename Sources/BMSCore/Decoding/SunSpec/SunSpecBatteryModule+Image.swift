extension SunSpecBatteryModule {
    /// The raw register image of model 805, point by point, as a device serves it.
    ///
    /// Properties read and write the raw register value of one fixed point (named as in the SunSpec model);
    /// `cells` holds the repeating blocks, and `L` follows their count. Decoding and encoding are symmetric:
    /// `SunSpecBatteryModule(registers: image.registers).image == image`. `nCell` is what the module declares
    /// and is kept as set; decoders take the cell count from `L`.
    public struct Image: Sendable, Equatable {
        /// One cell's repeating block (4 registers).
        public struct Cell: Sendable, Equatable {
            /// CellV: cell voltage, V × 10^CellV_SF.
            public var cellV: UInt16
            /// CellTmp: cell temperature, °C × 10^Tmp_SF.
            public var cellTmp: Int16
            /// CellSt: cell status (bitfield32; bit 0 = balancing).
            public var cellSt: UInt32

            /// A cell block; every point defaults to not implemented.
            public init(cellV: UInt16 = 0xFFFF, cellTmp: Int16 = Int16.min, cellSt: UInt32 = 0xFFFF_FFFF) {
                self.cellV = cellV
                self.cellTmp = cellTmp
                self.cellSt = cellSt
            }
        }

        /// The fixed part: ID, `L` (kept at the fixed length; `registers` writes the real one) and 42 registers.
        private var fixed: [UInt16]
        /// The cells, in order; their count sets `L`.
        public var cells: [Cell]

        /// An image of `cellCount` cells with every point not implemented (0xFFFF, or 0x8000 for int16 points)
        /// and every scale factor 0.
        public init(cellCount: Int = 0) {
            var words = [UInt16](repeating: 0xFFFF, count: SunSpecBatteryModule.fixedLength + 2)
            words[0] = SunSpecBatteryModule.modelID
            words[1] = UInt16(SunSpecBatteryModule.fixedLength)
            for offset in [16, 18, 20] { words[offset] = 0x8000 }
            for offset in 22..<38 { words[offset] = 0 }  // SN: all NUL
            for offset in 38...43 { words[offset] = 0 }
            fixed = words
            cells = [Cell](repeating: Cell(), count: max(0, cellCount))
        }

        /// An image of a model already checked to hold the fixed part and `cellCount` whole cell blocks.
        init(checked model: SunSpecModelRegisters, cellCount: Int) {
            var words = (0..<(SunSpecBatteryModule.fixedLength + 2)).map { model.word($0) }
            words[1] = UInt16(SunSpecBatteryModule.fixedLength)
            fixed = words
            cells = (0..<max(0, cellCount)).map { index -> Cell in
                let base = SunSpecBatteryModule.fixedLength + 2 + SunSpecBatteryModule.cellBlockLength * index
                return Cell(
                    cellV: model.word(base), cellTmp: model.signedWord(base + 1), cellSt: model.doubleWord(base + 2))
            }
        }

        /// The model's registers (ID 805, `L` = 42 + 4 × cells, fixed part, cells), as a device serves them.
        public var registers: [UInt16] {
            var words = fixed
            let length = SunSpecBatteryModule.fixedLength + SunSpecBatteryModule.cellBlockLength * cells.count
            words[1] = UInt16(clamping: length)
            for cell in cells {
                words.append(cell.cellV)
                words.append(UInt16(bitPattern: cell.cellTmp))
                words += SunSpecPoint.registers(doubleWord: cell.cellSt)
            }
            return words
        }

        // Every offset below is a constant inside the 44 fixed registers that both initializers guarantee.
        private func word(_ offset: Int) -> UInt16 { fixed[offset] }
        private mutating func setWord(_ offset: Int, _ value: UInt16) { fixed[offset] = value }
        private func signedWord(_ offset: Int) -> Int16 { Int16(bitPattern: fixed[offset]) }
        private mutating func setSignedWord(_ offset: Int, _ value: Int16) {
            fixed[offset] = UInt16(bitPattern: value)
        }
        private func doubleWord(_ offset: Int) -> UInt32 {
            UInt32(fixed[offset]) << 16 | UInt32(fixed[offset + 1])
        }
        private mutating func setDoubleWord(_ offset: Int, _ value: UInt32) {
            fixed[offset] = UInt16(truncatingIfNeeded: value >> 16)
            fixed[offset + 1] = UInt16(truncatingIfNeeded: value)
        }
        private var serialNumberText: String { SunSpecPoint.string(fixed, at: 22, count: 16) ?? "" }
        private mutating func setSerialNumber(_ text: String) {
            fixed.replaceSubrange(22..<38, with: SunSpecPoint.registers(string: text, count: 16))
        }

        // MARK: - Fixed points

        /// StrIdx @2: index of the string holding the module (1-based).
        public var strIdx: UInt16 { get { word(2) } set { setWord(2, newValue) } }
        /// ModIdx @3: index of the module in its string (1-based).
        public var modIdx: UInt16 { get { word(3) } set { setWord(3, newValue) } }
        /// NCell @4: cell count the module declares.
        public var nCell: UInt16 { get { word(4) } set { setWord(4, newValue) } }
        /// SoC @5: module SoC, % × 10^SoC_SF.
        public var soc: UInt16 { get { word(5) } set { setWord(5, newValue) } }
        /// DoD @6: module depth of discharge, % × 10^DoD_SF.
        public var dod: UInt16 { get { word(6) } set { setWord(6, newValue) } }
        /// SoH @7: module SoH, % × 10^SoH_SF.
        public var soh: UInt16 { get { word(7) } set { setWord(7, newValue) } }
        /// NCyc @8: cycle count.
        public var nCyc: UInt32 { get { doubleWord(8) } set { setDoubleWord(8, newValue) } }
        /// V @10: module voltage, V × 10^V_SF.
        public var v: UInt16 { get { word(10) } set { setWord(10, newValue) } }
        /// CellVMax @11: highest cell voltage, V × 10^CellV_SF.
        public var cellVMax: UInt16 { get { word(11) } set { setWord(11, newValue) } }
        /// CellVMaxCell @12: cell with the highest voltage.
        public var cellVMaxCell: UInt16 { get { word(12) } set { setWord(12, newValue) } }
        /// CellVMin @13: lowest cell voltage, V × 10^CellV_SF.
        public var cellVMin: UInt16 { get { word(13) } set { setWord(13, newValue) } }
        /// CellVMinCell @14: cell with the lowest voltage.
        public var cellVMinCell: UInt16 { get { word(14) } set { setWord(14, newValue) } }
        /// CellVAvg @15: average cell voltage, V × 10^CellV_SF.
        public var cellVAvg: UInt16 { get { word(15) } set { setWord(15, newValue) } }
        /// CellTmpMax @16: highest cell temperature, °C × 10^Tmp_SF.
        public var cellTmpMax: Int16 { get { signedWord(16) } set { setSignedWord(16, newValue) } }
        /// CellTmpMaxCell @17: cell with the highest temperature.
        public var cellTmpMaxCell: UInt16 { get { word(17) } set { setWord(17, newValue) } }
        /// CellTmpMin @18: lowest cell temperature, °C × 10^Tmp_SF.
        public var cellTmpMin: Int16 { get { signedWord(18) } set { setSignedWord(18, newValue) } }
        /// CellTmpMinCell @19: cell with the lowest temperature.
        public var cellTmpMinCell: UInt16 { get { word(19) } set { setWord(19, newValue) } }
        /// CellTmpAvg @20: average cell temperature, °C × 10^Tmp_SF.
        public var cellTmpAvg: Int16 { get { signedWord(20) } set { setSignedWord(20, newValue) } }
        /// NCellBal @21: number of cells being balanced.
        public var nCellBal: UInt16 { get { word(21) } set { setWord(21, newValue) } }
        /// SN @22: serial number (16 registers; empty when all NUL).
        public var sn: String { get { serialNumberText } set { setSerialNumber(newValue) } }
        /// SoC_SF @38: scale factor of SoC.
        public var socSF: Int16 { get { signedWord(38) } set { setSignedWord(38, newValue) } }
        /// SoH_SF @39: scale factor of SoH.
        public var sohSF: Int16 { get { signedWord(39) } set { setSignedWord(39, newValue) } }
        /// DoD_SF @40: scale factor of DoD.
        public var dodSF: Int16 { get { signedWord(40) } set { setSignedWord(40, newValue) } }
        /// V_SF @41: scale factor of V.
        public var vSF: Int16 { get { signedWord(41) } set { setSignedWord(41, newValue) } }
        /// CellV_SF @42: scale factor of the cell voltages.
        public var cellVSF: Int16 { get { signedWord(42) } set { setSignedWord(42, newValue) } }
        /// Tmp_SF @43: scale factor of the cell temperatures.
        public var tmpSF: Int16 { get { signedWord(43) } set { setSignedWord(43, newValue) } }
    }
}
