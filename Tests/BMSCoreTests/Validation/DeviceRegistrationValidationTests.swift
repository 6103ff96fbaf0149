import Testing

@testable import BMSCore

@Suite("Device validation")
struct DeviceRegistrationValidationTests {
    static let valid: JSONValue = [
        "device_id": "battery_pack_001", "site_id": "site_001", "name": "Rack 1", "chemistry": "NMC",
        "specifications": ["nominal_capacity": 100, "nominal_voltage": 400, "series_cells": 96, "parallel_cells": 1],
    ]

    private func errors(setting path: [String], to value: JSONValue) -> [FieldError] {
        DeviceRegistration.fieldErrors(in: Self.valid.setting(path, to: value))
    }

    @Test func validBodyPassesAndDecodes() throws {
        #expect(DeviceRegistration.fieldErrors(in: Self.valid).isEmpty)
        let device = try DeviceRegistration.validated(from: Self.valid)
        #expect(device.chemistry == .nmc)
        #expect(device.specifications.seriesCells == 96)
    }

    /// Each numeric bound just inside (accepted) and just outside (rejected, with path and received value).
    @Test(arguments: [
        (["specifications", "nominal_capacity"], 0.1, true), (["specifications", "nominal_capacity"], 0.0999, false),
        (["specifications", "nominal_capacity"], 10_000, true), (["specifications", "nominal_capacity"], 10_000.001, false),
        (["specifications", "nominal_capacity"], -10.5, false),
        (["specifications", "nominal_voltage"], 1, true), (["specifications", "nominal_voltage"], 0.999, false),
        (["specifications", "nominal_voltage"], 1000, true), (["specifications", "nominal_voltage"], 1000.001, false),
        (["specifications", "series_cells"], 1, true), (["specifications", "series_cells"], 0, false),
        (["specifications", "series_cells"], 1.5, false),
        (["specifications", "parallel_cells"], 1, true), (["specifications", "parallel_cells"], 0, false),
        (["specifications", "max_charge_power"], 0.001, true), (["specifications", "max_charge_power"], 0, false),
        (["specifications", "max_discharge_power"], 5000, true), (["specifications", "max_discharge_power"], -1, false),
    ] as [([String], Double, Bool)])
    func numericBounds(path: [String], value: Double, accepted: Bool) {
        let found = errors(setting: path, to: .number(value))
        if accepted {
            #expect(found.isEmpty, "\(path) = \(value): \(found)")
        } else {
            #expect(found.count == 1)
            #expect(found.first?.field == path.joined(separator: "."))
            #expect(found.first?.receivedValue == .number(value))
        }
    }

    @Test(arguments: [(1, true), (0, false), (255, true), (256, false)])
    func nameLength(length: Int, accepted: Bool) {
        let found = errors(setting: ["name"], to: .string(String(repeating: "é", count: length)))
        #expect(found.isEmpty == accepted)
        if !accepted { #expect(found.first?.field == "name") }
    }

    @Test(arguments: [
        ("pack-1_A", true), ("a", true), (String(repeating: "x", count: 64), true),
        (String(repeating: "x", count: 65), false), ("", false), ("pack 1", false), ("pack/1", false),
        ("pack+1", false), ("pack#1", false), ("pack.1", false), ("päck", false), ("coordinator", false),
        ("fleet", false), ("system", false),
    ])
    func deviceIdentifiers(id: String, accepted: Bool) {
        let found = errors(setting: ["device_id"], to: .string(id))
        #expect(found.isEmpty == accepted, "\(id): \(found)")
        if !accepted {
            #expect(found.first?.field == "device_id")
            #expect(found.first?.receivedValue == .string(id))
        }
    }

    @Test(arguments: ["LFP", "NMC", "LCO", "NCA"])
    func everyChemistryIsAccepted(chemistry: String) {
        #expect(errors(setting: ["chemistry"], to: .string(chemistry)).isEmpty)
    }

    @Test func unknownChemistryUsesTheSpecsMessage() {
        let found = errors(setting: ["chemistry"], to: "UNKNOWN")
        #expect(found == [FieldError(field: "chemistry", message: "Must be one of: LFP, NMC, LCO, NCA", receivedValue: "UNKNOWN")])
    }

    @Test func missingRequiredFieldsAreEachReported() {
        let found = DeviceRegistration.fieldErrors(in: ["specifications": [:]])
        let fields = Set(found.map(\.field))
        #expect(fields == [
            "device_id", "site_id", "name", "chemistry", "specifications.nominal_capacity",
            "specifications.nominal_voltage", "specifications.series_cells", "specifications.parallel_cells",
        ])
        #expect(found.allSatisfy { $0.message == "Field is required" && $0.receivedValue == nil })
    }

    /// The spec's own example body: several faults, all reported at once with paths and received values.
    @Test func severalFaultsAreAllReported() {
        let body: JSONValue = [
            "device_id": "bad id!", "site_id": "site_001", "name": "", "chemistry": "UNKNOWN",
            "specifications": [
                "nominal_capacity": -10.5, "nominal_voltage": "400", "series_cells": 0, "parallel_cells": 1,
                "colour": "red",
            ],
            "safety_constraints": ["max_cell_voltage": 9],
        ]
        let found = DeviceRegistration.fieldErrors(in: body)
        let byField = Dictionary(found.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byField["device_id"]?.receivedValue == "bad id!")
        #expect(byField["name"]?.receivedValue == "")
        #expect(byField["chemistry"]?.message == "Must be one of: LFP, NMC, LCO, NCA")
        #expect(byField["specifications.nominal_capacity"]?.receivedValue == -10.5)
        #expect(byField["specifications.nominal_voltage"]?.message == "Must be a number")
        #expect(byField["specifications.series_cells"]?.receivedValue == 0)
        #expect(byField["specifications.colour"]?.message == "Unknown field")
        #expect(found.count == 7)  // the constraint is checked only once the chemistry is known
        #expect(throws: ValidationFailure.self) { try DeviceRegistration.validated(from: body) }
    }

    @Test func safetyConstraintsAreCheckedAgainstTheChemistry() {
        let tooHigh = errors(setting: ["safety_constraints", "max_cell_voltage"], to: 4.5)
        #expect(tooHigh.map(\.field) == ["safety_constraints.max_cell_voltage"])
        #expect(tooHigh.first?.receivedValue == 4.5)
        #expect(errors(setting: ["safety_constraints", "max_cell_voltage"], to: 4.15).isEmpty)
        let wrongType = errors(setting: ["safety_constraints", "temperature_limits"], to: 40)
        #expect(wrongType.map(\.field) == ["safety_constraints.temperature_limits"])
    }

    @Test func nonFiniteNumbersInTypedValuesAreRejected() {
        var device = DeviceRegistration(
            deviceID: "pack_1", siteID: "site_1", name: "Pack", chemistry: .lfp,
            specifications: DeviceSpecifications(nominalCapacityAmpHours: .nan, nominalVoltageVolts: .infinity, seriesCells: 16, parallelCells: 1))
        let found = device.fieldErrors()
        #expect(Set(found.map(\.field)) == ["specifications.nominal_capacity", "specifications.nominal_voltage"])
        #expect(found.allSatisfy { $0.message == "Must be a finite number" })
        device.specifications.nominalCapacityAmpHours = 100
        device.specifications.nominalVoltageVolts = 51.2
        #expect(device.fieldErrors().isEmpty)
    }

    @Test func malformedJSONBodyIsOneClearError() {
        #expect(throws: ValidationFailure.self) { try DeviceRegistration.validated(fromJSON: Array("{\"device_id\": ".utf8)) }
        do {
            _ = try DeviceRegistration.validated(fromJSON: Array("[1,2".utf8))
        } catch {
            #expect(error.fieldErrors.first?.message.hasPrefix("Body is not valid JSON") == true)
        }
    }
}
