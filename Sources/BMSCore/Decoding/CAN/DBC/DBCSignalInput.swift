/// A value to encode: a physical value, or a `VAL_` label.
public enum DBCSignalInput: Sendable, Hashable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    /// A physical value (raw = (value − offset) / factor, rounded half to even for integer signals).
    case physical(Double)
    /// A value-table label, encoded as its raw value.
    case label(String)

    /// A physical value.
    public init(floatLiteral value: Double) { self = .physical(value) }
    /// A physical value.
    public init(integerLiteral value: Int) { self = .physical(Double(value)) }
    /// A label.
    public init(stringLiteral value: String) { self = .label(value) }
}

/// Why values could not be encoded into a message.
public enum DBCEncodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No message has this name.
    case unknownMessage(String)
    /// A value was given for a signal the message does not have.
    case unknownSignal(message: String, signal: String)
    /// A signal the frame carries has no value.
    case missingSignal(message: String, signal: String)
    /// The label is not in the signal's value table.
    case unknownLabel(signal: String, label: String)
    /// NaN or infinite physical value for an integer signal, or a zero factor.
    case notEncodable(signal: String, reason: String)
    /// The physical value is outside the signal's declared `[min|max]`.
    case outOfRange(signal: String, value: Double, minimum: Double, maximum: Double)
    /// The raw value does not fit the signal's bits.
    case rawValueTooWide(signal: String, raw: Double, length: Int, isSigned: Bool)
    /// The multiplexer value selects no signals and has no label.
    case unknownMultiplexerValue(message: String, multiplexer: String, value: DBCRawValue)

    /// What failed, naming the signal.
    public var description: String {
        switch self {
        case .unknownMessage(let name): "no message named \(name)"
        case .unknownSignal(let message, let signal): "\(message) has no signal \(signal)"
        case .missingSignal(let message, let signal): "\(message) needs a value for \(signal)"
        case .unknownLabel(let signal, let label): "\(signal) has no value labelled '\(label)'"
        case .notEncodable(let signal, let reason): "\(signal): \(reason)"
        case .outOfRange(let signal, let value, let minimum, let maximum):
            "\(signal) = \(value) is outside [\(minimum), \(maximum)]"
        case .rawValueTooWide(let signal, let raw, let length, let isSigned):
            "\(signal): raw value \(raw) does not fit \(length) \(isSigned ? "signed" : "unsigned") bits"
        case .unknownMultiplexerValue(let message, let multiplexer, let value):
            "\(message): multiplexer \(multiplexer) = \(value) selects no signals"
        }
    }
}
