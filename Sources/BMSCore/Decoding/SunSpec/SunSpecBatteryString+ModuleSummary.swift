extension SunSpecBatteryString {
    /// One module block of model 804 (16 registers), scaled with the string's scale factors.
    public struct ModuleSummary: Sendable, Equatable {
        /// Number of cells in the module (ModNCell).
        public var cellCount: UInt16?
        /// Module state of charge (ModSoC), %.
        public var soc: Double?
        /// Module state of health (ModSoH), %.
        public var soh: Double?
        /// Highest cell voltage (ModCellVMax), V.
        public var cellVoltageMax: Double?
        /// Cell with the highest voltage (ModCellVMaxCell).
        public var cellVoltageMaxCell: UInt16?
        /// Lowest cell voltage (ModCellVMin), V.
        public var cellVoltageMin: Double?
        /// Cell with the lowest voltage (ModCellVMinCell).
        public var cellVoltageMinCell: UInt16?
        /// Average cell voltage (ModCellVAvg), V.
        public var cellVoltageAverage: Double?
        /// Highest cell temperature (ModCellTmpMax), °C.
        public var cellTemperatureMax: Double?
        /// Cell with the highest temperature (ModCellTmpMaxCell).
        public var cellTemperatureMaxCell: UInt16?
        /// Lowest cell temperature (ModCellTmpMin), °C.
        public var cellTemperatureMin: Double?
        /// Cell with the lowest temperature (ModCellTmpMinCell).
        public var cellTemperatureMinCell: UInt16?
        /// Average cell temperature (ModCellTmpAvg), °C.
        public var cellTemperatureAverage: Double?

        /// Decodes the block that starts at `base` (offset from the model's ID register).
        init(_ model: SunSpecModelRegisters, at base: Int) {
            // String scale factors: 38 SoC_SF, 39 SoH_SF, 43 CellV_SF, 44 ModTmp_SF.
            cellCount = model.uint16(base)
            soc = model.scaledUInt16(base + 1, scaleFactor: 38)
            soh = model.scaledUInt16(base + 2, scaleFactor: 39)
            cellVoltageMax = model.scaledUInt16(base + 3, scaleFactor: 43)
            cellVoltageMaxCell = model.uint16(base + 4)
            cellVoltageMin = model.scaledUInt16(base + 5, scaleFactor: 43)
            cellVoltageMinCell = model.uint16(base + 6)
            cellVoltageAverage = model.scaledUInt16(base + 7, scaleFactor: 43)
            cellTemperatureMax = model.scaledInt16(base + 8, scaleFactor: 44)
            cellTemperatureMaxCell = model.uint16(base + 9)
            cellTemperatureMin = model.scaledInt16(base + 10, scaleFactor: 44)
            cellTemperatureMinCell = model.uint16(base + 11)
            cellTemperatureAverage = model.scaledInt16(base + 12, scaleFactor: 44)
        }
    }
}
