import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

@Suite("Register map files")
struct RegisterMapLoaderTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/EdgeAgent/RegisterMaps")

    @Test(arguments: ["generic-lfp-16s.yaml", "vendor-nmc-14s-float.yaml"])
    func shippedExamplesLoadAndValidate(name: String) throws {
        let map = try RegisterMapLoader.load(path: Self.examples.appendingPathComponent(name).path)
        #expect(!map.points.isEmpty)
        #expect(map.points.contains { $0.field == .packVoltage })
        #expect(!map.readPlan().isEmpty)
    }

    @Test func aBrokenMapReportsItsProblems() throws {
        let directory = try TemporaryDirectory("maps")
        defer { directory.remove() }
        let file = directory.file("broken.yaml")
        try """
            name: broken
            points:
              - { address: 0, table: holding, type: uint16, field: pack_voltage, scale: 0 }
              - { address: 1, table: holding, type: uint16, field: pack_voltage }
            """.write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ValidationFailure.self) { try RegisterMapLoader.load(path: file.path) }
        do {
            _ = try RegisterMapLoader.load(path: file.path)
        } catch {
            #expect(error.fieldErrors.contains { $0.field == "points[0].scale" }, "\(error.fieldErrors)")
        }
        #expect(throws: ValidationFailure.self) { try RegisterMapLoader.load(path: directory.file("missing.yaml").path) }
    }
}

@Suite("Example configuration")
struct ExampleConfigurationTests {
    @Test func theShippedExampleIsValid() throws {
        let root = RegisterMapLoaderTests.examples.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let configuration = try ConfigurationLoader.load(path: root.appendingPathComponent("examples/agent.yaml").path)
        #expect(configuration.devices.map(\.deviceID) == ["pack_lfp_01", "pack_nmc_02", "pack_lfp_03"])
        #expect(try configuration.devices[1].safetyLimits().cellVoltageMax.maximumSafety == 4.1)
        #expect(try configuration.devices[1].safetyLimits().chargeTemperatureMax.maximumSafety == 45)
        let simSite = try ConfigurationLoader.load(path: root.appendingPathComponent("examples/sim-site.yaml").path)
        #expect(simSite.devices.count == 2)
    }
}
