/// One `BO_` message and its signals.
public struct DBCMessage: Sendable, Equatable {
    /// The identifier without the extended-id bit (11 or 29 bits).
    public var id: UInt32
    /// Whether the DBC id had bit 31 set (a 29-bit identifier).
    public var isExtended: Bool
    /// The message name.
    public var name: String
    /// The length in bytes (the DBC's DLC field; up to 64 for CAN FD).
    public var length: Int
    /// The sending node (`Vector__XXX` when none).
    public var transmitter: String
    /// The signals, in file order.
    public var signals: [DBCSignal]
    /// The `BO_` line.
    public var line: Int

    /// A message.
    public init(
        id: UInt32, isExtended: Bool, name: String, length: Int, transmitter: String = "", signals: [DBCSignal],
        line: Int = 0
    ) {
        self.id = id
        self.isExtended = isExtended
        self.name = name
        self.length = length
        self.transmitter = transmitter
        self.signals = signals
        self.line = line
    }

    /// The id as the DBC writes it: bit 31 set for extended identifiers.
    public var dbcID: UInt32 { isExtended ? id | 0x8000_0000 : id }

    /// The signal called `name`.
    public func signal(named name: String) -> DBCSignal? {
        signals.first { $0.name == name }
    }

    /// Whether this message has a multiplexer signal.
    public var isMultiplexed: Bool { signals.contains(where: \.isMultiplexer) }

    /// The multiplexer values `multiplexer` may take: those its signals are present for, and its value labels
    /// (cantools's rule). Empty when neither exists, and then every value is accepted.
    func knownMultiplexerValues(of multiplexer: DBCSignal) -> [ClosedRange<UInt64>] {
        var ranges = signals.filter { $0.multiplexerName == multiplexer.name }.flatMap(\.multiplexerValues)
        for key in multiplexer.valueLabels.keys where key >= 0 {
            let value = UInt64(key)
            ranges.append(value...value)
        }
        return ranges
    }
}
