import Testing

@testable import BMSCore

/// DBC parsing: the §3 file, a realistic file with every section real files carry, and malformed files
/// reported with their line and what was expected.
@Suite("DBC parser")
struct DBCParserTests {
    @Test func section3File() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.section3DBC)
        #expect(database.messages.map(\.name) == ["BattStatus", "MotoExample", "MuxExample"])
        let battery = try #require(database.message(id: 854, isExtended: false))
        #expect(battery.length == 6 && battery.transmitter == "BMS" && battery.line == 1)
        let voltage = try #require(battery.signal(named: "PackVoltage"))
        #expect(voltage.startBit == 0 && voltage.length == 16 && voltage.byteOrder == .littleEndian && voltage.isSigned)
        #expect(voltage.factor == 0.01 && voltage.offset == 0 && voltage.minimum == -327.68 && voltage.maximum == 327.67)
        #expect(voltage.unit == "V" && voltage.receivers == ["INV"] && voltage.line == 2)

        let moto = try #require(database.message(named: "MotoExample"))
        let odd = try #require(moto.signal(named: "Odd12"))
        #expect(odd.byteOrder == .bigEndian && odd.isSigned && odd.offset == -100 && odd.bytesNeeded == 4)
        #expect(moto.signal(named: "State")?.valueLabels == [0: "Off", 1: "Standby", 2: "Charging", 3: "Discharging", 15: "Fault"])

        let mux = try #require(database.message(id: 0x300, isExtended: true))
        #expect(mux.dbcID == 2_147_484_416 && mux.isMultiplexed)
        #expect(database.message(id: 0x300, isExtended: false) == nil)
        #expect(mux.signal(named: "Page")?.isMultiplexer == true)
        #expect(mux.signal(named: "CellV1")?.multiplexerName == "Page")
        #expect(mux.signal(named: "CellV1")?.multiplexerValues == [0...0])
        #expect(mux.signal(named: "CellT1")?.multiplexerValues == [1...1])
        #expect(database.standardIDs == [854, 512])
        #expect(database.extendedIDs == [0x300])
    }

    @Test func realisticFileWithEverySection() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        // The BO_ inside the comment string is not a message.
        #expect(database.messages.map(\.name) == ["Limits", "Measurements", "Power", "CellPages"])
        let limits = try #require(database.message(named: "Limits"))
        #expect(limits.signal(named: "ChargeVoltageLimit")?.receivers == ["INV", "CHARGER"])
        let power = try #require(database.message(named: "Power")?.signal(named: "PowerFloat"))
        #expect(power.valueType == .float32)
        #expect(power.receivers == ["Vector__XXX"])
        #expect(database.message(named: "Measurements")?.signal(named: "OverTemp")?.valueLabels == [0: "Normal", 1: "Over temperature"])

        let pages = try #require(database.message(id: 0x18FE_CA01, isExtended: true))
        let kind = try #require(pages.signal(named: "Kind"))
        #expect(kind.isMultiplexer && kind.multiplexerName == "Page" && kind.multiplexerValues == [0...0])
        #expect(pages.signal(named: "CellVoltageA")?.multiplexerName == "Kind")
        #expect(pages.signal(named: "CellVoltageA")?.multiplexerValues == [0...0])
        #expect(pages.signal(named: "CellTempA")?.multiplexerValues == [1...1])
        #expect(pages.signal(named: "Page")?.multiplexerName == nil)
    }

    @Test func toleratedOddities() throws {
        let text = """
            // a line comment some generators write
            VERSION ""
            NS_ :
            BS_: 500 : 12,34
            BU_: A
             B
            BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX
             SG_ Orphan : 0|8@1+ (1,0) [0|0] "" Vector__XXX
            BO_ 100 NoTransmitter: 2
             SG_ A : 0|8@1+ (1E-001,-4.5e+1) [0|0] "" A , B
             SG_ B : 8|8@1+ (1,0) [0|0] ""
            VAL_ 100 Unknown 1 "x" ;
            VAL_ 999 A 1 "x" ;
            VAL_ EnvironmentVariable 1 "x" ;
            VAL_ 3221225472 Orphan 1 "x" ;
            SIG_VALTYPE_ 3221225472 Orphan : 1;
            SIG_VALTYPE_ 100 B 0;
            BA_DEF_SGTYPE_ "Something" INT 0 1;
            SOME_FUTURE_SECTION_ whatever 1 2 3;
            """
        let database = try CANTestFixtures.database(text)
        let message = try #require(database.message(id: 100, isExtended: false))
        #expect(database.messages.count == 1)
        #expect(message.transmitter == "")
        #expect(message.signal(named: "A")?.factor == 0.1)
        #expect(message.signal(named: "A")?.offset == -45)
        #expect(message.signal(named: "A")?.receivers == ["A", "B"])
        #expect(message.signal(named: "B")?.receivers == [])
        #expect(message.signals.allSatisfy { $0.valueLabels.isEmpty && $0.valueType == .integer })
    }

    @Test(arguments: [
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@2+ (1,0) [0|0] \"\" X", 2, "the byte order 0 (Motorola) or 1 (Intel)", "2"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1* (1,0) [0|0] \"\" X", 2, "'+' (unsigned) or '-' (signed) after the byte order", "*"),
        ("BO_ 1 A: 8 X\n SG_ S : 0 8@1+ (1,0) [0|0] \"\" X", 2, "'|' between the start bit and the length", "8"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1;0) [0|0] \"\" X", 2, "',' between the factor and the offset", ";"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] V X", 2, "the unit in quotes", "V"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (x,0) [0|0] \"\" X", 2, "the factor (a number)", "x"),
        ("BO_ 1 A: 8 X\n SG_ S x3 : 0|8@1+ (1,0) [0|0] \"\" X", 2,
         "a multiplexer marker (M, mN or mNM) or ':' after the signal name", "x3"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|0@1+ (1,0) [0|0] \"\" X", 2, "a signal length of 1 to 64 bits", "0"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|65@1+ (1,0) [0|0] \"\" X", 2, "a signal length of 1 to 64 bits", "65"),
        ("BO_ 1 A: 8 X\n SG_ S : 512|8@1+ (1,0) [0|0] \"\" X", 2, "a start bit below 512 (64 bytes)", "512"),
        ("BO_ 1 A: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] \"\" X", 2, "a signal inside the 2 bytes of A (S needs 3)", nil),
        ("BO_ 1 A: 2 X\n SG_ S : 7|16@0+ (1,0) [0|0] \"\" X\n SG_ S : 0|1@1+ (1,0) [0|0] \"\" X", 3,
         "a signal name not used before in A", "S"),
        ("BO_ 1 A: 8 X\nBO_ 1 B: 8 X", 2, "a message id not used before (A on line 1 has it)", "1"),
        ("BO_ 1 A: 8 X\nBO_ 2 A: 8 X", 2, "a message name not used before (line 1 has it)", "A"),
        ("BO_ 2048 A: 8 X", 1, "a standard id of at most 2047 (0x7FF); an extended id has bit 31 (2147483648) added", "2048"),
        ("BO_ 2684354560 A: 8 X", 1, "an extended id of at most 0x1FFFFFFF plus bit 31 (2147483648)", "2684354560"),
        ("BO_ 4294967296 A: 8 X", 1, "a message id of at most 32 bits", "4294967296"),
        ("BO_ 1 A: 65 X", 1, "a message length of 0 to 64 bytes", "65"),
        ("BO_ 1 A 8 X", 1, "':' after the message name", "8"),
        ("BO_ A: 8 X", 1, "the message id after BO_ (a whole number)", "A"),
        ("CM_ \"never closed;\nBO_ 1 A: 8 X", 1, "a closing '\"' for the string opened on this line", nil),
        ("\n\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X", 3, "SG_ lines right after their BO_ line", "S"),
        ("BO_ 1 A: 8 X\nhello world", 2, "a section keyword (BO_, SG_, VAL_, CM_, BA_, …)", "hello"),
        ("BO_ 1 A: 8 X\n: 1", 2, "a section keyword (BO_, SG_, VAL_, CM_, BA_, …)", ":"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\nVAL_ 1 S 1 \"a\" 2 ;", 3, "the label of 2 in quotes", ";"),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\nVAL_ 1 S 1 \"a\"", 3,
         "';' at the end of VAL_ before the end of the file", nil),
        ("BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\nSIG_VALTYPE_ 1 S : 1;", 3,
         "a 32-bit signal for SIG_VALTYPE_ 1; S has 8 bits", nil),
        ("BO_ 1 A: 8 X\nSIG_VALTYPE_ 1 T : 1;", 2, "SIG_VALTYPE_ for a signal of A", "T"),
        ("SIG_VALTYPE_ 7 T : 2;", 1, "SIG_VALTYPE_ for a message the file defines (no BO_ 7)", nil),
        ("BO_ 1 A: 8 X\n SG_ S : 0|32@1+ (1,0) [0|0] \"\" X\nSIG_VALTYPE_ 1 S : 3;", 3,
         "the value type 0 (integer), 1 (float) or 2 (double)", "3"),
        ("BO_ 1 A: 8 X\n SG_ S m1 : 0|8@1+ (1,0) [0|0] \"\" X", 2, "a multiplexer signal (M) in A for the m1 of S", nil),
        ("BO_ 1 A: 8 X\n SG_ P M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ Q m1M : 8|8@1+ (1,0) [0|0] \"\" X\n"
            + " SG_ S m1 : 16|8@1+ (1,0) [0|0] \"\" X\nSG_MUL_VAL_ 1 Q P 1-1;", 4,
         "an SG_MUL_VAL_ naming the multiplexer of S (A has several multiplexers)", nil),
        ("BO_ 1 A: 8 X\n SG_ P M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ S m1 : 8|8@1+ (1,0) [0|0] \"\" X\nSG_MUL_VAL_ 1 S Q 1-1;", 4,
         "a multiplexer (a signal marked M or mNM) of A as the third field", "Q"),
        ("BO_ 1 A: 8 X\n SG_ P M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ S : 8|8@1+ (1,0) [0|0] \"\" X\nSG_MUL_VAL_ 1 S P 1-1;", 4,
         "SG_MUL_VAL_ only for signals marked mN; S has no marker", nil),
        ("BO_ 1 A: 8 X\n SG_ P M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ S m1 : 8|8@1+ (1,0) [0|0] \"\" X\nSG_MUL_VAL_ 1 S P 3-1;", 4,
         "a range whose low end is not above its high end", "3-1"),
        ("BO_ 1 A: 8 X\n SG_ P M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ S m1 : 8|8@1+ (1,0) [0|0] \"\" X\nSG_MUL_VAL_ 1 S P 1 1;", 4,
         "'-' between the ends of a multiplexer range", "1"),
        ("BO_ 1 A: 8 X\n SG_ P m1M : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ Q m1M : 8|8@1+ (1,0) [0|0] \"\" X\n"
            + "SG_MUL_VAL_ 1 P Q 1-1;\nSG_MUL_VAL_ 1 Q P 1-1;", 2, "multiplexers that do not select each other in a loop", "P"),
    ] as [(String, Int, String, String?)])
    func malformedFilesNameLineAndExpectation(text: String, line: Int, expected: String, found: String?) {
        #expect(throws: DBCParseError(line: line, expected: expected, found: found)) { try DBCDatabase(parsing: text) }
    }

    @Test func errorDescription() {
        let error = DBCParseError(line: 12, expected: "'|' between the start bit and the length", found: "@")
        #expect(error.description == "line 12: expected '|' between the start bit and the length, found '@'")
        #expect(DBCParseError(line: 3, expected: "x").description == "line 3: expected x")
    }
}
