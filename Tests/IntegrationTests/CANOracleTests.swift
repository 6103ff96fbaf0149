import BMSCore
import Foundation
import Testing
import TestSupport

/// cantools (PyPI, installed by scripts/bootstrap.sh) is the oracle for the DBC decoder: for each DBC under
/// Peers/dbc, seeded random frames of every message (plus short, long and unknown ones) are decoded by BMSCore
/// and by Peers/cantools_oracle.py, and every signal must agree: the same messages refused for the same reason,
/// the same multiplexed subset, raw integers exactly, physical values exactly when cantools gives an integer and
/// within 1e-9 relative otherwise, and the same value-table labels.
@Suite("cantools oracle", .serialized)
struct CANOracleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let peers = root.appendingPathComponent("Tests/IntegrationTests/Peers")

    static let files = ["section3.dbc", "motorola_signed.dbc", "float_extended.dbc", "multiplexed.dbc", "bms_realistic.dbc"]

    @Test(arguments: files)
    func decodesEveryFrameLikeCantools(file: String) async throws {
        let dbcPath = Self.peers.appendingPathComponent("dbc/\(file)").path
        let database = try DBCDatabase(parsing: String(contentsOfFile: dbcPath, encoding: .utf8))
        #expect(!database.messages.isEmpty)
        var generator = SplitMix64(seed: file.utf8.reduce(UInt64(7)) { $0 &* 31 &+ UInt64($1) })
        var frames: [CANFrame] = []
        for message in database.messages {
            for _ in 0..<300 { frames.append(try Self.randomFrame(for: message, &generator)) }
            // The same identifier in the other format is a different (unknown) message.
            if message.id <= 0x7FF {
                frames.append(try CANFrame(id: message.id, isExtended: !message.isExtended, data: [0, 1]))
            }
        }
        frames.append(try CANFrame(id: 0x7FE, data: [1, 2, 3]))
        frames.append(try CANFrame(id: 0x1ABC_DEF0, isExtended: true, data: [1]))

        let results = try await Self.runOracle(dbcPath: dbcPath, frames: frames)
        try #require(results.count == frames.count, "the oracle answered \(results.count) of \(frames.count) frames")
        var mismatches: [String] = []
        var decoded = 0
        for (frame, reference) in zip(frames, results) {
            let ours: Result<DBCDecodedMessage, DBCDecodeError>
            do {
                ours = .success(try database.decode(frame))
            } catch {
                ours = .failure(error)
            }
            if case .success = ours { decoded += 1 }
            if let problem = Self.mismatch(ours, reference) {
                mismatches.append("\(frame): \(problem)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(frames.count) frames differ, first: \(mismatches.prefix(5))")
        #expect(decoded > frames.count / 3, "too few frames decoded to compare (\(decoded))")
    }

    // MARK: - Frames

    /// A frame of `message`: mostly its own length, sometimes shorter (both sides must refuse it) or longer
    /// (both ignore the extra bytes).
    static func randomFrame(for message: DBCMessage, _ generator: inout SplitMix64) throws -> CANFrame {
        var length = message.length
        switch generator.next() % 20 {
        case 0 where message.length > 0: length = Int(generator.next() % UInt64(message.length))
        case 1 where message.length < 8: length = message.length + 1 + Int(generator.next() % UInt64(8 - message.length))
        default: break
        }
        if length > 8 { length = CANFrame.fdLengths.last { $0 <= length } ?? 8 }
        var data = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        // Every multiplexer of these files sits in byte 0: half the frames get a small value there, so that
        // multiplexed pages decode as often as they are refused.
        if !data.isEmpty, generator.next() % 2 == 0 { data[0] = UInt8(generator.next() % 4) }
        return try CANFrame(id: message.id, isExtended: message.isExtended, data: data, isFD: length > 8)
    }

    static func hex(_ data: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(data.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    // MARK: - Oracle

    /// Runs the cantools oracle once over all `frames` and returns its results, in order.
    static func runOracle(dbcPath: String, frames: [CANFrame]) async throws -> [JSONValue] {
        let directory = try TemporaryDirectory("cantools")
        defer { directory.remove() }
        let input = JSONValue.object([
            "dbc_path": .string(dbcPath),
            "frames": .array(frames.map { frame -> JSONValue in
                .object(["id": .number(Double(frame.id)), "extended": .bool(frame.isExtended), "data_hex": .string(hex(frame.data))])
            }),
        ])
        let inputPath = directory.file("frames.json").path
        let outputPath = directory.file("decoded.json").path
        let errorPath = directory.file("stderr.txt").path
        try WireCoding.encode(input).write(to: URL(fileURLWithPath: inputPath))
        let python = try ChildProcess.locate("python3")
        let script = peers.appendingPathComponent("cantools_oracle.py").path
        // ChildProcess gives the child /dev/null as stdin; the shell feeds the request file instead.
        let command = "exec '\(python)' '\(script)' < '\(inputPath)' > '\(outputPath)' 2> '\(errorPath)'"
        let process = try ChildProcess("/bin/sh", ["-c", command])
        let finished = try await withTimeout(.seconds(300)) {
            await process.waitForExit()
            return true
        }
        if finished != true { await process.terminate() }
        let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        try #require(finished == true, "the cantools oracle did not finish within 300 s")
        try #require(process.exitCode == 0, "the cantools oracle failed (pip install cantools==45.1.0?): \(stderr)")
        let tree = try WireCoding.decodeTree(from: Data(contentsOf: URL(fileURLWithPath: outputPath)))
        return tree["results"]?.arrayValue ?? []
    }

    // MARK: - Comparison

    /// What differs between our decode and cantools's, or `nil` when they agree.
    static func mismatch(_ ours: Result<DBCDecodedMessage, DBCDecodeError>, _ reference: JSONValue) -> String? {
        let theyDecoded = reference["ok"] == .bool(true)
        switch ours {
        case .failure(let error):
            guard !theyDecoded else { return "we refused (\(error)), cantools decoded it" }
            let kind: String
            switch error {
            case .unknownMessage: kind = "unknown_message"
            case .frameTooShort: kind = "too_short"
            case .unknownMultiplexerValue: kind = "multiplexer"
            case .notADataFrame: kind = "other"
            }
            let theirs = reference["kind"]?.stringValue ?? "?"
            return theirs == kind ? nil : "we refused as \(kind) (\(error)), cantools as \(theirs): \(reference["error"]?.stringValue ?? "")"
        case .success(let message):
            guard theyDecoded else { return "we decoded it, cantools refused: \(reference["error"]?.stringValue ?? "")" }
            guard reference["name"]?.stringValue == message.name else { return "message \(message.name) vs \(reference["name"]?.stringValue ?? "none")" }
            guard let signals = reference["signals"]?.objectValue else { return "cantools gave no signals" }
            let ourNames = Set(message.signals.map(\.name))
            guard ourNames == Set(signals.keys) else {
                return "signals \(ourNames.sorted()) vs cantools \(signals.keys.sorted())"
            }
            for signal in message.signals {
                guard let theirs = signals[signal.name], let raw = theirs["raw"]?.stringValue,
                    let physical = theirs["physical"]?.stringValue
                else { return "\(signal.name): no value from cantools" }
                switch signal.rawValue {
                case .unsigned, .signed:
                    if signal.rawValue.description != raw { return "\(signal.name) raw \(signal.rawValue) vs \(raw)" }
                case .float(let value):
                    guard let their = Double(raw), same(value, their, relative: 0) else {
                        return "\(signal.name) raw \(value) vs \(raw)"
                    }
                }
                let integral = physical.allSatisfy { $0 == "-" || $0.isNumber }
                guard let their = Double(physical), same(signal.physicalValue, their, relative: integral ? 0 : 1e-9) else {
                    return "\(signal.name) physical \(signal.physicalValue) vs \(physical)"
                }
                let label = theirs["label"]?.stringValue
                if label != signal.label { return "\(signal.name) label \(signal.label ?? "none") vs \(label ?? "none")" }
            }
            return nil
        }
    }

    /// Equal, both NaN, or within `relative` of the larger magnitude.
    static func same(_ a: Double, _ b: Double, relative: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= relative * max(abs(a), abs(b))
    }
}
