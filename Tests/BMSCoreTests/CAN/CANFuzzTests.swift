import Testing
import TestSupport

@testable import BMSCore

/// Seeded random and mutated inputs into every CAN parser and decoder: each call must return a value or its
/// error, never crash or hang. A crash fails the whole test run; these tests also check the counters.
@Suite("CAN fuzzing")
struct CANFuzzTests {
    static func randomBytes(_ generator: inout SplitMix64, count: Int, alphabet: [UInt8]? = nil) -> [UInt8] {
        (0..<count).map { _ in
            if let alphabet { return alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            return UInt8(truncatingIfNeeded: generator.next())
        }
    }

    /// `text` with a few bytes replaced, inserted or deleted.
    static func mutate(_ text: [UInt8], _ generator: inout SplitMix64, alphabet: [UInt8]) -> [UInt8] {
        var bytes = text
        for _ in 0..<(1 + Int(generator.next() % 4)) {
            let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            switch generator.next() % 3 {
            case 0 where !bytes.isEmpty: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            default: if !bytes.isEmpty { bytes.remove(at: position) }
            }
        }
        return bytes
    }

    static let candumpAlphabet = Array("0123456789ABCDEFabcdefR#.()_ \t\r\nxcan".utf8) + [0x00, 0xFF, 0x80]
    static let slcanAlphabet = Array("0123456789ABCDEFtTrRdDbBVFNzZ\r\n".utf8) + [0x07, 0x00, 0xFF]
    static let dbcAlphabet = Array("BO_SG_VAL_M m0 : | @ 1 0 + - ( , ) [ ] \" ; \n\t0123456789.eE".utf8) + [0x00, 0xC3, 0xFF]

    @Test func candumpLinesNeverCrash() throws {
        var generator = SplitMix64(seed: 0xCA4D)
        var reader = CandumpReader(keptMalformedLimit: 10)
        let valid = (0..<200).map { index in
            CandumpRecord(timestampMicroseconds: Int64(index) * 1000, interface: "can0", frame: CANFrameTests.randomFrame(&generator)).line
        }
        var lines = 0
        for round in 0..<6000 {
            let line: [UInt8]
            if round % 3 == 0 {
                line = Self.randomBytes(&generator, count: Int(generator.next() % 80))
            } else {
                line = Self.mutate(Array(valid[round % valid.count].utf8), &generator, alphabet: Self.candumpAlphabet)
            }
            // Lines never contain LF when read one at a time.
            _ = reader.read(bytes: line.split(separator: 0x0A).first ?? [])
            lines += 1
        }
        #expect(reader.lineCount == lines)
        #expect(reader.malformedCount > 1000)
        #expect(reader.malformedLines.count == 10)
        #expect(reader.recordCount + reader.malformedCount <= lines)
        // Whole random texts too.
        var textReader = CandumpReader()
        _ = textReader.read(text: String(decoding: Self.randomBytes(&generator, count: 50_000, alphabet: Self.candumpAlphabet), as: UTF8.self))
        #expect(textReader.lineCount > 0)
    }

    @Test func slcanStreamsNeverCrash() throws {
        var generator = SplitMix64(seed: 0x51CA)
        var decoder = SlcanDecoder(maximumLineLength: 64)
        var valid: [UInt8] = []
        for _ in 0..<500 {
            let frame = CANFrameTests.randomFrame(&generator)
            if let line = try? SlcanFrameEncoder.encode(frame) { valid += line }
        }
        var events = 0
        for round in 0..<400 {
            let chunk: [UInt8]
            switch round % 3 {
            case 0: chunk = Self.randomBytes(&generator, count: Int(generator.next() % 300))
            case 1: chunk = Self.randomBytes(&generator, count: Int(generator.next() % 300), alphabet: Self.slcanAlphabet)
            default:
                let start = Int(generator.next() % UInt64(valid.count))
                chunk = Self.mutate(Array(valid[start..<min(valid.count, start + 200)]), &generator, alphabet: Self.slcanAlphabet)
            }
            events += decoder.feed(chunk).count
            #expect(decoder.pendingByteCount <= 64)
        }
        #expect(events > 0)
        #expect(decoder.malformedCount > 0)
        #expect(decoder.frameCount > 0)
    }

    @Test func dbcFragmentsNeverCrash() throws {
        var generator = SplitMix64(seed: 0xDBC)
        let sources = [CANTestFixtures.section3DBC, CANTestFixtures.realisticDBC].map { Array($0.utf8) }
        var parsed = 0
        var failed = 0
        for round in 0..<3000 {
            let bytes: [UInt8]
            switch round % 4 {
            case 0: bytes = Self.randomBytes(&generator, count: Int(generator.next() % 400), alphabet: Self.dbcAlphabet)
            case 1: bytes = Self.randomBytes(&generator, count: Int(generator.next() % 200))
            case 3 where round % 40 == 3: bytes = sources[round % sources.count]  // now and then a valid file
            default:
                let source = sources[round % sources.count]
                // A random slice of a valid file, then a few mutations.
                let start = Int(generator.next() % UInt64(source.count))
                let end = min(source.count, start + Int(generator.next() % 1500))
                bytes = Self.mutate(Array(source[start..<end]), &generator, alphabet: Self.dbcAlphabet)
            }
            do {
                let database = try DBCDatabase(parsing: bytes)
                parsed += 1
                // Whatever parsed must decode and encode without crashing.
                for message in database.messages {
                    for _ in 0..<3 {
                        let data = Self.randomBytes(&generator, count: Int(generator.next() % UInt64(message.length + 2)))
                        if let decoded = try? message.decode(data, allowTruncated: generator.next() % 2 == 0) {
                            var values: [String: DBCSignalInput] = [:]
                            for signal in decoded.signals { values[signal.name] = .physical(signal.physicalValue) }
                            _ = try? message.encode(values)
                        }
                    }
                }
            } catch {
                failed += 1
                #expect(error.line >= 1)
                #expect(!error.expected.isEmpty)
            }
        }
        #expect(parsed > 0 && failed > 0)
    }

    @Test func dbcDecoderTakesAnyFrame() throws {
        var generator = SplitMix64(seed: 0xDEC0DE)
        for text in [CANTestFixtures.section3DBC, CANTestFixtures.realisticDBC] {
            let database = try CANTestFixtures.database(text)
            let ids = database.messages.map { ($0.id, $0.isExtended) } + [(0x7FF, false), (0x1234, true)]
            var outcomes = (decoded: 0, failed: 0)
            for _ in 0..<5000 {
                let (id, extended) = ids[Int(generator.next() % UInt64(ids.count))]
                let data = Self.randomBytes(&generator, count: Int(generator.next() % 9))
                guard let frame = try? CANFrame(id: id, isExtended: extended, data: data) else { continue }
                do {
                    let message = try database.decode(frame, allowTruncated: generator.next() % 4 == 0)
                    #expect(message.signals.allSatisfy { !$0.name.isEmpty })
                    outcomes.decoded += 1
                } catch {
                    #expect(!error.description.isEmpty)
                    outcomes.failed += 1
                }
            }
            #expect(outcomes.decoded > 0 && outcomes.failed > 0)
        }
    }

    @Test func canBusBMSAccumulatorTakesAnyFrame() {
        var generator = SplitMix64(seed: 0xB35)
        var accumulator = CANBusBMSAccumulator()
        let ids = CANBusBMSFrameID.allCases.map(\.rawValue) + [0x100, 0x7FF]
        for step in 0..<5000 {
            let id = ids[Int(generator.next() % UInt64(ids.count))]
            let data = Self.randomBytes(&generator, count: Int(generator.next() % 9))
            accumulator.ingest(CANFrame(standardID: id, classicData: data), at: Timestamp(millisecondsSinceEpoch: Int64(step) * 10))
            if step % 100 == 0 {
                let snapshot = accumulator.snapshot(deviceID: "fuzz", at: Timestamp(millisecondsSinceEpoch: Int64(step) * 10))
                #expect(snapshot.cellVoltages.isEmpty && snapshot.cellTemperatures.isEmpty)
                _ = SafetyInput(snapshot)
            }
        }
        #expect(accumulator.acceptedFrameCount + accumulator.ignoredFrameCount + accumulator.malformedFrameCount == 5000)
    }
}
