/// A site or device id that is safe to use as one level of an MQTT topic.
public struct TopicIdentifier: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Longest accepted id, in characters.
    public static let maximumLength = 64
    /// Ids that would make a topic ambiguous with the fixed levels of the hierarchy.
    public static let reserved: Set<String> = ["coordinator", "fleet", "system"]

    public let rawValue: String

    /// Checks `rawValue` and wraps it.
    /// - Throws: `TopicError.invalidIdentifier` saying which rule it breaks.
    public init(_ rawValue: String) throws(TopicError) {
        if let problem = Self.problem(with: rawValue) {
            throw .invalidIdentifier(rawValue, problem)
        }
        self.rawValue = rawValue
    }

    /// Wraps a value already known to be valid (used by tests only).
    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }

    /// Why `text` cannot be an id, or `nil` if it can.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "must not be empty" }
        if text.count > maximumLength { return "must be at most \(maximumLength) characters (has \(text.count))" }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "/": return "must not contain '/'"
            case "+": return "must not contain '+'"
            case "#": return "must not contain '#'"
            case "\u{0}": return "must not contain NUL"
            default:
                if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                    return "must not contain whitespace or control characters"
                }
            }
        }
        if reserved.contains(text) { return "'\(text)' is reserved by the topic hierarchy" }
        return nil
    }

    public var description: String { rawValue }

    public static func < (lhs: TopicIdentifier, rhs: TopicIdentifier) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A topic or id that does not fit the PulseBMS hierarchy.
public enum TopicError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidIdentifier(String, String)
    case notAPulseBMSTopic(String)
    case invalidShareGroup(String)

    public var description: String {
        switch self {
        case .invalidIdentifier(let id, let problem): "invalid id '\(id)': \(problem)"
        case .notAPulseBMSTopic(let topic): "'\(topic)' is not a topic of the pulsebms hierarchy"
        case .invalidShareGroup(let group): "invalid shared-subscription group '\(group)'"
        }
    }
}
