import Foundation
import Testing

@testable import BMSCore

/// The socket's `error` message: the spec's error fields beside `type`, as the other server messages carry
/// theirs.
@Suite("WebSocket error message")
struct WebSocketErrorMessageTests {
    @Test func roundTripsWithTheSpecsErrorFields() throws {
        let message = WebSocketServerMessage.error(
            ErrorBody(
                code: .validationError, message: "Invalid message: topic: unknown value 'weather'",
                details: ["field_errors": [["field": "topic", "message": "unknown value 'weather'"]]],
                timestamp: Timestamp(millisecondsSinceEpoch: 1_705_329_015_123), traceID: "trace_abc123"))
        let data = try WireCoding.encode(message)
        let tree = try WireCoding.decodeTree(from: data)
        #expect(tree["type"] == "error")
        #expect(tree["code"] == "VALIDATION_ERROR")
        #expect(tree["timestamp"] == "2024-01-15T14:30:15.123Z")
        #expect(tree["trace_id"] == "trace_abc123")
        #expect(tree["details"]?["field_errors"]?.arrayValue?.count == 1)
        #expect(try WireCoding.decode(WebSocketServerMessage.self, from: data) == message)
    }

    @Test func errorWithoutItsRequiredFieldsIsRefused() {
        #expect(throws: WireDecodingError.self) {
            try WireCoding.decode(WebSocketServerMessage.self, from: Array(#"{"type":"error","message":"x"}"#.utf8))
        }
    }
}
