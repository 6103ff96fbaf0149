/// Why a DBC file could not be read: the line, what was expected there and what was found.
public struct DBCParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the problem.
    public var line: Int
    /// What the parser expected (or the rule the line breaks), in words.
    public var expected: String
    /// The text found instead, if any (`nil` at the end of the file or for a rule about the whole line).
    public var found: String?

    /// An error at `line`.
    public init(line: Int, expected: String, found: String? = nil) {
        self.line = line
        self.expected = expected
        self.found = found
    }

    /// `line 12: expected '|' between start bit and length, found '@'`.
    public var description: String {
        "line \(line): expected \(expected)" + (found.map { ", found '\($0)'" } ?? "")
    }
}
