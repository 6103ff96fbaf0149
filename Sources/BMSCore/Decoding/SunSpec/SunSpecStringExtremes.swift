/// The extremes a battery string reports, in the same ten-register run in model 803's string blocks
/// (StrCellVMax … StrModTmpAvg) and model 804's fixed part (CellVMax … ModTmpAvg).
public struct SunSpecStringExtremes: Sendable, Equatable {
    /// Highest cell voltage, V.
    public var cellVoltageMax: Double?
    /// Module with the highest cell voltage.
    public var cellVoltageMaxModule: UInt16?
    /// Lowest cell voltage, V.
    public var cellVoltageMin: Double?
    /// Module with the lowest cell voltage.
    public var cellVoltageMinModule: UInt16?
    /// Average cell voltage, V.
    public var cellVoltageAverage: Double?
    /// Highest module temperature, °C.
    public var moduleTemperatureMax: Double?
    /// Hottest module.
    public var moduleTemperatureMaxModule: UInt16?
    /// Lowest module temperature, °C.
    public var moduleTemperatureMin: Double?
    /// Coldest module.
    public var moduleTemperatureMinModule: UInt16?
    /// Average module temperature, °C.
    public var moduleTemperatureAverage: Double?

    /// Decodes the run that starts at `offset`, with the offsets of the cell-voltage and temperature scale factors.
    init(_ model: SunSpecModelRegisters, at offset: Int, cellVoltageScaleFactor: Int, temperatureScaleFactor: Int) {
        cellVoltageMax = model.scaledUInt16(offset, scaleFactor: cellVoltageScaleFactor)
        cellVoltageMaxModule = model.uint16(offset + 1)
        cellVoltageMin = model.scaledUInt16(offset + 2, scaleFactor: cellVoltageScaleFactor)
        cellVoltageMinModule = model.uint16(offset + 3)
        cellVoltageAverage = model.scaledUInt16(offset + 4, scaleFactor: cellVoltageScaleFactor)
        moduleTemperatureMax = model.scaledInt16(offset + 5, scaleFactor: temperatureScaleFactor)
        moduleTemperatureMaxModule = model.uint16(offset + 6)
        moduleTemperatureMin = model.scaledInt16(offset + 7, scaleFactor: temperatureScaleFactor)
        moduleTemperatureMinModule = model.uint16(offset + 8)
        moduleTemperatureAverage = model.scaledInt16(offset + 9, scaleFactor: temperatureScaleFactor)
    }
}
