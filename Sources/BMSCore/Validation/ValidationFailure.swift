import Foundation

/// Every problem found in a body or a configuration, collected in one pass.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var fieldErrors: [FieldError]

    public init(_ fieldErrors: [FieldError]) {
        self.fieldErrors = fieldErrors
    }

    public var description: String {
        fieldErrors.map(\.description).joined(separator: "; ")
    }
}

/// A wire value that can be checked in full and built from an untyped JSON tree.
public protocol ValidatedWireValue: Codable, Sendable {
    /// Every problem in `tree`, each with its dotted path and the value received.
    static func fieldErrors(in tree: JSONValue) -> [FieldError]
}

extension ValidatedWireValue {
    /// Checks `tree` and decodes it.
    /// - Throws: `ValidationFailure` listing every problem at once.
    public static func validated(from tree: JSONValue) throws(ValidationFailure) -> Self {
        let errors = fieldErrors(in: tree)
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        do {
            return try WireCoding.decode(Self.self, from: tree)
        } catch {
            // The rules above accept only trees the decoder reads; this keeps a gap between the two visible.
            throw ValidationFailure([FieldError(field: error.path, message: error.reason)])
        }
    }

    /// Checks a JSON body and decodes it. Malformed JSON is reported as a problem of the whole body.
    public static func validated(fromJSON data: [UInt8]) throws(ValidationFailure) -> Self {
        let tree: JSONValue
        do {
            tree = try WireCoding.decodeTree(from: data)
        } catch {
            throw ValidationFailure([FieldError(field: "", message: "Body is not valid JSON: \(error.reason)")])
        }
        return try validated(from: tree)
    }

    /// Every problem of an already typed value (for instance one read from a YAML configuration).
    public func fieldErrors() -> [FieldError] {
        do {
            return Self.fieldErrors(in: try JSONValue(encoding: self))
        } catch {
            return [FieldError(field: error.path, message: error.reason)]
        }
    }
}

extension JSONValue {
    /// Text used for a NaN or infinite number when a typed value becomes a tree, so that validation can
    /// name it (JSON itself cannot carry them).
    static let nonFiniteMarkers: Set<String> = ["NaN", "+Infinity", "-Infinity"]

    /// The JSON tree of an encodable value. NaN and infinities become marker strings.
    public init<Value: Encodable>(encoding value: Value) throws(WireEncodingError) {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch let error as EncodingError {
            throw WireEncodingError(error)
        } catch {
            throw WireEncodingError(path: "", reason: String(describing: error))
        }
        do {
            self = try WireCoding.decodeTree(from: data)
        } catch {
            throw WireEncodingError(path: error.path, reason: error.reason)
        }
    }
}

