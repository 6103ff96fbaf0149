import Foundation
import Testing

@testable import BMSCore

/// A missing field or an unknown enum value is an error that names the field path; nothing is defaulted.
@Suite("Decoding errors")
struct WireDecodingErrorTests {
    private func telemetryTree() throws -> JSONValue {
        try WireCoding.decodeTree(from: Fixtures.data("spec/mqtt_telemetry.json"))
    }

    private func decodeError<Value: Decodable>(_ type: Value.Type, _ tree: JSONValue) -> WireDecodingError? {
        do {
            _ = try WireCoding.decode(type, from: tree)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingRequiredFieldNamesItsPath() throws {
        var tree = try telemetryTree()
        tree = tree.removing(["measurements", "pack", "voltage"])
        let error = try #require(decodeError(TelemetryMessage.self, tree))
        #expect(error.path == "measurements.pack.voltage")
        #expect(error.reason == "missing required field")
    }

    @Test func unknownEnumValueInsideAnArrayNamesPathAndAcceptedValues() throws {
        var tree = try telemetryTree()
        tree = tree.setting(["alarms", "details", "0", "severity"], to: "catastrophic")
        let error = try #require(decodeError(TelemetryMessage.self, tree))
        #expect(error.path == "alarms.details[0].severity")
        #expect(error.reason.contains("'catastrophic'"))
        #expect(error.reason.contains("info, warning, alarm, critical"))
    }

    @Test func unknownSchemaVersionIsRefused() throws {
        let tree = try telemetryTree().setting(["schema_version"], to: "2.0")
        let error = try #require(decodeError(TelemetryMessage.self, tree))
        #expect(error.path == "schema_version")
    }

    @Test func wrongTypeNamesPath() throws {
        let tree = try telemetryTree().setting(["sequence_number"], to: "12345")
        let error = try #require(decodeError(TelemetryMessage.self, tree))
        #expect(error.path == "sequence_number")
        #expect(error.reason.contains("expected"))
    }

    @Test func negativeSequenceNumberIsRefused() throws {
        let tree = try telemetryTree().setting(["sequence_number"], to: -1)
        #expect(decodeError(TelemetryMessage.self, tree)?.path == "sequence_number")
    }

    @Test func badTimestampNamesPathAndReason() throws {
        let tree = try telemetryTree().setting(["timestamp"], to: "2024-02-30T00:00:00Z")
        let error = try #require(decodeError(TelemetryMessage.self, tree))
        #expect(error.path == "timestamp")
        #expect(error.reason.contains("day 30"))
    }

    @Test func unknownCommandConstraintIsRefusedNotIgnored() throws {
        let tree = try WireCoding.decodeTree(from: Fixtures.data("spec/mqtt_command.json"))
            .setting(["safety_checks", "constraints", "max_cell_volt"], to: 4.1)
        let error = try #require(decodeError(CommandMessage.self, tree))
        #expect(error.path == "safety_checks.constraints.max_cell_volt")
    }

    @Test func unknownWebSocketMessageTypeIsRefused() {
        let tree: JSONValue = ["type": "subscribe", "topic": "weather"]
        #expect(decodeError(WebSocketClientMessage.self, tree)?.path == "topic")
        let server: JSONValue = ["type": "gossip"]
        #expect(decodeError(WebSocketServerMessage.self, server)?.path == "type")
    }

    @Test func fleetStatusSubscriptionNeedsItsSite() {
        let tree: JSONValue = ["type": "subscribe", "topic": "fleet_status"]
        #expect(decodeError(WebSocketClientMessage.self, tree)?.path == "filters")
    }

    @Test func malformedJSONIsAnErrorNotACrash() {
        for text in ["", "{", "{\"schema_version\": }", "[1e999]", "\u{FF}\u{FE}"] {
            #expect(throws: WireDecodingError.self) { try WireCoding.decode(TelemetryMessage.self, from: Array(text.utf8)) }
        }
    }

    @Test func encodingANaNIsAnErrorWithItsPath() {
        var message = PackMeasurements(voltage: .nan, current: 0, power: 0, temperature: 20, soc: 50, soh: 100)
        #expect(throws: WireEncodingError.self) { try WireCoding.encode(message) }
        message.voltage = 400
        #expect(throws: Never.self) { try WireCoding.encode(message) }
    }

    @Test func sampleRates() throws {
        #expect(SampleRate("1Hz")?.hertz == 1)
        #expect(SampleRate("0.2Hz")?.intervalMilliseconds == 5000)
        #expect(SampleRate("0.2Hz")?.description == "0.2Hz")
        #expect(SampleRate("10Hz")?.description == "10Hz")
        for bad in ["", "Hz", "1", "1 Hz", "-1Hz", "0Hz", "nanHz", "infHz", "1000Hz", "+1Hz", "1kHz"] {
            #expect(SampleRate(bad) == nil, "\(bad) accepted")
        }
        let tree: JSONValue = ["type": "subscribe", "topic": "telemetry", "filters": ["sample_rate": "fast"]]
        #expect(decodeError(WebSocketClientMessage.self, tree)?.path == "filters.sample_rate")
    }

    @Test func subscriptionsWithoutFiltersAndUnsubscribeRoundTrip() throws {
        let messages: [WebSocketClientMessage] = [
            .subscribe(.telemetry(TelemetryFilters())),
            .subscribe(.alerts(AlertFilters(siteID: "site_001", minimumSeverity: .alarm))),
            .unsubscribe(.fleetStatus),
        ]
        for message in messages {
            #expect(try WireCoding.decode(WebSocketClientMessage.self, from: WireCoding.encode(message)) == message)
        }
        let minimal = try WireCoding.decode(
            WebSocketClientMessage.self, from: Array(#"{"type":"subscribe","topic":"alerts"}"#.utf8))
        #expect(minimal == .subscribe(.alerts(AlertFilters())))
    }
}

extension JSONValue {
    /// A copy with the member at `path` (object keys, or decimal indices into arrays) set to `value`.
    func setting(_ path: [String], to value: JSONValue) -> JSONValue {
        guard let head = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch self {
        case .object(var members):
            members[head] = (members[head] ?? .null).setting(rest, to: value)
            return .object(members)
        case .array(var elements):
            guard let index = Int(head), elements.indices.contains(index) else { return self }
            elements[index] = elements[index].setting(rest, to: value)
            return .array(elements)
        default:
            return rest.isEmpty ? .object([head: value]) : .object([head: JSONValue.null.setting(rest, to: value)])
        }
    }

    /// A copy without the member at `path`.
    func removing(_ path: [String]) -> JSONValue {
        guard let head = path.first else { return self }
        if path.count == 1, case .object(var members) = self {
            members.removeValue(forKey: head)
            return .object(members)
        }
        switch self {
        case .object(var members):
            if let member = members[head] { members[head] = member.removing(Array(path.dropFirst())) }
            return .object(members)
        case .array(var elements):
            if let index = Int(head), elements.indices.contains(index) {
                elements[index] = elements[index].removing(Array(path.dropFirst()))
            }
            return .array(elements)
        default:
            return self
        }
    }
}
