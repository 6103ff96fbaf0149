import BMSCore
import Foundation
import Hummingbird

/// An error the API reports with the spec's standard error body: `{"error": {code, message, details,
/// timestamp, trace_id, documentation_url}}`. Handlers throw it; the error middleware renders it.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: ErrorCode
    var message: String
    var details: JSONObject?
    /// Extra response headers (Retry-After on a 429).
    var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status, code: ErrorCode, message: String, details: JSONObject? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// A `VALIDATION_ERROR` with every field error.
    static func validation(_ failure: ValidationFailure, message: String = "Request validation failed") -> APIError {
        let errors: [JSONValue] = failure.fieldErrors.map { error in
            var object: JSONObject = ["field": .string(error.field), "message": .string(error.message)]
            if let received = error.receivedValue { object["received_value"] = received }
            return .object(object)
        }
        return APIError(status: .badRequest, code: .validationError, message: message, details: ["field_errors": .array(errors)])
    }

    /// A 400 about one field (`""` for the body as a whole).
    static func badRequest(_ message: String, field: String = "", received: JSONValue? = nil) -> APIError {
        validation(ValidationFailure([FieldError(field: field, message: message, receivedValue: received)]), message: message)
    }

    static func notFound(_ message: String, details: JSONObject? = nil, code: ErrorCode = .notFound) -> APIError {
        APIError(status: .notFound, code: code, message: message, details: details)
    }

    /// The relay's installed files (OpenAPI document, dashboard) are not where it looks for them.
    static func assetsMissing(_ file: String) -> APIError {
        APIError(
            status: .serviceUnavailable, code: "ASSETS_MISSING",
            message: "\(file) is not installed: copy \(RelayAssets.bundleName) next to the binary or set PULSEBMS_RELAY_ASSETS")
    }

    /// A 429 for a refused `decision`.
    static func rateLimited(_ decision: RateLimitDecision) -> APIError {
        APIError(
            status: .tooManyRequests, code: .rateLimited,
            message: "Rate limit of \(decision.limit) requests per \(decision.windowSeconds) s exceeded",
            details: [
                "limit": .number(Double(decision.limit)),
                "reset_time": .string(Timestamp(millisecondsSinceEpoch: Int64(decision.resetAt) * 1000).rfc3339),
            ])
    }

    static let internalError = APIError(status: .internalServerError, code: .internalError, message: "Internal error")

    /// Where the error is documented.
    var documentationURL: String {
        "https://docs.pulsebms.com/errors/" + code.rawValue.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// The response, stamped with `traceID`.
    func response(traceID: String, at time: Timestamp = Timestamp(Date())) -> Response {
        let body = ErrorResponse(
            error: ErrorBody(
                code: code, message: message, details: details, timestamp: time, traceID: traceID,
                documentationURL: documentationURL))
        var response = JSONResponse.make(body, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// JSON responses through `WireCoding` (sorted keys, the spec's field names), never Foundation's defaults.
enum JSONResponse {
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        guard let data = try? WireCoding.encode(value) else {
            // Encoding a wire value fails only on a non-finite number: report it, never send a broken body.
            let fallback = #"{"error":{"code":"INTERNAL_ERROR","message":"Response could not be encoded","timestamp":""#
                + Timestamp(Date()).rfc3339 + #"","trace_id":"trace_encoding"}}"#
            return Response(
                status: .internalServerError, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: fallback)))
        }
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// The body as a JSON tree, or a 400 with the parser's reason (malformed JSON never reaches a handler).
    func jsonBody(context: RelayContext) async throws -> JSONValue {
        guard let tree = try await optionalJSONBody(context: context) else { throw APIError.badRequest("Malformed JSON: the body is empty") }
        return tree
    }

    /// The body as a JSON tree, `nil` when there is none (an empty body).
    func optionalJSONBody(context: RelayContext) async throws -> JSONValue? {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(status: .contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "Request body exceeds \(context.maxUploadSize) bytes")
        }
        if buffer.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        do {
            return try WireCoding.decodeTree(from: Array(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest("Malformed JSON: \(error)")
        }
    }
}
