import Foundation
import Testing

@testable import BMSCore

/// Every JSON example of the API spec (with the `...` in its arrays filled with real values) decodes into its
/// BMSCore type, re-encodes, and decodes again to an equal value; the encoding carries exactly the spec's
/// field names and values, compared with the raw JSON of the example.
@Suite("Spec examples")
struct SpecExamplesTests {
    @Test func healthResponse() throws { try checkRoundTrip(HealthResponse.self, "rest_health.json") }
    @Test func device() throws { try checkRoundTrip(Device.self, "rest_device.json") }
    @Test func deviceRegistration() throws { try checkRoundTrip(DeviceRegistration.self, "rest_device_post.json") }
    @Test func telemetryQuery() throws { try checkRoundTrip(TelemetryQueryResponse.self, "rest_telemetry_query.json") }
    @Test func commandStartCharge() throws { try checkRoundTrip(CommandRequest.self, "rest_command_start_charge.json") }
    @Test func commandEmergency() throws { try checkRoundTrip(CommandRequest.self, "rest_command_emergency_shutdown.json") }
    @Test func commandAccepted() throws { try checkRoundTrip(CommandAccepted.self, "rest_command_accepted.json") }
    @Test func standardError() throws { try checkRoundTrip(ErrorResponse.self, "rest_error_device_not_found.json") }
    @Test func validationError() throws { try checkRoundTrip(ValidationErrorResponse.self, "rest_error_validation.json") }
    @Test func rateLimit() throws { try checkRoundTrip(RateLimitInfo.self, "rest_rate_limit.json") }
    @Test func telemetryMessage() throws { try checkRoundTrip(TelemetryMessage.self, "mqtt_telemetry.json") }
    @Test func commandMessage() throws { try checkRoundTrip(CommandMessage.self, "mqtt_command.json") }
    @Test func powerAllocation() throws { try checkRoundTrip(PowerAllocationMessage.self, "mqtt_power_allocation.json") }
    @Test func subscribeTelemetry() throws { try checkRoundTrip(WebSocketClientMessage.self, "ws_subscribe_telemetry.json") }
    @Test func subscribeFleet() throws { try checkRoundTrip(WebSocketClientMessage.self, "ws_subscribe_fleet_status.json") }
    @Test func liveTelemetry() throws { try checkRoundTrip(WebSocketServerMessage.self, "ws_telemetry.json") }
    @Test func fleetStatus() throws { try checkRoundTrip(WebSocketServerMessage.self, "ws_fleet_status.json") }
    @Test func alert() throws { try checkRoundTrip(WebSocketServerMessage.self, "ws_alert.json") }

    @Test func decodedValuesAreTheSpecsValues() throws {
        let telemetry = try WireCoding.decode(TelemetryMessage.self, from: Fixtures.data("spec/mqtt_telemetry.json"))
        #expect(telemetry.sequenceNumber == 12345)
        #expect(telemetry.timestamp.rfc3339 == "2024-01-15T14:30:15.123Z")
        #expect(telemetry.measurements.pack.power == -10126.5)
        #expect(telemetry.measurements.cells?.voltages.count == 144)
        #expect(telemetry.alarms.details.first?.severity == .warning)
        #expect(telemetry.alarms.details.first?.data["cell_number"] == 42)
        #expect(telemetry.status.operationalState == .charging)

        let command = try WireCoding.decode(CommandMessage.self, from: Fixtures.data("spec/mqtt_command.json"))
        #expect(command.command.type == .startCharge)
        #expect(command.safetyChecks.constraints.maxCellVoltage == 4.15)
        #expect(command.metadata?.optimizationContext?.alternativesConsidered == 3)

        let allocation = try WireCoding.decode(PowerAllocationMessage.self, from: Fixtures.data("spec/mqtt_power_allocation.json"))
        #expect(allocation.demand.priority == .high)
        #expect(allocation.allocation.devices.map(\.allocatedPower) == [-10000, -12000])
        #expect(allocation.forecasts.degradationImpact["battery_pack_002"] == 0.0008)

        let request = try WireCoding.decode(CommandRequest.self, from: Fixtures.data("spec/rest_command_emergency_shutdown.json"))
        #expect(request.commandType == .emergencyShutdown)
        #expect(request.effectiveTimeoutSeconds == 30)

        guard case .subscribe(.telemetry(let filters)) = try WireCoding.decode(
            WebSocketClientMessage.self, from: Fixtures.data("spec/ws_subscribe_telemetry.json"))
        else {
            Issue.record("not a telemetry subscription")
            return
        }
        #expect(filters.sampleRate?.hertz == 1)
        #expect(filters.metrics == [.voltage, .current, .soc, .temperature])
    }

    @Test func rateLimitHeadersAreDerivedFromTheWindow() throws {
        let info = try WireCoding.decode(RateLimitInfo.self, from: Fixtures.data("spec/rest_rate_limit.json"))
        #expect(RateLimitInfo(rateLimit: info.rateLimit) == info)
        #expect(RateLimitHeaders(info.rateLimit).reset == "1705330800")
    }

    /// Decode → encode → decode, and compare the encoding with the raw example.
    private func checkRoundTrip<Value: Codable & Equatable>(
        _ type: Value.Type, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let raw = try Fixtures.data("spec/\(name)")
        let decoded = try WireCoding.decode(type, from: raw)
        let encoded = try WireCoding.encode(decoded)
        let again = try WireCoding.decode(type, from: encoded)
        #expect(again == decoded, sourceLocation: sourceLocation)

        // Foundation's untyped parser on both sides: the same members, names and values as the example.
        let expected = normalised(try JSONSerialization.jsonObject(with: raw))
        let actual = normalised(try JSONSerialization.jsonObject(with: encoded))
        #expect(actual == expected, "encoding of \(name) differs from the spec example", sourceLocation: sourceLocation)
    }

    /// A comparable form of a JSONSerialization tree in which timestamps are compared as instants
    /// (the spec writes some without milliseconds; we always write them).
    private func normalised(_ value: Any) -> JSONValue {
        switch value {
        case let object as [String: Any]: return .object(object.mapValues(normalised))
        case let array as [Any]: return .array(array.map(normalised))
        case let string as String:
            if let timestamp = try? Timestamp(rfc3339: string) { return .string("instant:\(timestamp.millisecondsSinceEpoch)") }
            return .string(string)
        case let number as NSNumber:
            if String(describing: type(of: number)).contains("Boolean") { return .bool(number.boolValue) }
            return .number(number.doubleValue)
        case is NSNull: return .null
        default: return .string("unexpected \(type(of: value))")
        }
    }
}

enum Fixtures {
    static func data(_ path: String) throws -> Data {
        guard let base = Bundle.module.resourceURL else { throw CocoaError(.fileNoSuchFile) }
        return try Data(contentsOf: base.appendingPathComponent("Fixtures").appendingPathComponent(path))
    }
}
