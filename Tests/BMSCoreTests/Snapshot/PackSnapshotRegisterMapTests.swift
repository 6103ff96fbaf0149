import Foundation
import Testing

@testable import BMSCore

/// A register map of a pack that reports only its cell extremes fills the snapshot's extremes, never the
/// per-cell arrays, and keeps them stale across a failed block like cells.
@Suite("Snapshot from a register map with cell extremes")
struct PackSnapshotRegisterMapTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    static let map = RegisterMap(name: "extremes only", points: [
        RegisterPoint(address: 0, type: .uint16, scale: 0.01, unit: "V", field: .packVoltage),
        RegisterPoint(address: 1, type: .int16, scale: 0.1, unit: "A", field: .packCurrent),
        RegisterPoint(address: 2, type: .uint16, scale: 0.001, unit: "V", field: .cellVoltageMin),
        RegisterPoint(address: 3, type: .uint16, scale: 0.001, unit: "V", field: .cellVoltageMax),
        RegisterPoint(address: 0, table: .input, type: .int16, scale: 0.1, unit: "degC", field: .cellTemperatureMin),
        RegisterPoint(address: 1, table: .input, type: .int16, scale: 0.1, unit: "degC", field: .cellTemperatureMax),
    ])

    @Test func mapWithExtremeFieldsDecodesAndValidates() throws {
        let json = """
            {"name": "extremes", "points": [
              {"address": 2, "table": "holding", "type": "uint16", "scale": 0.001, "field": "cell_voltage_min"},
              {"address": 3, "table": "holding", "type": "uint16", "scale": 0.001, "field": "cell_voltage_max"},
              {"address": 4, "table": "holding", "type": "int16", "scale": 0.1, "field": "cell_temperature_min"},
              {"address": 5, "table": "holding", "type": "int16", "scale": 0.1, "field": "cell_temperature_max"}]}
            """
        let map = try WireCoding.decode(RegisterMap.self, from: Data(json.utf8))
        #expect(map.points.map(\.field) == [.cellVoltageMin, .cellVoltageMax, .cellTemperatureMin, .cellTemperatureMax])
        #expect(map.validate().isEmpty)
        #expect(Self.map.validate().isEmpty)
    }

    @Test func extremesFillTheSnapshotAndGoStaleLikeCells() throws {
        let plan = Self.map.readPlan()
        try #require(plan == [
            RegisterBlock(table: .holding, address: 0, count: 4), RegisterBlock(table: .input, address: 0, count: 2),
        ])
        // 53.20 V, −10.0 A, 3.301 V, 3.345 V, 25.3 °C, 31.2 °C.
        let values = Self.map.decode(blocks: [plan[0]: [5320, 0xFF9C, 3301, 3345], plan[1]: [253, 312]])
        #expect(CANTestFixtures.close(values[.cellVoltageMin] ?? .nan, 3.301))
        #expect(CANTestFixtures.close(values[.cellTemperatureMax] ?? .nan, 31.2))

        let first = PackSnapshot(deviceID: "p", at: Self.start, values: values, cellCount: 0, temperatureCount: 0)
        #expect(first.cellVoltages.isEmpty && first.cellTemperatures.isEmpty)
        #expect(first.cellVoltageMin?.measuredAt == Self.start && first.cellVoltageMin?.isStale == false)
        #expect(CANTestFixtures.close(first.cellVoltageMax?.value ?? .nan, 3.345))
        #expect(CANTestFixtures.close(first.cellTemperatureMin?.value ?? .nan, 25.3))
        #expect(CANTestFixtures.close(first.cellTemperatureMax?.value ?? .nan, 31.2))
        let input = SafetyInput(first)
        #expect(CANTestFixtures.close(input[.maxCellVoltage]?.value ?? .nan, 3.345))
        #expect(input[.maxCellVoltage]?.cellNumber == nil && input[.minCellVoltage]?.cellNumber == nil)
        #expect(CANTestFixtures.close(input[.cellVoltageSpread]?.value ?? .nan, 0.044))
        #expect(CANTestFixtures.close(input[.maxTemperature]?.value ?? .nan, 31.2))
        #expect(input[.maxTemperature]?.cellNumber == nil)

        // The input block fails on the next read: the temperatures are kept from the first read, marked stale.
        let later = Self.start.adding(milliseconds: 1000)
        let partial = Self.map.decode(blocks: [plan[0]: [5320, 0xFF9C, 3302, 3346]])
        let second = PackSnapshot(
            deviceID: "p", at: later, values: partial, cellCount: 0, temperatureCount: 0, previous: first)
        #expect(second.cellTemperatureMin == first.cellTemperatureMin?.markedStale)
        #expect(second.cellTemperatureMax == first.cellTemperatureMax?.markedStale)
        #expect(second.cellVoltageMax?.measuredAt == later && second.cellVoltageMax?.isStale == false)
        #expect(SafetyInput(second)[.maxTemperature] == nil)
        #expect(SafetyInput(second)[.maxCellVoltage] != nil)

        // A map without extreme fields leaves them nil.
        let plain = PackSnapshot(
            deviceID: "p", at: later, values: [.packVoltage: 53.2, .cellVoltage(1): 3.3], cellCount: 1, temperatureCount: 0)
        #expect(plain.cellVoltageMin == nil && plain.cellVoltageMax == nil)
        #expect(plain.cellTemperatureMin == nil && plain.cellTemperatureMax == nil)
        #expect(plain.cellVoltages.map(\.value) == [3.3])
    }
}
