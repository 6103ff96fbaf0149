import Testing
import TestSupport

@testable import BMSCore

/// `candump -L` lines: every form of protocols.md §4, round trips, errors and the reader's counting.
@Suite("candump logs")
struct CandumpTests {
    @Test func theReferenceLine() throws {
        let record = try CandumpRecord(parsing: "(1700000000.123456) can0 356#7A13F2FE6B01")
        #expect(record.timestampMicroseconds == 1_700_000_000_123_456)
        #expect(record.seconds == 1_700_000_000.123456)
        #expect(record.timestamp == Timestamp(millisecondsSinceEpoch: 1_700_000_000_123))
        #expect(record.interface == "can0")
        let expected = try CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE, 0x6B, 0x01])
        #expect(record.frame == expected)
        #expect(record.direction == nil)
        #expect(record.line == "(1700000000.123456) can0 356#7A13F2FE6B01")
    }

    @Test func everyForm() throws {
        // line, frame, canonical line
        let cases: [(String, CANFrame, String)] = try [
            ("(0.000001) vcan0 123#", CANFrame(id: 0x123), "(0000000000.000001) vcan0 123#"),
            ("(1.5) can1 12345678#DEADBEEF", CANFrame(id: 0x1234_5678, isExtended: true, data: [0xDE, 0xAD, 0xBE, 0xEF]),
             "(0000000001.500000) can1 12345678#DEADBEEF"),
            ("(1700000000.000000) can0 356#7A.13.F2.FE", CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE]),
             "(1700000000.000000) can0 356#7A13F2FE"),
            ("(1700000000.000000) can0 356#7a13f2fe", CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE]),
             "(1700000000.000000) can0 356#7A13F2FE"),
            ("(1700000000.000000) can0 123#R", CANFrame.remote(id: 0x123), "(1700000000.000000) can0 123#R"),
            ("(1700000000.000000) can0 123#R7", CANFrame.remote(id: 0x123, requestedLength: 7),
             "(1700000000.000000) can0 123#R7"),
            ("(1700000000.000000) can0 00000123#R0", CANFrame.remote(id: 0x123, isExtended: true),
             "(1700000000.000000) can0 00000123#R"),
            ("(1700000000.000000) can0 123##1112233",
             CANFrame(id: 0x123, data: [0x11, 0x22, 0x33], isFD: true, bitRateSwitch: true),
             "(1700000000.000000) can0 123##1112233"),
            ("(1700000000.000000) can0 123##3", CANFrame(id: 0x123, isFD: true, bitRateSwitch: true, errorStateIndicator: true),
             "(1700000000.000000) can0 123##3"),
            ("(1700000000.000000) can0 123##6AA", CANFrame(id: 0x123, data: [0xAA], isFD: true, errorStateIndicator: true),
             "(1700000000.000000) can0 123##2AA"),  // FDF (4) is dropped
            ("(1700000000.000000) can0 20000080#0000000000000000",
             CANFrame.error(class: 0x80, data: [0, 0, 0, 0, 0, 0, 0, 0]),
             "(1700000000.000000) can0 20000080#0000000000000000"),
            ("(1700000000.000000) can0 123#1122334455667788_C",
             CANFrame(id: 0x123, data: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]),
             "(1700000000.000000) can0 123#1122334455667788"),
        ]
        for (line, frame, canonical) in cases {
            let record = try CandumpRecord(parsing: line)
            #expect(record.frame == frame, "\(line)")
            #expect(record.line == canonical)
            #expect(try CandumpRecord(parsing: record.line) == record)
        }
        #expect(throws: CandumpError.self) { try CandumpRecord(parsing: "(1.0) can0 1122334455667788#0") }
    }

    @Test func directionTokensAndPaddedInterfaces() throws {
        let received = try CandumpRecord(parsing: "(1.000000)    can0 351#1402 R\r\n")
        #expect(received.direction == .received)
        #expect(received.interface == "can0")
        #expect(received.line == "(0000000001.000000) can0 351#1402 R")
        let sent = try CandumpRecord(parsing: "(1.000000)\tslcan0\t305#0000000000000000\tt")
        #expect(sent.direction == .transmitted)
        #expect(sent.line.hasSuffix(" T"))
    }

    @Test(arguments: [
        ("", "expected '(seconds) interface frame' with an optional R/T, found 0 fields"),
        ("(1.0) can0", "expected '(seconds) interface frame' with an optional R/T, found 2 fields"),
        ("(1.0) can0 123#00 R extra", "expected '(seconds) interface frame' with an optional R/T, found 5 fields"),
        ("1.0 can0 123#00", "the timestamp must be '(seconds.microseconds)'"),
        ("(1.0 can0 123#00", "the timestamp must be '(seconds.microseconds)'"),
        ("(x.0) can0 123#00", "the timestamp must be '(seconds.microseconds)' with at most 12 digits of seconds"),
        ("(1234567890123.0) can0 123#00", "the timestamp must be '(seconds.microseconds)' with at most 12 digits of seconds"),
        ("(1.) can0 123#00", "the timestamp's fraction must be digits"),
        ("(1.2a) can0 123#00", "the timestamp's fraction must be digits"),
        ("(1.0) can0 12300", "the frame has no '#'"),
        ("(1.0) can0 1234#00", "the identifier must be 3 (standard) or 8 (extended) hex digits, found 4"),
        ("(1.0) can0 12G#00", "the identifier is not hexadecimal"),
        ("(1.0) can0 800#00", "identifier 0x800 does not fit 11 bits"),
        ("(1.0) can0 80000123#00", "identifier 80000123 has EFF/RTR flag bits set"),
        ("(1.0) can0 123#0", "the data has an odd number of hex digits"),
        ("(1.0) can0 123#0G", "the data is not hexadecimal"),
        ("(1.0) can0 123#0.0", "a '.' separator splits a data byte"),
        ("(1.0) can0 123#112233445566778899", "9 data bytes; a classic frame carries at most 8"),
        ("(1.0) can0 123##", "a CAN FD frame needs a flag nibble after '##'"),
        ("(1.0) can0 123##0112233445566778899", "9 data bytes is not a CAN FD length (0-8, 12, 16, 20, 24, 32, 48, 64)"),
        ("(1.0) can0 20000004##100", "an error frame cannot be CAN FD"),
        ("(1.0) can0 20000004#R", "an error frame cannot be a remote frame"),
        ("(1.0) can0 123#R9", "a remote frame's requested length must be one digit 0-8"),
        ("(1.0) can0 123#R12", "a remote frame's requested length must be one digit 0-8"),
        ("(1.0) can0 123#11_C", "a '_' DLC suffix needs 8 data bytes"),
        ("(1.0) can0 123#1122334455667788_3", "'_' must be followed by one DLC digit 9-F"),
        ("(1.0) can0 123#00 X", "the field after the frame must be R or T"),
        ("(1.0) can0 123#00 RX", "the field after the frame must be R or T"),
    ])
    func malformedLinesSayWhy(line: String, reason: String) {
        #expect(throws: CandumpError(reason)) { try CandumpRecord(parsing: line) }
    }

    @Test func readerCountsAndKeepsMalformedLines() {
        let log = """
            (1700000000.100000) can0 356#7A13F2FE6B01
            garbage here

            (1700000000.200000) can0 351#14027400
            (1700000000.300000) can0 355#1A006400\r
            (1700000000.400000) can0 XYZ#00
            """
        var reader = CandumpReader()
        let records = reader.read(text: log + "\n")
        #expect(records.map(\.frame.id) == [0x356, 0x351, 0x355])
        #expect(reader.lineCount == 6)
        #expect(reader.recordCount == 3)
        #expect(reader.malformedCount == 2)
        #expect(reader.malformedLines.map(\.lineNumber) == [2, 6])
        #expect(reader.malformedLines.map(\.reason) == [
            "expected '(seconds) interface frame' with an optional R/T, found 2 fields",
            "the identifier is not hexadecimal",
        ])
        #expect(reader.malformedLines[0].description == "line 2: expected '(seconds) interface frame' with an optional R/T, found 2 fields")
        #expect(reader.malformedLines[0].text == "garbage here")

        // Line by line continues the numbering; only the first `keptMalformedLimit` are kept.
        var limited = CandumpReader(keptMalformedLimit: 1)
        let results = [limited.read(line: "nope"), limited.read(line: "(1.0) can0 123#00\n"), limited.read(line: "still nope")]
        #expect(results.map { $0 == nil } == [true, false, true])
        #expect(limited.malformedCount == 2)
        #expect(limited.malformedLines.map(\.lineNumber) == [1])
    }

    @Test func randomFramesRoundTrip() throws {
        var generator = SplitMix64(seed: 17)
        for _ in 0..<2000 {
            let frame = CANFrameTests.randomFrame(&generator)
            let directions: [CANDirection?] = [nil, .received, .transmitted]
            let record = CandumpRecord(
                timestampMicroseconds: Int64(generator.next() % 4_000_000_000_000_000), interface: "can\(generator.next() % 3)",
                frame: frame, direction: directions[Int(generator.next() % 3)])
            #expect(try CandumpRecord(parsing: record.line) == record)
        }
    }
}
