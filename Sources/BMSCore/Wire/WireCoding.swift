import Foundation

/// The one way PulseBMS turns wire messages into bytes and back.
///
/// Encoding sorts keys so that equal values give equal bytes; decoding failures become a
/// `WireDecodingError` that names the field path (`measurements.pack.voltage`, `alarms.details[0].severity`).
public enum WireCoding {
    /// Encodes a wire value as JSON.
    public static func encode<Value: Encodable>(_ value: Value) throws(WireEncodingError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch let error as EncodingError {
            throw WireEncodingError(error)
        } catch {
            throw WireEncodingError(path: "", reason: String(describing: error))
        }
    }

    /// Decodes a wire value from JSON.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from data: some DataProtocol
    ) throws(WireDecodingError) -> Value {
        try decode(type, from: try decodeTree(from: data))
    }

    /// Decodes any JSON document into a `JSONValue` tree, for validation.
    public static func decodeTree(from data: some DataProtocol) throws(WireDecodingError) -> JSONValue {
        try JSONParser.parse(Array(data))
    }

    /// Reads a `JSONValue` tree as a typed wire value.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from tree: JSONValue
    ) throws(WireDecodingError) -> Value {
        do {
            return try JSONValueDecoder.decode(type, from: tree)
        } catch let error as DecodingError {
            throw WireDecodingError(error)
        } catch {
            throw WireDecodingError(path: "", reason: String(describing: error))
        }
    }
}

/// A wire message that could not be decoded, with the path of the offending field.
public struct WireDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted field path, with `[n]` for array elements; empty for the document itself.
    public var path: String
    /// What is wrong there.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: fieldPath(context.codingPath + [key]), reason: "missing required field")
        case .valueNotFound(let type, let context):
            self.init(path: fieldPath(context.codingPath), reason: "null where \(typeName(type)) is required")
        case .typeMismatch(let type, let context):
            self.init(path: fieldPath(context.codingPath), reason: "expected \(typeName(type))")
        case .dataCorrupted(let context):
            let reason =
                context.codingPath.isEmpty && context.underlyingError != nil
                ? "malformed JSON: \(context.debugDescription)" : context.debugDescription
            self.init(path: fieldPath(context.codingPath), reason: reason)
        @unknown default:
            self.init(path: "", reason: String(describing: error))
        }
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// A wire value that could not be encoded (for example a NaN or infinite number).
public struct WireEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(_ error: EncodingError) {
        switch error {
        case .invalidValue(let value, let context):
            self.init(
                path: fieldPath(context.codingPath),
                reason: "cannot encode \(value): \(context.debugDescription)")
        @unknown default:
            self.init(path: "", reason: String(describing: error))
        }
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// Renders a coding path as `a.b[2].c`.
func fieldPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return path
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "a boolean"
    case is Double.Type, is Float.Type: "a number"
    case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type: "an integer"
    default:
        String(describing: type).hasPrefix("Array") ? "an array" : "\(type)"
    }
}
