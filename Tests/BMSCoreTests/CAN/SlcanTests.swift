import Testing
import TestSupport

@testable import BMSCore

/// slcan (Lawicel): command encoding, frame lines both ways, and the stream decoder fed in arbitrary chunks.
@Suite("slcan")
struct SlcanTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func commands() throws {
        #expect(try SlcanCommand.setBitrate(SlcanBitrate(bitsPerSecond: 500_000)).bytes == Array("S6\r".utf8))
        let codes = try [10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 750_000, 800_000, 1_000_000].map {
            try SlcanBitrate(bitsPerSecond: $0).rawValue
        }
        #expect(codes == [0, 1, 2, 3, 4, 5, 6, 7, 7, 8])
        #expect(SlcanBitrate.kbit750or800.bitsPerSecond == 800_000)
        #expect(throws: SlcanEncodingError.unsupportedBitrate(83_333)) { try SlcanBitrate(bitsPerSecond: 83_333) }
        let texts = [SlcanCommand.open, .listenOnly, .close, .version, .serialNumber, .statusFlags, .timestamps(true), .timestamps(false)]
            .map(\.text)
        #expect(texts == ["O", "L", "C", "V", "N", "F", "Z1", "Z0"])
        #expect(SlcanCommand.close.bytes == [0x43, 0x0D])
    }

    @Test func frameLines() throws {
        #expect(try Self.text(SlcanFrameEncoder.encode(CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE, 0x6B, 0x01])))
            == "t35667A13F2FE6B01\r")
        #expect(try Self.text(SlcanFrameEncoder.encode(CANFrame(id: 0x18FF_50E5, isExtended: true, data: [1, 2])))
            == "T18FF50E520102\r")
        #expect(try Self.text(SlcanFrameEncoder.encode(CANFrame.remote(id: 0x123, requestedLength: 8))) == "r1238\r")
        #expect(try Self.text(SlcanFrameEncoder.encode(CANFrame.remote(id: 0x123, isExtended: true))) == "R000001230\r")
        #expect(try Self.text(SlcanFrameEncoder.encode(CANFrame(id: 0x305), timestampMilliseconds: 0xEA5F)) == "t3050EA5F\r")
        let fd = try CANFrame(id: 0x123, data: [UInt8](repeating: 0xAB, count: 12), isFD: true)
        #expect(try Self.text(SlcanFrameEncoder.encode(fd)) == "d1239" + String(repeating: "AB", count: 12) + "\r")
        let fdBRS = try CANFrame(id: 0x123, isExtended: true, data: [1], isFD: true, bitRateSwitch: true)
        #expect(try Self.text(SlcanFrameEncoder.encode(fdBRS)) == "B00000123101\r")
        #expect(throws: SlcanEncodingError.errorFrame) { try SlcanFrameEncoder.encode(CANFrame.error(class: 4)) }
    }

    @Test func decoderEvents() throws {
        var decoder = SlcanDecoder()
        let events = decoder.feed(Array("\rt35667A13F2FE6B01\rt3050EA5F\r\u{07}V1013\rF00\rz\r\nR000001234\rhello\r".utf8))
        let expected: [SlcanEvent] = try [
            .ok,
            .frame(CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE, 0x6B, 0x01]), timestampMilliseconds: nil),
            .frame(CANFrame(id: 0x305), timestampMilliseconds: 0xEA5F),
            .errorReply,
            .reply("V1013"),
            .reply("F00"),
            .reply("z"),
            .frame(CANFrame.remote(id: 0x123, isExtended: true, requestedLength: 4), timestampMilliseconds: nil),
            .malformed(line: "hello", reason: "not a frame, a reply or an acknowledgement"),
        ]
        #expect(events == expected)
        #expect(decoder.frameCount == 3)
        #expect(decoder.errorReplyCount == 1)
        #expect(decoder.malformedCount == 1)
        #expect(decoder.pendingByteCount == 0)
    }

    @Test(arguments: [
        ("t3566", "expected 12 data digits and an optional 4-digit timestamp, found 0 digits"),
        ("t35", "the line is too short for a frame"),
        ("t8000", "identifier 0x800 does not fit 11 bits"),
        ("tXYZ0", "the identifier is not hexadecimal"),
        ("t123G", "the DLC is not a hex digit"),
        ("t1239", "DLC 9 is above 8"),
        ("t1231ZZ", "the data is not hexadecimal"),
        ("t1231AAZZZZ", "the timestamp is not hexadecimal"),
        ("t1231AA12", "expected 2 data digits and an optional 4-digit timestamp, found 4 digits"),
        ("T200000000", "identifier 0x20000000 does not fit 29 bits"),
        ("zz", "an acknowledgement is a single z or Z"),
        ("V\u{01}", "a reply must be printable ASCII"),
        ("x", "not a frame, a reply or an acknowledgement"),
    ])
    func malformedLines(line: String, reason: String) {
        var decoder = SlcanDecoder()
        let events = decoder.feed(Array((line + "\r").utf8))
        guard case .malformed(_, let actual)? = events.first, events.count == 1 else {
            Issue.record("expected one malformed event, got \(events)")
            return
        }
        #expect(actual == reason)
        #expect(decoder.malformedCount == 1)
    }

    @Test func chunksSplitAnywhereGiveTheSameEvents() throws {
        var generator = SplitMix64(seed: 21)
        var stream: [UInt8] = []
        var frames: [CANFrame] = []
        for index in 0..<300 {
            var frame = CANFrameTests.randomFrame(&generator)
            if frame.isError { frame = try CANFrame(id: 0x100 + UInt32(index % 16)) }
            if frame.errorStateIndicator {  // slcan cannot carry ESI
                frame = try CANFrame(
                    id: frame.id, isExtended: frame.isExtended, data: frame.data, isFD: true, bitRateSwitch: frame.bitRateSwitch)
            }
            frames.append(frame)
            stream += try SlcanFrameEncoder.encode(frame, timestampMilliseconds: index % 2 == 0 ? UInt16(index) : nil)
            if index % 50 == 0 { stream += [0x07] }
        }
        var whole = SlcanDecoder()
        let expected = whole.feed(stream)
        let decodedFrames = expected.compactMap { event -> CANFrame? in
            if case .frame(let frame, _) = event { return frame }
            return nil
        }
        #expect(decodedFrames == frames)
        #expect(whole.errorReplyCount == 6)

        for _ in 0..<50 {
            var decoder = SlcanDecoder()
            var events: [SlcanEvent] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + 1 + Int(generator.next() % 40))
                events += decoder.feed(stream[start..<end])
                start = end
            }
            #expect(events == expected)
        }
    }

    @Test func overlongLinesAreDiscardedUpToTheNextCR() throws {
        var decoder = SlcanDecoder(maximumLineLength: 16)
        var events = decoder.feed(Array(repeating: UInt8(ascii: "A"), count: 40))
        #expect(events == [.overlongLineDiscarded(length: 17)])
        #expect(decoder.pendingByteCount == 0)
        events = decoder.feed(Array("AAAA\rt1230\r".utf8))
        let frame = try CANFrame(id: 0x123)
        #expect(events == [.frame(frame, timestampMilliseconds: nil)])
        #expect(decoder.malformedCount == 1)
        // A BEL ends a discarded line too, and a half line before a BEL is malformed.
        events = decoder.feed(Array(repeating: UInt8(ascii: "B"), count: 20) + [0x07] + Array("t12\u{07}".utf8))
        #expect(events == [
            .overlongLineDiscarded(length: 17), .errorReply,
            .malformed(line: "t12", reason: "a BEL interrupted the line"), .errorReply,
        ])
        #expect(SlcanDecoder(maximumLineLength: 1).maximumLineLength == 8)
    }
}
