import Testing
import TestSupport

@testable import BMSCore

/// DBC decoding and encoding: every answer of protocols.md §3 (checked there with cantools), multiplexing,
/// floats, truncated frames, round trips and every error.
@Suite("DBC decoding and encoding")
struct DBCCodecTests {
    static func database() throws -> DBCDatabase { try CANTestFixtures.database(CANTestFixtures.section3DBC) }

    static func frame(_ id: UInt32, _ hex: String, extended: Bool = false) throws -> CANFrame {
        try CANFrame(id: id, isExtended: extended, data: CANTestFixtures.bytes(hex))
    }

    // MARK: - The §3 table

    @Test func battStatus() throws {
        let message = try Self.database().decode(Self.frame(854, "7A13F2FE6B01"))
        #expect(message.name == "BattStatus" && message.id == 854 && !message.isExtended)
        #expect(message.signals.map(\.name) == ["PackVoltage", "PackCurrent", "PackTemp"])
        #expect(message.signals.map(\.rawValue) == [.signed(4986), .signed(-270), .signed(363)])
        let physical = message.signals.map(\.physicalValue)
        #expect(CANTestFixtures.close(physical[0], 49.86))
        #expect(CANTestFixtures.close(physical[1], -27.0))
        #expect(CANTestFixtures.close(physical[2], 36.3))
        #expect(message.signals.map(\.unit) == ["V", "A", "degC"])
        #expect(message.signals.allSatisfy { $0.label == nil })
    }

    @Test func motoExample() throws {
        let message = try Self.database().decode(Self.frame(512, "1234ABCD00350000"))
        #expect(message[signal: "BigU16"]?.rawValue == .unsigned(0x1234))
        #expect(CANTestFixtures.close(message[signal: "BigU16"]?.physicalValue ?? .nan, 466.0))
        // 0xBCD = 3021 → −1075 as signed 12 bits → −1175 with the −100 offset.
        #expect(message[signal: "Odd12"]?.rawValue == .signed(-1075))
        #expect(message[signal: "Odd12"]?.physicalValue == -1175)
        #expect(message[signal: "Flag"]?.physicalValue == 1)
        let state = try #require(message[signal: "State"])
        #expect(state.rawValue == .unsigned(3) && state.physicalValue == 3 && state.label == "Discharging")
    }

    @Test func muxExamplePages() throws {
        let database = try Self.database()
        let page0 = try database.decode(Self.frame(0x300, "00E40C1A0D000000", extended: true))
        #expect(page0.name == "MuxExample" && page0.isExtended)
        #expect(page0.signals.map(\.name) == ["Page", "CellV1", "CellV2"])
        #expect(CANTestFixtures.close(page0[signal: "CellV1"]?.physicalValue ?? .nan, 3.300))
        #expect(CANTestFixtures.close(page0[signal: "CellV2"]?.physicalValue ?? .nan, 3.354))
        let page1 = try database.decode(Self.frame(0x300, "01E6000000000000", extended: true))
        #expect(page1.signals.map(\.name) == ["Page", "CellT1"])
        #expect(page1[signal: "CellT1"]?.rawValue == .signed(-26))
        #expect(page1[signal: "CellT1"]?.physicalValue == 14)
        #expect(throws: DBCDecodeError.unknownMultiplexerValue(message: "MuxExample", multiplexer: "Page", value: .unsigned(2))) {
            try database.decode(Self.frame(0x300, "02E6000000000000", extended: true))
        }
    }

    @Test func encodeCheck() throws {
        let bytes = try Self.database().encode(
            messageNamed: "MotoExample", values: ["BigU16": 466.0, "Odd12": -1175, "Flag": 1, "State": "Discharging"])
        #expect(bytes == CANTestFixtures.bytes("12340BCD00310000"))
    }

    // MARK: - Other decoding

    @Test func nestedMultiplexingAndFloats() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        let voltages = try database.decode(Self.frame(0x18FE_CA01, "0000E40C00000000", extended: true))
        #expect(voltages.signals.map(\.name) == ["Page", "Kind", "CellVoltageA"])
        #expect(voltages[signal: "Kind"]?.label == "Voltages")
        let temperatures = try database.decode(Self.frame(0x18FE_CA01, "0001E60000000000", extended: true))
        #expect(temperatures.signals.map(\.name) == ["Page", "Kind", "CellTempA"])
        #expect(temperatures[signal: "CellTempA"]?.physicalValue == -26)
        #expect(throws: DBCDecodeError.unknownMultiplexerValue(message: "CellPages", multiplexer: "Page", value: .unsigned(1))) {
            try database.decode(Self.frame(0x18FE_CA01, "0100E60000000000", extended: true))
        }
        #expect(throws: DBCDecodeError.unknownMultiplexerValue(message: "CellPages", multiplexer: "Kind", value: .unsigned(2))) {
            try database.decode(Self.frame(0x18FE_CA01, "0002E60000000000", extended: true))
        }
        let power = try database.decode(Self.frame(855, "0000C842"))  // 100.0 as a little-endian float32
        #expect(power[signal: "PowerFloat"]?.rawValue == .float(100))
        #expect(power[signal: "PowerFloat"]?.physicalValue == 100)
    }

    @Test func doublesAndMotorolaFloats() throws {
        let text = """
            BO_ 1 D: 8 X
             SG_ Value : 0|64@1- (2,1) [0|0] "" X
            BO_ 2 F: 4 X
             SG_ Big : 7|32@0- (1,0) [0|0] "" X
            SIG_VALTYPE_ 1 Value : 2;
            SIG_VALTYPE_ 2 Big : 1;
            """
        let database = try CANTestFixtures.database(text)
        let pi = 3.141592653589793
        let little = (0..<8).map { UInt8(truncatingIfNeeded: pi.bitPattern >> UInt64(8 * $0)) }
        let decoded = try database.decode(CANFrame(id: 1, data: little))
        #expect(decoded[signal: "Value"]?.rawValue == .float(pi))
        #expect(decoded[signal: "Value"]?.physicalValue == pi * 2 + 1)
        let big = try database.decode(CANFrame(id: 2, data: [0x40, 0x49, 0x0F, 0xD0]))  // 3.14159 as big-endian float32
        #expect(big[signal: "Big"]?.rawValue == .float(Double(Float(bitPattern: 0x4049_0FD0))))
        #expect(try database.encode(messageNamed: "D", values: ["Value": .physical(pi * 2 + 1)]) == little)
        #expect(try database.encode(messageNamed: "F", values: ["Big": .physical(Double(Float(bitPattern: 0x4049_0FD0)))]) == [0x40, 0x49, 0x0F, 0xD0])
    }

    @Test func shortLongAndOtherFrames() throws {
        let database = try Self.database()
        #expect(throws: DBCDecodeError.frameTooShort(message: "BattStatus", length: 5, needed: 6)) {
            try database.decode(Self.frame(854, "7A13F2FE6B"))
        }
        // Truncated decoding keeps what fits.
        let partial = try database.decode(Self.frame(854, "7A13F2"), allowTruncated: true)
        #expect(partial.signals.map(\.name) == ["PackVoltage"])
        let muxOnly = try database.decode(Self.frame(0x300, "00E40C", extended: true), allowTruncated: true)
        #expect(muxOnly.signals.map(\.name) == ["Page", "CellV1"])
        // Extra bytes are ignored.
        #expect(try database.decode(Self.frame(854, "7A13F2FE6B01FFFF")).signals.count == 3)
        #expect(throws: DBCDecodeError.unknownMessage(id: 0x999, isExtended: true)) {
            try database.decode(Self.frame(0x999, "00", extended: true))
        }
        #expect(throws: DBCDecodeError.unknownMessage(id: 0x300, isExtended: false)) {
            try database.decode(Self.frame(0x300, "00E40C1A0D000000"))
        }
        #expect(throws: DBCDecodeError.notADataFrame(id: 854)) { try database.decode(CANFrame.remote(id: 854, requestedLength: 6)) }
        #expect(throws: DBCDecodeError.notADataFrame(id: 4)) { try database.decode(CANFrame.error(class: 4)) }
        #expect(DBCDecodeError.frameTooShort(message: "BattStatus", length: 5, needed: 6).description == "BattStatus needs 6 bytes, the frame has 5")
        #expect(DBCDecodeError.unknownMessage(id: 0x300, isExtended: false).description == "no message with standard id 0x300")
    }

    // MARK: - Encoding

    @Test func encodingErrors() throws {
        let database = try Self.database()
        #expect(throws: DBCEncodeError.unknownMessage("Nope")) { try database.encode(messageNamed: "Nope", values: [:]) }
        #expect(throws: DBCEncodeError.unknownSignal(message: "BattStatus", signal: "Typo")) {
            try database.encode(messageNamed: "BattStatus", values: ["PackVoltage": 1, "PackCurrent": 1, "PackTemp": 1, "Typo": 1])
        }
        #expect(throws: DBCEncodeError.missingSignal(message: "BattStatus", signal: "PackTemp")) {
            try database.encode(messageNamed: "BattStatus", values: ["PackVoltage": 1, "PackCurrent": 1])
        }
        let moto: [String: DBCSignalInput] = ["BigU16": 466.0, "Odd12": -1175, "Flag": 1, "State": 0]
        #expect(throws: DBCEncodeError.unknownLabel(signal: "State", label: "Sleeping")) {
            try database.encode(messageNamed: "MotoExample", values: moto.merging(["State": "Sleeping"]) { $1 })
        }
        #expect(throws: DBCEncodeError.outOfRange(signal: "BigU16", value: 6600, minimum: 0, maximum: 6553.5)) {
            try database.encode(messageNamed: "MotoExample", values: moto.merging(["BigU16": 6600]) { $1 })
        }
        #expect(throws: DBCEncodeError.rawValueTooWide(signal: "BigU16", raw: 66000, length: 16, isSigned: false)) {
            try database.encode(messageNamed: "MotoExample", values: moto.merging(["BigU16": 6600]) { $1 }, checkRange: false)
        }
        #expect(throws: DBCEncodeError.rawValueTooWide(signal: "Odd12", raw: -2149, length: 12, isSigned: true)) {
            try database.encode(messageNamed: "MotoExample", values: moto.merging(["Odd12": -2249]) { $1 }, checkRange: false)
        }
        #expect(throws: DBCEncodeError.notEncodable(signal: "BigU16", reason: "nan is not a finite number")) {
            try database.encode(messageNamed: "MotoExample", values: moto.merging(["BigU16": .physical(.nan)]) { $1 })
        }
        #expect(throws: DBCEncodeError.unknownMultiplexerValue(message: "MuxExample", multiplexer: "Page", value: .unsigned(7))) {
            try database.encode(messageNamed: "MuxExample", values: ["Page": 7])
        }
        // Within cantools's tolerance of 1e-6 × factor the range check passes.
        #expect(try database.encode(messageNamed: "MotoExample", values: moto.merging(["BigU16": 6553.50000001]) { $1 }).prefix(2) == [0xFF, 0xFF])
        // A labelled raw value skips the range check (State has [0|15]; 15 is labelled "Fault").
        #expect(try database.encode(messageNamed: "MotoExample", values: moto.merging(["State": "Fault"]) { $1 })[5] == 0xF1)
    }

    @Test func multiplexedEncodingTakesOnlyTheSelectedSignals() throws {
        let database = try Self.database()
        let page1 = try database.encode(messageNamed: "MuxExample", values: ["Page": 1, "CellT1": 14, "CellV1": 9.9])
        #expect(page1 == CANTestFixtures.bytes("01E6000000000000"))
        let frame = try database.frame(messageNamed: "MuxExample", values: ["Page": 0, "CellV1": 3.3, "CellV2": 3.354])
        #expect(frame.id == 0x300 && frame.isExtended && !frame.isFD)
        #expect(frame.data == CANTestFixtures.bytes("00E40C1A0D000000"))
    }

    @Test func fdMessagesArePaddedToAnFDLength() throws {
        let database = try CANTestFixtures.database("BO_ 5 Long: 10 X\n SG_ Tail : 72|8@1+ (1,0) [0|0] \"\" X")
        let frame = try database.frame(messageNamed: "Long", values: ["Tail": 0xAB])
        #expect(frame.isFD && frame.data.count == 12 && frame.data[9] == 0xAB)
        #expect(try database.decode(frame)[signal: "Tail"]?.rawValue == .unsigned(0xAB))
    }

    /// Random values on each signal's grid encode and decode back exactly, for every DBC of the tests.
    @Test func randomRoundTrips() throws {
        var generator = SplitMix64(seed: 31)
        for text in [CANTestFixtures.section3DBC, CANTestFixtures.realisticDBC] {
            let database = try CANTestFixtures.database(text)
            for message in database.messages {
                for _ in 0..<200 {
                    let data = (0..<message.length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                    guard let decoded = try? message.decode(data) else { continue }
                    var values: [String: DBCSignalInput] = [:]
                    for signal in decoded.signals { values[signal.name] = .physical(signal.physicalValue) }
                    let encoded = try message.encode(values, checkRange: false)
                    let again = try message.decode(encoded)
                    #expect(again.signals.map(\.rawValue) == decoded.signals.map(\.rawValue) || again.signals.contains { $0.rawValue.doubleValue.isNaN })
                }
            }
        }
    }
}
