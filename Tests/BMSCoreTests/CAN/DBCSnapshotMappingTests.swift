import Testing

@testable import BMSCore

/// The DBC → snapshot mapping: decoding from a YAML-shaped tree, validation against a DBC, and the
/// accumulator that turns frames into snapshots with stale values.
@Suite("DBC snapshot mapping")
struct DBCSnapshotMappingTests {
    static let tree: JSONValue = [
        "name": "Realistic pack",
        "signals": [
            ["signal": "Measurements.PackVoltage", "field": "pack_voltage"],
            ["signal": "PackCurrent", "field": "pack_current", "invert_sign": true],
            ["signal": "PackTemp", "field": "pack_temperature"],
            ["signal": "CellVoltageA", "field": "cell_voltage[1]", "scale": 1000, "offset": 0],
            ["signal": "CellTempA", "field": "cell_temperature[2]"],
            ["signal": "OverTemp", "field": "alarm_flags"],
            ["signal": "ChargeCurrentLimit", "field": "max_charge_current"],
        ],
    ]

    static func mapping() throws -> DBCSnapshotMapping { try WireCoding.decode(DBCSnapshotMapping.self, from: tree) }

    @Test func decodesWithDefaults() throws {
        let mapping = try Self.mapping()
        #expect(mapping.name == "Realistic pack")
        #expect(mapping.signals.count == 7)
        let voltage = mapping.signals[0]
        #expect(voltage.messageName == "Measurements" && voltage.signalName == "PackVoltage")
        #expect(voltage.scale == 1 && voltage.offset == 0 && !voltage.invertSign && voltage.field == .packVoltage)
        #expect(mapping.signals[1].messageName == nil && mapping.signals[1].invertSign)
        #expect(mapping.signals[1].snapshotValue(ofPhysical: 27) == -27)
        #expect(mapping.signals[3].snapshotValue(ofPhysical: 0.0033) == 3.3)
        #expect(mapping.signals[4].field == .cellTemperature(2))
    }

    @Test func decodingErrorsNameTheKey() {
        #expect(throws: WireDecodingError(path: "signals[0].scael", reason: "unknown key 'scael'; accepted keys: signal, field, scale, offset, invert_sign")) {
            try WireCoding.decode(DBCSnapshotMapping.self, from: ["signals": [["signal": "A", "field": "soc", "scael": 2]]])
        }
        #expect(throws: WireDecodingError.self) {
            try WireCoding.decode(DBCSnapshotMapping.self, from: ["signals": [["signal": "A", "field": "volts"]]])
        }
        #expect(throws: WireDecodingError(path: "signals", reason: "missing required field")) {
            try WireCoding.decode(DBCSnapshotMapping.self, from: ["name": "x"])
        }
    }

    @Test func validationReportsEveryUnknownSignalByName() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        #expect(try Self.mapping().validate(against: database).isEmpty)
        let bad = DBCSnapshotMapping(signals: [
            .init(signal: "NoSuchSignal", field: .soc),
            .init(signal: "Nowhere.PackVoltage", field: .soh),
            .init(signal: "Measurements.NoSuch", field: .packPower),
            .init(signal: "PackVoltage", field: .packVoltage, scale: 0),
            .init(signal: "PackTemp", field: .packVoltage, offset: .infinity),
        ])
        let errors = bad.validate(against: database)
        #expect(errors.map(\.field) == [
            "signals[0].signal", "signals[1].signal", "signals[2].signal", "signals[3].scale", "signals[4].offset",
            "signals[4].field",
        ])
        #expect(errors[0].message == "No signal 'NoSuchSignal' in the DBC")
        #expect(errors[1].message == "No message 'Nowhere' in the DBC")
        #expect(errors[2].message == "Message 'Measurements' has no signal 'NoSuch'")
        #expect(errors[4].receivedValue == .string("+Infinity"))
        #expect(errors[5].message == "Field 'pack_voltage' is already fed by signals[3]")
        #expect(throws: ValidationFailure.self) { try bad.validated(against: database) }
        #expect(DBCSnapshotMapping(signals: []).validate(against: database).map(\.field) == ["signals"])

        // A bare name found in two messages is ambiguous.
        let twice = try CANTestFixtures.database(
            "BO_ 1 A: 1 X\n SG_ Same : 0|8@1+ (1,0) [0|0] \"\" X\nBO_ 2 B: 1 X\n SG_ Same : 0|8@1+ (1,0) [0|0] \"\" X")
        let ambiguous = DBCSnapshotMapping(signals: [.init(signal: "Same", field: .soc)]).validate(against: twice)
        #expect(ambiguous.map(\.message) == ["Signal 'Same' is in several messages (A, B); write Message.Signal"])
        #expect(DBCSnapshotMapping(signals: [.init(signal: "B.Same", field: .soc)]).validate(against: twice).isEmpty)
    }

    @Test func filtersPassTheMappedMessages() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        let filters = try Self.mapping().filters(in: database)
        #expect(filters.contains { !$0.isExtended && $0.matches(id: 0x356) })
        #expect(filters.contains { !$0.isExtended && $0.matches(id: 0x351) })
        #expect(filters.contains { $0.isExtended && $0.matches(id: 0x18FE_CA01) })
        #expect(!filters.contains { !$0.isExtended && $0.matches(id: 0x357) })
    }

    @Test func accumulatorBuildsSnapshotsAndMarksStaleValues() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        var accumulator = DBCSnapshotAccumulator(database: database, mapping: try Self.mapping())
        let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        #expect(!accumulator.hasReceivedData)
        // 49.86 V, −27.0 A (DBC: > 0 charging → PulseBMS +27 A), 36.3 °C, OverTemp set.
        accumulator.ingest(try CANFrame(id: 0x356, data: CANTestFixtures.bytes("7A13F2FE6B010100")), at: start)
        accumulator.ingest(
            try CANFrame(id: 0x18FE_CA01, isExtended: true, data: CANTestFixtures.bytes("0000E40C00000000")), at: start.adding(milliseconds: 500))
        accumulator.ingest(try CANFrame(id: 0x351, data: CANTestFixtures.bytes("1402740E740ECC01")), at: start)
        accumulator.ingest(try CANFrame(id: 0x7FF, data: []), at: start)
        accumulator.ingest(try CANFrame(id: 0x356, data: [1]), at: start)
        #expect(accumulator.decodedFrameCount == 3)
        #expect(accumulator.ignoredFrameCount == 1)
        #expect(accumulator.failedFrameCount == 1)
        #expect(accumulator.lastFailure == .frameTooShort(message: "Measurements", length: 1, needed: 8))

        let fresh = accumulator.snapshot(deviceID: "pack-1", at: start.adding(milliseconds: 1000))
        #expect(fresh.voltage == Measured(49.86, at: start))
        #expect(fresh.current?.value == 27)
        #expect(fresh.operationalState?.value == .discharging)
        #expect(fresh.temperature?.value == 36.300000000000004 || fresh.temperature?.value == 36.3)
        #expect(fresh.cellVoltages.count == 1)
        #expect(CANTestFixtures.close(fresh.cellVoltages[0].value, 3300))
        #expect(fresh.cellTemperatures.count == 2 && fresh.cellTemperatures.allSatisfy { $0.isStale && $0.value.isNaN })
        #expect(fresh.packAlarmFlags == Measured(["Over temperature"], at: start))
        #expect(fresh.power?.value == 49.86 * 27)
        #expect(fresh.dataQuality == 1)
        #expect(fresh.secondsSinceLastRead == 0.5)
        #expect(accumulator.value(of: .maxChargeCurrent, at: start)?.value == 370)

        // 3 s after the 0x356 frame its values are still fresh; just after, stale but kept.
        let edge = accumulator.snapshot(deviceID: "pack-1", at: start.adding(milliseconds: 3000))
        #expect(edge.voltage?.isStale == false)
        let stale = accumulator.snapshot(deviceID: "pack-1", at: start.adding(milliseconds: 3001))
        #expect(stale.voltage == Measured(49.86, at: start, isStale: true))
        #expect(stale.packAlarmFlags?.isStale == true)
        #expect(stale.cellVoltages[0].isStale == false)
        #expect(stale.dataQuality == 1.0 / 6)  // of 6 received values only the cell voltage is fresh
        #expect(CANTestFixtures.close(SafetyInput(stale)[.maxCellVoltage]?.value ?? 0, 3300))
        #expect(SafetyInput(stale)[.dischargeCurrent] == nil)
    }

    /// A DBC of a pack that reports only its extremes, laid out like the CAN-bus BMS frame 0x373.
    static let extremesDBC = """
        BO_ 883 CellExtremes: 8 BMS
         SG_ MinCellVoltage : 0|16@1+ (1,0) [0|65535] "mV" INV
         SG_ MaxCellVoltage : 16|16@1+ (1,0) [0|65535] "mV" INV
         SG_ MinCellTemp : 32|16@1+ (1,0) [0|65535] "K" INV
         SG_ MaxCellTemp : 48|16@1+ (1,0) [0|65535] "K" INV
        """

    static let extremesTree: JSONValue = [
        "name": "Extremes only",
        "signals": [
            ["signal": "MinCellVoltage", "field": "cell_voltage_min", "scale": 0.001],
            ["signal": "MaxCellVoltage", "field": "cell_voltage_max", "scale": 0.001],
            ["signal": "CellExtremes.MinCellTemp", "field": "cell_temperature_min", "offset": -273.15],
            ["signal": "CellExtremes.MaxCellTemp", "field": "cell_temperature_max", "offset": -273.15],
        ],
    ]

    @Test func extremesOnlyMappingFillsTheSnapshotsExtremes() throws {
        let database = try CANTestFixtures.database(Self.extremesDBC)
        let mapping = try WireCoding.decode(DBCSnapshotMapping.self, from: Self.extremesTree)
        #expect(mapping.signals.map(\.field) == [.cellVoltageMin, .cellVoltageMax, .cellTemperatureMin, .cellTemperatureMax])
        #expect(mapping.validate(against: database).isEmpty)

        var accumulator = DBCSnapshotAccumulator(database: database, mapping: mapping)
        let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        // 3300 mV, 3354 mV, 298 K, 317 K.
        accumulator.ingest(try CANFrame(id: 0x373, data: CANTestFixtures.bytes("E40C1A0D2A013D01")), at: start)
        #expect(accumulator.decodedFrameCount == 1)

        let snapshot = accumulator.snapshot(deviceID: "dbc-pack", at: start.adding(milliseconds: 200))
        #expect(snapshot.cellVoltages.isEmpty && snapshot.cellTemperatures.isEmpty)
        #expect(CANTestFixtures.close(snapshot.cellVoltageMin?.value ?? .nan, 3.3))
        #expect(CANTestFixtures.close(snapshot.cellVoltageMax?.value ?? .nan, 3.354))
        #expect(CANTestFixtures.close(snapshot.cellTemperatureMin?.value ?? .nan, 298 - 273.15))
        #expect(CANTestFixtures.close(snapshot.cellTemperatureMax?.value ?? .nan, 317 - 273.15))
        #expect(snapshot.cellVoltageMax?.measuredAt == start && snapshot.cellVoltageMax?.isStale == false)

        // The safety path sees them like the CAN-bus BMS extremes: no cell number.
        let input = SafetyInput(snapshot)
        #expect(CANTestFixtures.close(input[.maxCellVoltage]?.value ?? .nan, 3.354))
        #expect(input[.maxCellVoltage]?.cellNumber == nil)
        #expect(CANTestFixtures.close(input[.cellVoltageSpread]?.value ?? .nan, 0.054))
        #expect(CANTestFixtures.close(input[.maxTemperature]?.value ?? .nan, 317 - 273.15))
        #expect(input[.maxTemperature]?.cellNumber == nil)

        // Silent for longer than the stale window: kept, stale, and no longer seen by the safety path.
        let stale = accumulator.snapshot(deviceID: "dbc-pack", at: start.adding(milliseconds: 3001))
        #expect(stale.cellVoltageMax?.isStale == true && stale.cellTemperatureMin?.isStale == true)
        #expect(SafetyInput(stale)[.maxCellVoltage] == nil && SafetyInput(stale)[.minTemperature] == nil)

        // Only one signal may feed each extreme.
        var twice = mapping
        twice.signals.append(.init(signal: "MinCellVoltage", field: .cellVoltageMax))
        let errors = twice.validate(against: database)
        #expect(errors.map(\.message) == ["Field 'cell_voltage_max' is already fed by signals[1]"])
    }
}
