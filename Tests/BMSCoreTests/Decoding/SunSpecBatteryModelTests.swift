import Testing

@testable import BMSCore

/// Typed models: encode → decode round trips, cell counts from `L`, banks and strings, and refused images.
@Suite("SunSpec battery models")
struct SunSpecBatteryModelTests {
    @Test func commonModelRoundTrips() throws {
        let common = SunSpecTestImages.common
        #expect(common.registers.count == 68)
        #expect(try SunSpecCommonModel(registers: common.registers) == common)
        // Some devices send L = 65 (no pad register).
        var short = Array(common.registers.dropLast())
        short[1] = 65
        #expect(try SunSpecCommonModel(registers: short) == common)
    }

    @Test func batteryBaseRoundTrips() throws {
        let image = SunSpecTestImages.batteryBase
        #expect(image.registers.count == 64)
        let model = try SunSpecBatteryBase(registers: image.registers)
        #expect(model.image == image)
        #expect(model.registers == image.registers)
        #expect(model.capacityRating == 280)
        #expect(model.energyRating == 10240)
        #expect(model.soc == 87.5)
        #expect(model.soh == 97)
        #expect(model.cycleCount == 65538)
        #expect(model.chargeStatus == .charging)
        #expect(model.controlMode == .remote)
        #expect(model.batteryType == .lithiumIon)
        #expect(model.state == .connected)
        #expect(model.events?.rawValue == 0x4004)
        #expect(model.voltage == 51.2)
        #expect(model.cellVoltageMax == 3.345)
        #expect(model.cellVoltageMin == 3.29)
        #expect(model.cellVoltageAverage == 3.3)
        #expect(model.current == -20)
        #expect(model.chargeCurrentMax == 140)
        #expect(model.dischargeCurrentMax == 200)
        #expect(model.connectionCommand == .connect)
        #expect(model.inverterStateCommand == .started)
        // Points left at their defaults are not implemented.
        #expect(model.power == nil)
        #expect(model.depthOfDischarge == nil)
        #expect(model.heartbeat == nil)
        #expect(model.warrantyDate == nil)
        #expect(model.inverterStateRequest == nil)
    }

    @Test func writableOffsetsAndValues() {
        #expect(SunSpecBatteryBase.Offset.setOp == 50)
        #expect(SunSpecBatteryBase.Offset.setInvState == 51)
        #expect(SunSpecBatteryBase.Offset.almRst == 20)
        #expect(SunSpecBatteryBase.Offset.ctrlHb == 19)
        #expect(SunSpecBatteryBase.alarmResetCommand == 1)
        #expect(SunSpecBatteryBase.ConnectionCommand.disconnect.rawValue == 2)
        #expect(SunSpecBatteryBase.InverterStateCommand.standby.rawValue == 2)
        var image = SunSpecBatteryBase.Image()
        image.setOp = 2
        #expect(image.registers[SunSpecBatteryBase.Offset.setOp] == 2)
    }

    @Test func unknownEnumValuesKeepTheirRawValue() throws {
        var image = SunSpecBatteryBase.Image()
        image.state = 42
        image.chaSt = 0
        let model = SunSpecBatteryBase(image: image)
        #expect(model.stateRaw == 42)
        #expect(model.state == nil)
        #expect(model.chargeStatusRaw == 0)
        #expect(model.chargeStatus == nil)
        image.state = 99
        #expect(SunSpecBatteryBase(image: image).state == .fault)
    }

    @Test func batteryBaseRefusesOtherImages() {
        var registers = SunSpecTestImages.batteryBase.registers
        registers[1] = 60
        let wrongLength = registers
        #expect(throws: SunSpecError.lengthMismatch(model: 802, expected: 62, actual: 60)) {
            try SunSpecBatteryBase(registers: wrongLength)
        }
        #expect(throws: SunSpecError.unexpectedModel(expected: 802, actual: 1)) {
            try SunSpecBatteryBase(registers: SunSpecTestImages.common.registers)
        }
        let short = Array(SunSpecTestImages.batteryBase.registers.prefix(40))
        #expect(throws: SunSpecError.modelTruncated(model: 802, needed: 64, available: 40)) {
            try SunSpecBatteryBase(registers: short)
        }
        let empty: [UInt16] = []
        #expect(throws: SunSpecError.modelTruncated(model: 802, needed: 2, available: 0)) {
            try SunSpecBatteryBase(registers: empty)
        }
    }

    /// The cell count comes from `L`, whatever the module declares in NCell.
    @Test(arguments: [0, 1, 4, 16, 24])
    func moduleCellCountComesFromLength(cellCount: Int) throws {
        var image = SunSpecTestImages.module(cellCount: cellCount)
        image.nCell = 99
        let registers = image.registers
        #expect(registers.count == 44 + 4 * cellCount)
        #expect(Int(registers[1]) == 42 + 4 * cellCount)
        let module = try SunSpecBatteryModule(registers: registers)
        #expect(module.cellCount == cellCount)
        #expect(module.declaredCellCount == 99)
        #expect(module.cellVoltages.count == cellCount)
        #expect(module.cellTemperatures.count == cellCount)
        #expect(module.cellBalancing.count == cellCount)
        #expect(module.image == image)
    }

    @Test func moduleRoundTripsAndScalesEveryCell() throws {
        let image = SunSpecTestImages.module(cellCount: 16)
        let module = try SunSpecBatteryModule(registers: image.registers)
        #expect(module.image == image)
        #expect(module.stringIndex == 1)
        #expect(module.moduleIndex == 2)
        #expect(module.serialNumber == "MOD-7")
        #expect(module.voltage == 51.2)
        try #require(module.cellVoltages.count == 16 && module.cellTemperatures.count == 16)
        #expect(module.cellVoltages[0] == 3.301)
        #expect(module.cellVoltages[15] == 3.316)
        #expect(module.cellTemperatures[0] == 25.1)
        #expect(module.cellTemperatures[15] == 26.6)
        #expect(Array(module.cellBalancing.prefix(3)) == [true, false, true])
        #expect(module.soc == nil)  // left at 0xFFFF
        #expect(module.cellTemperatureMax == nil)  // left at 0x8000
    }

    @Test func moduleCellPointsNotImplementedAreNil() throws {
        var image = SunSpecBatteryModule.Image(cellCount: 2)
        image.cellVSF = -3
        image.tmpSF = -1
        image.cells[1] = SunSpecBatteryModule.Image.Cell(cellV: 3200, cellTmp: -55, cellSt: 0)
        let module = try SunSpecBatteryModule(registers: image.registers)
        #expect(module.cellVoltages == [nil, 3.2])
        #expect(module.cellTemperatures == [nil, -5.5])
        #expect(module.cellBalancing == [nil, false])
    }

    @Test(arguments: [43, 45, 47, 49])
    func moduleWithAPartialCellBlockIsRefused(length: Int) {
        var image = SunSpecTestImages.module(cellCount: 2).registers
        image[1] = UInt16(length)
        image += [UInt16](repeating: 0, count: 8)
        let registers = image
        let expected = SunSpecError.repeatingBlockMismatch(model: 805, length: length, fixedLength: 42, blockLength: 4)
        #expect(throws: expected) {
            try SunSpecBatteryModule(registers: registers)
        }
    }

    @Test func moduleShorterThanItsFixedPartIsRefused() {
        var image = SunSpecTestImages.module(cellCount: 0).registers
        image[1] = 40
        let registers = image
        #expect(throws: SunSpecError.lengthMismatch(model: 805, expected: 42, actual: 40)) {
            try SunSpecBatteryModule(registers: registers)
        }
    }
}
