import Foundation
import Testing

@testable import BMSCore

@Suite("JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test(arguments: [
        ("null", JSONValue.null), ("true", true), ("false", false), ("0", 0), ("-0", 0), ("12.5e-1", 1.25),
        ("1E+2", 100), ("\"\"", ""), (" [ ] ", .array([])), ("{}", .object([:])),
        (#""a\"b\\c\/d\b\f\n\r\t""#, .string("a\"b\\c/d\u{8}\u{C}\n\r\t")),
        (#""\u00e9\u20ac\ud83d\udd0b""#, .string("é€🔋")), ("\"é€🔋\"", .string("é€🔋")),
        (#"{"a":[1,{"b":null}],"c":"d"}"#, .object(["a": .array([1, .object(["b": .null])]), "c": "d"])),
    ])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "1e999", "-1e999",
        "[1,]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":}", "[", "{", "\"abc", "\"a\u{1}b\"",
        #""\x""#, #""\u12""#, #""\ud83d""#, #""\udd0b""#, "[1] x", "'a'",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: WireDecodingError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8AndReportsThePosition() throws {
        #expect(throws: WireDecodingError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        do {
            _ = try JSONParser.parse(Array("{\n  \"a\": tru\n}".utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.reason.contains("line 2"))
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: WireDecodingError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try parse(fine) }
    }

    /// Foundation's JSONSerialization is the oracle for every spec fixture.
    @Test(arguments: [
        "rest_health.json", "rest_device.json", "rest_telemetry_query.json", "rest_error_validation.json",
        "mqtt_telemetry.json", "mqtt_command.json", "mqtt_power_allocation.json", "ws_alert.json", "ws_fleet_status.json",
    ])
    func agreesWithFoundation(fixture: String) throws {
        let data = try Fixtures.data("spec/\(fixture)")
        let ours = try JSONParser.parse(Array(data))
        let theirs = try WireCoding.decode(JSONValue.self, from: JSONValue(foundation: JSONSerialization.jsonObject(with: data)))
        // Foundation's number reading can be one unit in the last place off (it reads 0.5715476066494082 as
        // …083); Swift's Double(String), which we use, rounds correctly. Compare numbers to 1e-15 relative.
        #expect(ours.isClose(to: theirs), "\(fixture)")
    }
}

extension JSONValue {
    /// Equal structure, strings and booleans; numbers within 1e-15 relative.
    func isClose(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): return a == b || abs(a - b) <= 1e-15 * max(abs(a), abs(b))
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.isClose(to: $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.isClose(to: $0) } ?? false }
        default: return self == other
        }
    }

    /// A tree from JSONSerialization's output, for comparisons.
    init(foundation value: Any) {
        switch value {
        case let object as [String: Any]: self = .object(object.mapValues(JSONValue.init(foundation:)))
        case let array as [Any]: self = .array(array.map(JSONValue.init(foundation:)))
        case let string as String: self = .string(string)
        case let number as NSNumber:
            self = String(describing: type(of: number)).contains("Boolean") ? .bool(number.boolValue) : .number(number.doubleValue)
        default: self = .null
        }
    }
}
