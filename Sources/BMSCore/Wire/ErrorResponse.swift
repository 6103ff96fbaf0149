/// A machine-readable error code of the API (`DEVICE_NOT_FOUND`, `VALIDATION_ERROR`, …).
public struct ErrorCode: RawRepresentable, Codable, Sendable, Hashable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static let validationError: ErrorCode = "VALIDATION_ERROR"
    public static let deviceNotFound: ErrorCode = "DEVICE_NOT_FOUND"
    public static let deviceExists: ErrorCode = "DEVICE_ALREADY_EXISTS"
    public static let deviceLocked: ErrorCode = "DEVICE_LOCKED"
    public static let unauthorized: ErrorCode = "UNAUTHORIZED"
    public static let forbidden: ErrorCode = "FORBIDDEN"
    public static let rateLimited: ErrorCode = "RATE_LIMIT_EXCEEDED"
    public static let notFound: ErrorCode = "NOT_FOUND"
    public static let internalError: ErrorCode = "INTERNAL_ERROR"
}

/// The spec's error envelope: `{"error": {...}}`, generic over the shape of `details`.
public struct ErrorEnvelope<Details: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var error: ErrorBody<Details>

    public init(error: ErrorBody<Details>) {
        self.error = error
    }
}

/// The inside of an error envelope.
public struct ErrorBody<Details: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    public var details: Details?
    public var timestamp: Timestamp
    public var traceID: String
    public var documentationURL: String?

    public init(
        code: ErrorCode, message: String, details: Details? = nil, timestamp: Timestamp, traceID: String,
        documentationURL: String? = nil
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.timestamp = timestamp
        self.traceID = traceID
        self.documentationURL = documentationURL
    }

    enum CodingKeys: String, CodingKey {
        case code, message, details, timestamp
        case traceID = "trace_id"
        case documentationURL = "documentation_url"
    }
}

/// The standard error response, with free-form `details`.
public typealias ErrorResponse = ErrorEnvelope<JSONObject>

/// The validation error response: `details.field_errors` lists every problem found.
public typealias ValidationErrorResponse = ErrorEnvelope<ValidationErrorDetails>

/// `details` of a validation error.
public struct ValidationErrorDetails: Codable, Sendable, Equatable {
    public var fieldErrors: [FieldError]

    public init(fieldErrors: [FieldError]) {
        self.fieldErrors = fieldErrors
    }

    enum CodingKeys: String, CodingKey {
        case fieldErrors = "field_errors"
    }
}

/// One problem in a request body.
public struct FieldError: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the field, e.g. `specifications.nominal_capacity`.
    public var field: String
    /// What is wrong, in words an operator understands.
    public var message: String
    /// The value received; absent when the field was missing.
    public var receivedValue: JSONValue?

    public init(field: String, message: String, receivedValue: JSONValue? = nil) {
        self.field = field
        self.message = message
        self.receivedValue = receivedValue
    }

    enum CodingKeys: String, CodingKey {
        case field, message
        case receivedValue = "received_value"
    }

    public var description: String { "\(field): \(message)" }
}

extension ValidationErrorResponse {
    /// A `VALIDATION_ERROR` response listing `fieldErrors`.
    public static func validationFailed(
        _ fieldErrors: [FieldError], timestamp: Timestamp, traceID: String
    ) -> ValidationErrorResponse {
        ValidationErrorResponse(
            error: ErrorBody(
                code: .validationError, message: "Request validation failed",
                details: ValidationErrorDetails(fieldErrors: fieldErrors), timestamp: timestamp, traceID: traceID))
    }
}
