/// Reads a `candump -L` log line by line, never failing: a malformed line is counted, its number and reason
/// kept (up to `keptMalformedLimit` of them), and skipped. Blank lines are skipped without counting.
///
/// ```swift
/// var reader = CandumpReader()
/// for line in lines { if let record = reader.read(line: line) { replay(record) } }
/// print(reader.malformedCount, reader.malformedLines.first?.reason ?? "")
/// ```
public struct CandumpReader: Sendable {
    /// A line that could not be read.
    public struct MalformedLine: Sendable, Hashable, CustomStringConvertible {
        /// 1-based line number.
        public var lineNumber: Int
        /// What is wrong with it.
        public var reason: String
        /// The line's first 120 characters.
        public var text: String

        /// `line 12: the frame has no '#'`.
        public var description: String { "line \(lineNumber): \(reason)" }
    }

    /// The most malformed lines kept in `malformedLines` (all are counted).
    public let keptMalformedLimit: Int
    /// Lines read so far, blank ones included.
    public private(set) var lineCount = 0
    /// Lines that gave a record.
    public private(set) var recordCount = 0
    /// Lines that could not be read.
    public private(set) var malformedCount = 0
    /// The first `keptMalformedLimit` malformed lines.
    public private(set) var malformedLines: [MalformedLine] = []

    /// A reader keeping up to `keptMalformedLimit` malformed lines.
    public init(keptMalformedLimit: Int = 1000) {
        self.keptMalformedLimit = max(0, keptMalformedLimit)
    }

    /// Reads the next line (with or without its line ending); `nil` for a blank or malformed line.
    public mutating func read(line: some StringProtocol) -> CandumpRecord? {
        read(bytes: Array(line.utf8)[...])
    }

    /// Reads the next line given as bytes; `nil` for a blank or malformed line.
    public mutating func read(bytes line: ArraySlice<UInt8>) -> CandumpRecord? {
        lineCount += 1
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A }) else { return nil }
        do {
            let record = try CandumpRecord(bytes: line)
            recordCount += 1
            return record
        } catch {
            malformedCount += 1
            if malformedLines.count < keptMalformedLimit {
                let text = String(decoding: line.prefix(120), as: UTF8.self)
                malformedLines.append(MalformedLine(lineNumber: lineCount, reason: error.reason, text: text))
            }
            return nil
        }
    }

    /// Reads every line of `text` (LF or CRLF line endings) and returns the records in order.
    public mutating func read(text: String) -> [CandumpRecord] {
        let bytes = Array(text.utf8)
        var records: [CandumpRecord] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            if let record = read(bytes: bytes[start..<end]) { records.append(record) }
            start = end + 1
        }
        return records
    }
}
