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
        #expect(configuration.devices.map(\.deviceID) == ["pack_lfp_01", "pack_nmc_02", "pack_lfp_03", "pack_pylon_04", "pack_dbc_05"])
        #expect(try configuration.devices[1].safetyLimits().cellVoltageMax.maximumSafety == 4.1)
        #expect(try configuration.devices[1].safetyLimits().chargeTemperatureMax.maximumSafety == 45)
        let simSite = try ConfigurationLoader.load(path: root.appendingPathComponent("examples/sim-site.yaml").path)
        #expect(simSite.devices.count == 2)
    }

    /// The example DBC and its signal map decode a pack's frames into the snapshot, cells and limits included.
    @Test func theExampleDBCProfileDecodes() throws {
        let root = RegisterMapLoaderTests.examples.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let (database, mapping) = try CANProfileLoader.load(
            dbcPath: root.appendingPathComponent("examples/can/generic-bms-16s.dbc").path,
            mapPath: root.appendingPathComponent("examples/can/generic-bms-16s-map.yaml").path)
        var accumulator = DBCSnapshotAccumulator(database: database, mapping: mapping)
        let time = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        let status = try database.frame(
            messageNamed: "PackStatus",
            values: ["PackVoltage": 58.4, "PackCurrent": -12.5, "PackSoC": 64, "PackSoH": 91.5, "ContactorState": 1,
                     "BalancingActive": 0, "Counter": 3])
        #expect(throws: Never.self) { try accumulator.ingest(status, at: time).get() }
        for group in 0..<4 {
            var values: [String: DBCSignalInput] = ["CellGroup": .physical(Double(group))]
            for cell in (group * 4 + 1)...(group * 4 + 4) {
                values[String(format: "Cell%02d", cell)] = .physical(3.6 + Double(cell) / 1000)
            }
            _ = accumulator.ingest(try database.frame(messageNamed: "CellVoltages", values: values), at: time)
        }
        let snapshot = accumulator.snapshot(deviceID: "pack_dbc_05", at: time)
        func close(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) < 1e-9 } ?? false }
        #expect(close(snapshot.voltage?.value, 58.4))
        #expect(close(snapshot.current?.value, 12.5))  // the BMS's charging-positive −12.5 A is 12.5 A of discharge
        #expect(close(snapshot.soc?.value, 64))
        #expect(close(snapshot.soh?.value, 91.5))
        #expect(snapshot.cellVoltages.count == 16)
        for (index, cell) in snapshot.cellVoltages.enumerated() {
            #expect(close(cell.value, 3.6 + Double(index + 1) / 1000), "cell \(index + 1)")
        }
    }
}
