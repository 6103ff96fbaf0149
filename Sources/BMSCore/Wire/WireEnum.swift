/// A closed set of string values on the wire.
///
/// Decoding an unknown value is an error that names the value and every accepted one; it never falls back
/// to a default.
public protocol WireEnum: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable {}

extension WireEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: Self.unknownValueMessage(raw))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The accepted values, comma-separated, in declaration order.
    public static var acceptedValues: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// "Must be one of: …", the message the spec uses for an enum violation.
    public static var mustBeOneOfMessage: String { "Must be one of: \(acceptedValues)" }

    static func unknownValueMessage(_ raw: String) -> String {
        "unknown value '\(raw)'; must be one of: \(acceptedValues)"
    }
}
