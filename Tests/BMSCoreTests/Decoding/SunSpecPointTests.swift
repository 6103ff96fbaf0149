import Testing

@testable import BMSCore

/// Point-level decoding: the pysunspec2 test vector, every not-implemented sentinel and the scale factor rules.
@Suite("SunSpec points")
struct SunSpecPointTests {
    /// The pysunspec2 `device.Model(802, data)` vector from protocols.md §1, placed at the documented offsets of
    /// a hand-built register array (not through `Image`, so the offsets are checked independently).
    @Test func pysunspec2TestVector() throws {
        var registers = [UInt16](repeating: 0xFFFF, count: 64)
        registers[0] = 802
        registers[1] = 62
        registers[34] = 0x1400  // V
        registers[59] = 0xFFFE  // V_SF
        registers[37] = 0x0D11  // CellVMax
        registers[60] = 0xFFFD  // CellV_SF
        registers[44] = 0xFF38  // A
        registers[61] = 0xFFFF  // A_SF
        registers[11] = 0x222E  // SoC
        registers[56] = 0xFFFE  // SoC_SF
        registers[3] = 0x0400  // WHRtg
        registers[53] = 0x0001  // WHRtg_SF
        registers[47] = 0x8000  // W
        registers[63] = 0x0000  // W_SF
        registers[26] = 0x0000  // Evt1, high word
        registers[27] = 0x4004  // Evt1, low word
        let model = try SunSpecBatteryBase(registers: registers)
        #expect(model.voltage == 51.2)
        #expect(model.cellVoltageMax == 3.345)
        #expect(model.current == -20.0)
        #expect(model.soc == 87.5)
        #expect(model.energyRating == 10240)
        #expect(model.power == nil)
        let events = try #require(model.events)
        #expect(events == [.overTemperatureWarning, .underSoCMinWarning])
        #expect(events.rawValue == 1 << 2 | 1 << 14)
        #expect(events.isDisjoint(with: .alarms))
    }

    /// Each type's not-implemented value gives `nil`; the value next to it decodes.
    @Test(arguments: [
        ("int16", [0x8000], nil), ("int16", [0x8001], -32767), ("int16", [0xFFFF], -1),
        ("uint16", [0xFFFF], nil), ("uint16", [0xFFFE], 65534),
        ("acc16", [0x0000], nil), ("acc16", [0x0001], 1),
        ("enum16", [0xFFFF], nil), ("enum16", [0x0000], 0),
        ("bitfield16", [0xFFFF], nil), ("bitfield16", [0x7FFF], 32767),
        ("sunssf", [0x8000], nil), ("sunssf", [0xFFFE], -2),
        ("int32", [0x8000, 0x0000], nil), ("int32", [0xFFFE, 0x1DC0], -123_456),
        ("uint32", [0xFFFF, 0xFFFF], nil), ("uint32", [0x0001, 0x0000], 65536),
        ("enum32", [0xFFFF, 0xFFFF], nil), ("enum32", [0x0000, 0x0004], 4),
        ("bitfield32", [0xFFFF, 0xFFFF], nil), ("bitfield32", [0x0000, 0x4004], 16388),
        ("acc32", [0x0000, 0x0000], nil), ("acc32", [0x0000, 0x0001], 1),
        ("float32", [0x7FC0, 0x0000], nil), ("float32", [0x3FC0, 0x0000], 1.5),
    ] as [(String, [UInt16], Double?)])
    func notImplementedSentinels(type: String, registers: [UInt16], expected: Double?) {
        #expect(Self.decode(type, registers) == expected)
    }

    private static func decode(_ type: String, _ registers: [UInt16]) -> Double? {
        switch type {
        case "int16": SunSpecPoint.int16(registers, at: 0).map { Double($0) }
        case "uint16": SunSpecPoint.uint16(registers, at: 0).map { Double($0) }
        case "acc16": SunSpecPoint.acc16(registers, at: 0).map { Double($0) }
        case "enum16": SunSpecPoint.enum16(registers, at: 0).map { Double($0) }
        case "bitfield16": SunSpecPoint.bitfield16(registers, at: 0).map { Double($0) }
        case "sunssf": SunSpecPoint.sunssf(registers, at: 0).map { Double($0) }
        case "int32": SunSpecPoint.int32(registers, at: 0).map { Double($0) }
        case "uint32": SunSpecPoint.uint32(registers, at: 0).map { Double($0) }
        case "enum32": SunSpecPoint.enum32(registers, at: 0).map { Double($0) }
        case "bitfield32": SunSpecPoint.bitfield32(registers, at: 0).map { Double($0) }
        case "acc32": SunSpecPoint.acc32(registers, at: 0).map { Double($0) }
        case "float32": SunSpecPoint.float32(registers, at: 0).map { Double($0) }
        default: nil
        }
    }

    @Test func stringsTrimTrailingNulAndAllNulIsNil() {
        let text: [UInt16] = [0x5075, 0x6C73, 0x6500, 0x0000]  // "Pulse"
        let allNul: [UInt16] = [0x0000, 0x0000]
        let notUTF8: [UInt16] = [0xFFFE]
        #expect(SunSpecPoint.string(text, at: 0, count: 4) == "Pulse")
        #expect(SunSpecPoint.string(allNul, at: 0, count: 2) == nil)
        #expect(SunSpecPoint.registers(string: "Pulse", count: 4) == text)
        #expect(SunSpecPoint.registers(string: "far too long", count: 2) == [0x6661, 0x7220])  // "far "
        #expect(SunSpecPoint.string(notUTF8, at: 0, count: 1) != nil)  // replaced, never a crash
    }

    @Test func readsOutsideTheRegistersAreNilNotACrash() {
        let registers: [UInt16] = [0x0001, 0x0002]
        #expect(SunSpecPoint.uint16(registers, at: 2) == nil)
        #expect(SunSpecPoint.uint16(registers, at: -1) == nil)
        #expect(SunSpecPoint.uint32(registers, at: 1) == nil)
        #expect(SunSpecPoint.string(registers, at: 1, count: 2) == nil)
        // A slice counts offsets from its own start.
        #expect(SunSpecPoint.uint16(registers[1...], at: 0) == 2)
        #expect(SunSpecPoint.uint32(registers, at: 0) == 0x0001_0002)
    }

    @Test(arguments: [
        (5120, -2, 51.2), (3345, -3, 3.345), (-200, -1, -20.0), (8750, -2, 87.5), (1024, 1, 10240),
        (7, 0, 7), (1, 10, 1e10), (1, -10, 1e-10),
    ] as [(Int, Int16, Double)])
    func scalingIsExact(raw: Int, scaleFactor: Int16, expected: Double) {
        #expect(SunSpecPoint.scaled(raw, scaleFactor: scaleFactor) == expected)
    }

    /// A scale factor of 0x8000 (not implemented) or outside −10…10 makes the value unusable.
    @Test(arguments: [Int16.min, 11, -11, 100, Int16.max])
    func unusableScaleFactorGivesNil(scaleFactor: Int16) {
        #expect(SunSpecPoint.scaled(UInt16(5), scaleFactor: scaleFactor) == nil)
    }

    @Test func missingValueOrScaleFactorGivesNil() {
        #expect(SunSpecPoint.scaled(UInt16?.none, scaleFactor: 0) == nil)
        #expect(SunSpecPoint.scaled(UInt16(5), scaleFactor: nil) == nil)
        let registers: [UInt16] = [5, 0x8000]
        let value = SunSpecPoint.uint16(registers, at: 0)
        #expect(value == 5)
        #expect(SunSpecPoint.scaled(value, scaleFactor: SunSpecPoint.sunssf(registers, at: 1)) == nil)
    }

    @Test func modelValuesWithAnUnusableScaleFactorAreNil() {
        var image = SunSpecBatteryBase.Image()
        image.v = 5120
        image.vSF = Int16.min
        #expect(SunSpecBatteryBase(image: image).voltage == nil)
        image.vSF = 11
        #expect(SunSpecBatteryBase(image: image).voltage == nil)
        image.vSF = -2
        #expect(SunSpecBatteryBase(image: image).voltage == 51.2)
    }
}
