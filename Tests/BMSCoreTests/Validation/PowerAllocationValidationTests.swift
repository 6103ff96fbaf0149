import Foundation
import Testing

@testable import BMSCore

@Suite("Power allocation validation")
struct PowerAllocationValidationTests {
    static func specExampleText() throws -> String {
        String(decoding: try Fixtures.data("spec/mqtt_power_allocation.json"), as: UTF8.self)
    }

    @Test func specExampleIsValid() throws {
        let tree = try WireCoding.decodeTree(from: Array(try Self.specExampleText().utf8))
        #expect(PowerAllocationMessage.fieldErrors(in: tree).isEmpty)
        let message = try PowerAllocationMessage.validated(from: tree)
        #expect(message.allocation.devices.map(\.deviceID) == ["battery_pack_001", "battery_pack_002"])
    }

    /// One edit of the spec's example (text replaced) → the field reported, or `nil` when it stays valid.
    /// Durations on both sides of each bound, scores at and beyond 0 and 1.
    static let edits: [(String, String, String?)] = [
        (#""duration_minutes": 60"#, #""duration_minutes": 1440"#, nil),
        (#""duration_minutes": 60"#, #""duration_minutes": 1440.001"#, "demand.duration_minutes"),
        (#""duration_minutes": 60"#, #""duration_minutes": 0.001"#, nil),
        (#""duration_minutes": 60"#, #""duration_minutes": 0"#, "demand.duration_minutes"),
        (#""duration_minutes": 60"#, #""duration_minutes": -1"#, "demand.duration_minutes"),
        (#""duration_minutes": 60"#, #""duration_minutes": "60""#, "demand.duration_minutes"),
        (#""efficiency_score": 0.94"#, #""efficiency_score": 1"#, nil),
        (#""efficiency_score": 0.94"#, #""efficiency_score": 0"#, nil),
        (#""efficiency_score": 0.94"#, #""efficiency_score": 1.01"#, "allocation.efficiency_score"),
        (#""efficiency_score": 0.94"#, #""efficiency_score": -0.01"#, "allocation.efficiency_score"),
        (#""confidence": 0.96"#, #""confidence": 1.5"#, "allocation.devices[0].confidence"),
        (#""flexibility": 0.1,"#, "", "demand.flexibility"),
        (#""priority": "high""#, #""priority": "urgent""#, "demand.priority"),
        (#""allocation_id": "alloc_98765""#, #""allocation_id": """#, "allocation_id"),
        (#""site_id": "site_001""#, #""site_id": "fleet""#, "site_id"),
        (#""schema_version": "1.0""#, #""schema_version": "2.0""#, "schema_version"),
        (#""timestamp": "2024-01-15T14:30:00Z""#, #""timestamp": "yesterday""#, "timestamp"),
        (#""optimization_method": "RL""#, #""optimization_method": """#, "allocation.optimization_method"),
        (#""allocated_power": -10000"#, #""allocated_power": "lots""#, "allocation.devices[0].allocated_power"),
        (#""device_id": "battery_pack_002""#, #""device_id": "battery_pack_001""#, "allocation.devices[1].device_id"),
        (#""device_id": "battery_pack_002""#, #""device_id": "pack 2""#, "allocation.devices[1].device_id"),
        (#""battery_pack_001": 0.001"#, #""battery_pack_001": "high""#, "forecasts.degradation_impact.battery_pack_001"),
        (#""completion_probability": 0.97"#, #""completion_probability": 97"#, "forecasts.completion_probability"),
        (#""flexibility": 0.1,"#, #""flexibility": 0.1, "urgency": 3,"#, "demand.urgency"),
        (#""site_id": "site_001","#, #""site_id": "site_001", "policy_version": "2.1","#, "policy_version"),
    ]

    @Test(arguments: edits)
    func eachRuleFromBothSides(original: String, replacement: String, field: String?) throws {
        let text = try Self.specExampleText()
        try #require(text.contains(original), "the spec example no longer contains \(original)")
        let tree = try WireCoding.decodeTree(from: Array(text.replacingOccurrences(of: original, with: replacement).utf8))
        let found = PowerAllocationMessage.fieldErrors(in: tree)
        #expect(found.map(\.field) == (field.map { [$0] } ?? []), "\(replacement)")
        if found.isEmpty {
            // What passes the rules also decodes.
            _ = try PowerAllocationMessage.validated(from: tree)
        }
    }

    @Test func bodyMustBeAnObject() {
        #expect(PowerAllocationMessage.fieldErrors(in: []).map(\.field) == [""])
        #expect(PowerAllocationMessage.fieldErrors(in: .null).map(\.field) == [""])
    }

    /// Every missing member is reported at once.
    @Test func emptyObjectNamesEveryRequiredMember() {
        let found = Set(PowerAllocationMessage.fieldErrors(in: [:]).map(\.field))
        #expect(found == ["schema_version", "timestamp", "allocation_id", "site_id", "demand", "allocation", "forecasts"])
    }
}
