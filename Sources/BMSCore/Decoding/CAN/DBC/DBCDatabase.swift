/// The messages of a DBC file, looked up by frame identifier or by name.
///
/// ```swift
/// let database = try DBCDatabase(parsing: text)
/// let message = try database.decode(frame)           // DBCDecodedMessage
/// let bytes = try database.encode(messageNamed: "BattStatus", values: ["PackVoltage": 49.86, …])
/// ```
public struct DBCDatabase: Sendable, Equatable {
    /// The messages, in file order.
    public let messages: [DBCMessage]
    private let indexByFrame: [FrameKey: Int]
    private let indexByName: [String: Int]

    private struct FrameKey: Hashable {
        var id: UInt32
        var isExtended: Bool
    }

    /// Reads a DBC file.
    /// - Throws: `DBCParseError` with the line and what was expected there.
    public init(parsing text: String) throws(DBCParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Reads a DBC file's bytes (invalid UTF-8 inside strings is replaced, not refused).
    /// - Throws: `DBCParseError` with the line and what was expected there.
    public init(parsing bytes: [UInt8]) throws(DBCParseError) {
        let tokens = try DBCTokenizer.tokenize(bytes)
        var parser = DBCParser(tokens: tokens)
        let messages = try parser.parse()
        self.init(checkedMessages: messages)
    }

    /// A database of messages already checked (unique identifiers and names).
    init(checkedMessages messages: [DBCMessage]) {
        self.messages = messages
        var byFrame: [FrameKey: Int] = [:]
        var byName: [String: Int] = [:]
        for (index, message) in messages.enumerated() {
            let key = FrameKey(id: message.id, isExtended: message.isExtended)
            if byFrame[key] == nil { byFrame[key] = index }
            if byName[message.name] == nil { byName[message.name] = index }
        }
        indexByFrame = byFrame
        indexByName = byName
    }

    /// The message with identifier `id` of the given format.
    public func message(id: UInt32, isExtended: Bool) -> DBCMessage? {
        indexByFrame[FrameKey(id: id, isExtended: isExtended)].map { messages[$0] }
    }

    /// The message called `name`.
    public func message(named name: String) -> DBCMessage? {
        indexByName[name].map { messages[$0] }
    }

    /// The 11-bit identifiers of the messages (for `CANFilter.minimalFilters`).
    public var standardIDs: Set<UInt32> { Set(messages.filter { !$0.isExtended }.map(\.id)) }

    /// The 29-bit identifiers of the messages.
    public var extendedIDs: Set<UInt32> { Set(messages.filter(\.isExtended).map(\.id)) }
}
