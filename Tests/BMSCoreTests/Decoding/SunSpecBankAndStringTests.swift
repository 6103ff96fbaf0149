import Testing

@testable import BMSCore

/// Models 803 and 804 from hand-built registers, so that every offset and scale factor position is exercised.
@Suite("SunSpec bank and string models")
struct SunSpecBankAndStringTests {
    private static func blank(model: UInt16, length: Int) -> [UInt16] {
        var registers = [UInt16](repeating: 0xFFFF, count: length + 2)
        registers[0] = model
        registers[1] = UInt16(length)
        return registers
    }

    @Test func bankWithTwoStrings() throws {
        var registers = Self.blank(model: 803, length: 26 + 2 * 32)
        registers[2] = 2  // NStr
        registers[3] = 1  // NStrCon
        registers[4] = 253  // ModTmpMax
        registers[7] = 0x8000  // ModTmpMin: not implemented (int16)
        registers[11] = 5320  // StrVMax
        registers[16] = 0xFF38  // StrAMax, −200
        registers[22] = 0xFFFD  // CellV_SF
        registers[23] = 0xFFFF  // ModTmp_SF
        registers[24] = 0xFFFF  // A_SF
        registers[25] = 0  // SoH_SF
        registers[26] = 0xFFFF  // SoC_SF
        registers[27] = 0xFFFE  // V_SF
        // String 1 at offset 28.
        registers[28] = 8  // StrNMod
        registers[29] = 0x0000  // StrSt: enabled, contactor closed
        registers[30] = 0x0003
        registers[31] = 0  // StrConFail
        registers[32] = 875  // StrSoC
        registers[33] = 98  // StrSoH
        registers[34] = 0xFFCE  // StrA, −50
        registers[35] = 3345  // StrCellVMax
        registers[48] = 0x0000  // StrEvt1: over-voltage alarm
        registers[49] = 0x0200
        registers[56] = 1  // StrSetEna
        registers[57] = 2  // StrSetCon
        // String 2 at offset 60.
        registers[60] = 8
        registers[61] = 0x0000  // enabled, contactor open
        registers[62] = 0x0001
        registers[63] = 6  // contactor failure

        let bank = try SunSpecBatteryBank(registers: registers)
        #expect(bank.stringCount == 2)
        #expect(bank.connectedStringCount == 1)
        #expect(bank.moduleTemperatureMax == 25.3)
        #expect(bank.stringVoltageMax == 53.2)
        #expect(bank.stringCurrentMax == -20)
        #expect(bank.moduleTemperatureMin == nil)
        try #require(bank.strings.count == 2)
        let first = bank.strings[0]
        #expect(first.moduleCount == 8)
        #expect(first.isEnabled == true)
        #expect(first.contactorsClosed == true)
        #expect(first.connectionFailure == .noFailure)
        #expect(first.soc == 87.5)
        #expect(first.soh == 98)
        #expect(first.current == -5)
        #expect(first.extremes.cellVoltageMax == 3.345)
        #expect(first.events?.contains(.overVoltageAlarm) == true)
        #expect(first.setEnableRaw == SunSpecStringControl.Enable.enable.rawValue)
        #expect(first.setConnectRaw == SunSpecStringControl.Connect.disconnect.rawValue)
        let second = bank.strings[1]
        #expect(second.contactorsClosed == false)
        #expect(second.connectionFailure == .contactorFailure)
        #expect(second.soc == nil)
        #expect(SunSpecBatteryBank.offset(ofStringBlock: 1) == 60)
        let secondBlock = SunSpecBatteryBank.offset(ofStringBlock: 1)
        #expect(secondBlock + SunSpecBatteryBank.StringSummary.Offset.setConnect == 89)
    }

    @Test func bankWithAPartialStringBlockIsRefused() {
        let registers = Self.blank(model: 803, length: 26 + 31)
        let expected = SunSpecError.repeatingBlockMismatch(model: 803, length: 57, fixedLength: 26, blockLength: 32)
        #expect(throws: expected) {
            try SunSpecBatteryBank(registers: registers)
        }
    }

    @Test func stringWithThreeModules() throws {
        var registers = Self.blank(model: 804, length: 46 + 3 * 16)
        registers[2] = 1  // Idx
        registers[3] = 3  // NMod
        registers[4] = 0x0000  // St: enabled, contactor closed
        registers[5] = 0x0003
        registers[8] = 875  // SoC
        registers[10] = 0x0000  // NCyc
        registers[11] = 1200
        registers[12] = 950  // SoH
        registers[13] = 0xFF38  // A, −200
        registers[14] = 5120  // V
        registers[15] = 3345  // CellVMax
        registers[20] = 253  // ModTmpMax
        registers[28] = 0x0000  // Evt1
        registers[29] = 0x4004
        registers[36] = 1  // SetEna
        registers[37] = 1  // SetCon
        registers[38] = 0xFFFF  // SoC_SF
        registers[39] = 0xFFFF  // SoH_SF
        registers[40] = 0  // DoD_SF
        registers[41] = 0xFFFF  // A_SF
        registers[42] = 0xFFFE  // V_SF
        registers[43] = 0xFFFD  // CellV_SF
        registers[44] = 0xFFFF  // ModTmp_SF
        for index in 0..<3 {
            let base = 48 + 16 * index
            registers[base] = 16  // ModNCell
            registers[base + 1] = UInt16(800 + index)  // ModSoC
            registers[base + 3] = UInt16(3300 + index)  // ModCellVMax
            registers[base + 8] = UInt16(250 + index)  // ModCellTmpMax
            registers[base + 10] = 0x8000  // ModCellTmpMin: not implemented (int16)
        }

        let string = try SunSpecBatteryString(registers: registers)
        #expect(string.stringIndex == 1)
        #expect(string.moduleCount == 3)
        #expect(string.isEnabled == true)
        #expect(string.contactorsClosed == true)
        #expect(string.connectionFailure == nil)
        #expect(string.soc == 87.5)
        #expect(string.cycleCount == 1200)
        #expect(string.soh == 95)
        #expect(string.current == -20)
        #expect(string.voltage == 51.2)
        #expect(string.extremes.cellVoltageMax == 3.345)
        #expect(string.extremes.moduleTemperatureMax == 25.3)
        #expect(string.events?.rawValue == 0x4004)
        #expect(string.setEnableRaw == 1)
        #expect(string.depthOfDischarge == nil)
        #expect(string.modules.map(\.cellCount) == [16, 16, 16])
        #expect(string.modules.map(\.soc) == [80.0, 80.1, 80.2])
        #expect(string.modules.map(\.cellVoltageMax) == [3.3, 3.301, 3.302])
        #expect(string.modules.map(\.cellTemperatureMax) == [25.0, 25.1, 25.2])
        #expect(string.modules.map(\.cellTemperatureMin) == [nil, nil, nil])
    }

    @Test func stringWithAPartialModuleBlockIsRefused() {
        let registers = Self.blank(model: 804, length: 46 + 8)
        let expected = SunSpecError.repeatingBlockMismatch(model: 804, length: 54, fixedLength: 46, blockLength: 16)
        #expect(throws: expected) {
            try SunSpecBatteryString(registers: registers)
        }
    }
}
