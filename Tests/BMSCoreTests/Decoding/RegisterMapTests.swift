import Foundation
import Testing

@testable import BMSCore

/// Register maps: value types and word orders against hand-computed registers, read plans, validation and the
/// wire form of fields.
@Suite("Register maps")
struct RegisterMapTests {
    // MARK: - Values

    @Test(arguments: [
        (.int16, .big, [0xFF9C], -100), (.uint16, .big, [0xFF9C], 65436), (.int16, .little, [0x0005], 5),
        (.int32, .big, [0xFFFE, 0x1DC0], -123_456), (.int32, .little, [0x1DC0, 0xFFFE], -123_456),
        (.uint32, .big, [0xEE6B, 0x2800], 4_000_000_000), (.uint32, .little, [0x2800, 0xEE6B], 4_000_000_000),
        (.float32, .big, [0x4049, 0x0FD0], Double(Float(3.14159))),  // 0x40490FD0
        (.float32, .little, [0x0FD0, 0x4049], Double(Float(3.14159))),
    ] as [(RegisterPoint.ValueType, RegisterPoint.WordOrder, [UInt16], Double)])
    func rawValue(
        type: RegisterPoint.ValueType, wordOrder: RegisterPoint.WordOrder, words: [UInt16], expected: Double
    ) {
        let point = RegisterPoint(address: 0, type: type, wordOrder: wordOrder, field: .soc)
        #expect(point.rawValue(words: words) == expected)
    }

    @Test func physicalValueIsRawTimesScalePlusOffset() {
        let temperature = RegisterPoint(address: 4, type: .int16, scale: 0.1, offset: -40, field: .packTemperature)
        #expect(temperature.physicalValue(words: [0xFF9C]) == -50)  // −100 × 0.1 − 40
        let voltage = RegisterPoint(address: 0, type: .uint16, scale: 0.01, field: .packVoltage)
        #expect(voltage.physicalValue(words: [5320]) == 53.2)
        let third = RegisterPoint(address: 2, type: .uint16, scale: 0.01, field: .packVoltage)
        #expect(third.value(in: [1, 2, 5320], blockAddress: 0) == 53.2)
        #expect(third.value(in: [5320], blockAddress: 2) == 53.2)
        #expect(third.value(in: [1, 2], blockAddress: 0) == nil)  // short read
        #expect(voltage.value(in: [1, 2], blockAddress: 1) == nil)  // the block starts after the point
        #expect(voltage.value(in: [1, 2], blockAddress: -5) == nil)
    }

    @Test func unusableWordsGiveNil() {
        let float = RegisterPoint(address: 0, type: .float32, field: .packPower)
        #expect(float.physicalValue(words: [0x7FC0, 0x0000]) == nil)  // NaN
        #expect(float.physicalValue(words: [0x7F80, 0x0000]) == nil)  // +infinity
        #expect(float.physicalValue(words: [0x4049]) == nil)  // short read
        #expect(RegisterPoint(address: 0, type: .uint16, field: .soc).physicalValue(words: []) == nil)
    }

    // MARK: - Read plan

    @Test func nearbyPointsShareABlockAndTablesAreSeparate() {
        let map = RegisterMap(name: "plan", points: [
            RegisterPoint(address: 19, type: .uint32, field: .soc),  // 9 registers after the block: new block
            RegisterPoint(address: 5, table: .input, type: .int16, field: .soh),
            RegisterPoint(address: 0, type: .uint16, field: .packVoltage),
            RegisterPoint(address: 9, type: .uint16, field: .packCurrent),  // 8 registers after 0: same block
            RegisterPoint(address: 9, type: .uint16, field: .alarmFlags),  // same register, other field
        ])
        #expect(
            map.readPlan() == [
                RegisterBlock(table: .holding, address: 0, count: 10),
                RegisterBlock(table: .holding, address: 19, count: 2),
                RegisterBlock(table: .input, address: 5, count: 1),
            ])
    }

    @Test func blocksStopAtTheModbusLimit() {
        let cells = (1...130).map { RegisterPoint(address: $0 - 1, type: .uint16, field: .cellVoltage($0)) }
        #expect(
            RegisterMap(name: "130 cells", points: cells).readPlan() == [
                RegisterBlock(table: .holding, address: 0, count: 125),
                RegisterBlock(table: .holding, address: 125, count: 5),
            ])
        // A 32-bit point that would end past the limit starts the next block.
        let straddling = Array(cells.prefix(124)) + [RegisterPoint(address: 124, type: .float32, field: .soc)]
        #expect(
            RegisterMap(name: "straddling", points: straddling).readPlan() == [
                RegisterBlock(table: .holding, address: 0, count: 124),
                RegisterBlock(table: .holding, address: 124, count: 2),
            ])
        let small = RegisterMap(name: "small reads", points: Array(cells.prefix(30)))
        #expect(small.readPlan(maximumRegisterCount: 10).map(\.count) == [10, 10, 10])
        #expect(small.readPlan(maximumRegisterCount: 500).map(\.count) == [30])
    }

    @Test func pointsOutsideTheAddressSpaceAreLeftOut() {
        let map = RegisterMap(name: "out of range", points: [
            RegisterPoint(address: 70000, type: .uint16, field: .soc),
            RegisterPoint(address: 65535, type: .uint32, field: .soh),
            RegisterPoint(address: Int.max, type: .uint32, field: .packPower),
            RegisterPoint(address: 65535, type: .uint16, field: .packVoltage),
        ])
        #expect(map.readPlan() == [RegisterBlock(table: .holding, address: 65535, count: 1)])
        let lastRegister = RegisterBlock(table: .holding, address: 65535, count: 1)
        let expected: [SnapshotField: Double] = [.packVoltage: 7]
        #expect(map.decode(blocks: [lastRegister: [7]]) == expected)
    }

    // MARK: - Decoding blocks

    private static let small = RegisterMap(name: "small", points: [
        RegisterPoint(address: 0, type: .uint16, scale: 0.01, unit: "V", field: .packVoltage),
        RegisterPoint(address: 1, type: .int16, scale: 0.1, unit: "A", field: .packCurrent),
        RegisterPoint(address: 16, type: .uint16, scale: 0.001, unit: "V", field: .cellVoltage(1)),
        RegisterPoint(address: 0, table: .input, type: .int16, scale: 0.1, unit: "degC", field: .cellTemperature(1)),
    ])

    @Test func decodeReadsEveryPointFromItsBlock() throws {
        // Addresses 1 and 16 are 14 registers apart: one read only if gaps of that size are bridged.
        #expect(Self.small.readPlan().count == 3)
        let plan = Self.small.readPlan(maximumGap: 16)
        let expectedPlan = [
            RegisterBlock(table: .holding, address: 0, count: 17), RegisterBlock(table: .input, address: 0, count: 1),
        ]
        try #require(plan == expectedPlan)
        var holding = [UInt16](repeating: 0, count: 17)
        holding[0] = 5320
        holding[1] = 0xFF9C
        holding[16] = 3345
        let values = Self.small.decode(blocks: [plan[0]: holding, plan[1]: [253]])
        let all: [SnapshotField: Double] = [
            .packVoltage: 53.2, .packCurrent: -10, .cellVoltage(1): 3.345, .cellTemperature(1): 25.3,
        ]
        #expect(values == all)
        // A missing block or a short read leaves its points out.
        let temperatureOnly: [SnapshotField: Double] = [.cellTemperature(1): 25.3]
        #expect(Self.small.decode(blocks: [plan[1]: [253]]) == temperatureOnly)
        let packOnly: [SnapshotField: Double] = [.packVoltage: 53.2, .packCurrent: -10]
        #expect(Self.small.decode(blocks: [plan[0]: [5320, 0xFF9C]]) == packOnly)
        #expect(Self.small.decode(blocks: [:]).isEmpty)
    }

    // MARK: - Validation

    @Test func validationReportsEveryProblemWithItsPath() throws {
        let map = RegisterMap(name: "bad", points: [
            RegisterPoint(address: -1, type: .uint16, field: .soc),
            RegisterPoint(address: 65535, type: .uint32, field: .soh),
            RegisterPoint(address: 10, type: .uint16, scale: 0, field: .packVoltage),
            RegisterPoint(address: 11, type: .uint16, scale: .nan, field: .packCurrent),
            RegisterPoint(address: 12, type: .uint16, offset: .infinity, field: .packPower),
            RegisterPoint(address: 13, type: .uint16, field: .soc),
            RegisterPoint(address: 65535, type: .uint16, field: .cellVoltage(1)),
            RegisterPoint(address: 65534, type: .float32, field: .cellVoltage(2)),
        ])
        let errors = map.validate()
        #expect(
            errors.map(\.field) == [
                "points[0].address", "points[1].address", "points[2].scale", "points[3].scale", "points[4].offset",
                "points[5].field",
            ])
        try #require(errors.count == 6)
        #expect(errors[0].receivedValue == .number(-1))
        #expect(errors[1].message.contains("65536"))
        #expect(errors[3].receivedValue == .string("NaN"))
        #expect(errors[4].receivedValue == .string("+Infinity"))
        #expect(errors[5].message.contains("points[0]"))
        #expect(throws: ValidationFailure.self) { try map.validated() }
    }

    @Test func emptyMapIsInvalidAndAGoodMapIsValid() throws {
        #expect(RegisterMap(name: " ", points: []).validate().map(\.field) == ["name", "points"])
        #expect(Self.small.validate().isEmpty)
        #expect(try Self.small.validated() == Self.small)
    }
}

/// The wire form of register maps and fields, decoded through `WireCoding` as a stand-in for the agent's YAML.
@Suite("Register map coding")
struct RegisterMapCodingTests {
    private static let examples: [SnapshotField] =
        SnapshotField.simpleFields + [.cellVoltage(1), .cellVoltage(1024), .cellTemperature(3), .balancing(16)]

    @Test func everyFieldRoundTripsThroughItsName() throws {
        for field in Self.examples {
            #expect(try SnapshotField(parsing: field.name) == field)
        }
        let data = try WireCoding.encode(Self.examples)
        #expect(try WireCoding.decode([SnapshotField].self, from: data) == Self.examples)
        let encoded = try WireCoding.encode(SnapshotField.cellVoltage(3))
        #expect(String(decoding: encoded, as: UTF8.self) == "\"cell_voltage[3]\"")
        #expect(SnapshotField.cellTemperature(2).cellNumber == 2)
        #expect(SnapshotField.soc.cellNumber == nil)
    }

    @Test(arguments: [
        "cell_voltage[0]", "cell_voltage[1025]", "cell_voltage[]", "cell_voltage[-1]", "cell_voltage[+3]",
        "cell_voltage[ 3]", "cell_voltage[3", "cell_voltage3]", "cell_voltage[99999999999999999999999]",
        "balancing[1x]", "soc[1]", "pack_volts", "Pack_Voltage", "", "cell_voltage_min[1]", "cell_voltage_minimum",
    ])
    func badNamesAreRefused(text: String) {
        #expect(throws: SnapshotField.ParseError.self) { try SnapshotField(parsing: text) }
    }

    @Test(arguments: [
        ("cell_voltage_min", .cellVoltageMin), ("cell_voltage_max", .cellVoltageMax),
        ("cell_temperature_min", .cellTemperatureMin), ("cell_temperature_max", .cellTemperatureMax),
    ] as [(String, SnapshotField)])
    func cellExtremeFieldsHaveTheirNames(text: String, field: SnapshotField) throws {
        #expect(try SnapshotField(parsing: text) == field)
        #expect(field.name == text)
        #expect(field.cellNumber == nil)
        #expect(SnapshotField.simpleFields.contains(field))
        #expect(SnapshotField.acceptedForms.contains(text))
    }

    @Test func parseErrorsSayWhatIsAccepted() {
        do {
            _ = try SnapshotField(parsing: "pack_volts")
            Issue.record("pack_volts was accepted")
        } catch {
            #expect(error.reason.contains("'pack_volts'"))
            #expect(error.reason.contains("pack_voltage, pack_current"))
            #expect(error.reason.contains("cell_voltage[n]"))
        }
        do {
            _ = try SnapshotField(parsing: "cell_voltage[0]")
            Issue.record("cell_voltage[0] was accepted")
        } catch {
            #expect(error.reason.contains("from 1 to 1024"))
        }
    }

    @Test func mapDecodesWithDefaultsAndRoundTrips() throws {
        let json = """
            {"name": "vendor", "byte_order": "big", "points": [
              {"address": 100, "table": "holding", "type": "float32", "field": "pack_voltage"},
              {"address": 0, "table": "input", "type": "uint16", "scale": 0.001, "offset": -0.5,
               "word_order": "little", "unit": "V", "field": "cell_voltage[2]"}]}
            """
        let map = try WireCoding.decode(RegisterMap.self, from: Data(json.utf8))
        #expect(map.byteOrder == .big)
        try #require(map.points.count == 2)
        #expect(map.points[0] == RegisterPoint(address: 100, type: .float32, field: .packVoltage))
        #expect(map.points[0].wordOrder == .big)  // absent: big
        #expect(map.points[1].table == .input)
        #expect(map.points[1].wordOrder == .little)
        #expect(map.points[1].scale == 0.001)
        #expect(map.points[1].offset == -0.5)
        #expect(map.points[1].field == .cellVoltage(2))
        #expect(try WireCoding.decode(RegisterMap.self, from: WireCoding.encode(map)) == map)
    }

    @Test(arguments: [
        (#"{"name": "m", "points": [{"address": 0, "table": "holding", "type": "uint16", "scal": 2, "field": "soc"}]}"#,
         "points[0].scal", "unknown key 'scal'"),
        (#"{"name": "m", "points": [{"address": 0, "table": "input", "type": "int16", "field": "cell_voltage[0]"}]}"#,
         "points[0].field", "from 1 to 1024"),
        (#"{"name": "m", "points": [{"address": 0, "table": "holding", "type": "int64", "field": "soc"}]}"#,
         "points[0].type", "int16, uint16, int32, uint32, float32"),
        (#"{"name": "m", "points": [{"address": 0, "table": "coils", "type": "uint16", "field": "soc"}]}"#,
         "points[0].table", "holding, input"),
        (#"{"name": "m", "byte_order": "little", "points": []}"#, "byte_order", "must be one of: big"),
        (#"{"name": "m", "points": [], "extra": 1}"#, "extra", "unknown key 'extra'"),
    ])
    func decodingErrorsNameThePath(json: String, path: String, reason: String) {
        do {
            _ = try WireCoding.decode(RegisterMap.self, from: Data(json.utf8))
            Issue.record("decoded \(json)")
        } catch {
            #expect(error.path == path)
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }
}
