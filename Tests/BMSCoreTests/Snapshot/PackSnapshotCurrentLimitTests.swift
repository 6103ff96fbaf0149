import Testing

@testable import BMSCore

/// SAF-PCL-01 sources: the pack's own current limits reach `PackSnapshot` from CAN-bus BMS frames (0x351 CCL /
/// DCL, 0x35C enable flags), register maps and DBC signal maps, and go stale rather than away.
@Suite("Snapshot: the pack's own current limits")
struct PackSnapshotCurrentLimitTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    static func canSnapshot(_ image: CANBusBMSPackImage, at time: Timestamp = PackSnapshotCurrentLimitTests.start) -> PackSnapshot {
        var accumulator = CANBusBMSAccumulator()
        for frame in CANBusBMSEncoder.frames(for: image) { accumulator.ingest(frame, at: start) }
        return accumulator.snapshot(deviceID: "can", at: time)
    }

    static func image(
        charge: Double, discharge: Double, chargeEnabled: Bool = true, dischargeEnabled: Bool = true,
        alarmFrames: CANBusBMSPackImage.AlarmFrames
    ) -> CANBusBMSPackImage {
        CANBusBMSPackImage(
            voltage: 51.2, current: 0, temperature: 25, soc: 50, chargeCurrentLimit: charge, dischargeCurrentLimit: discharge,
            chargeEnabled: chargeEnabled, dischargeEnabled: dischargeEnabled, alarmFrames: alarmFrames)
    }

    @Test func canBusBMSLimitsFillTheSnapshot() {
        // No 0x35C (Victron-style 0x35A only): the 0x351 limits as sent.
        let victron = Self.canSnapshot(Self.image(charge: 100, discharge: 150.5, alarmFrames: .victron35A))
        #expect(victron.packChargeCurrentLimit == Measured(100, at: Self.start))
        #expect(CANTestFixtures.close(victron.packDischargeCurrentLimit?.value ?? .nan, 150.5))
        // 0x35C with both directions enabled: the same.
        let enabled = Self.canSnapshot(Self.image(charge: 100, discharge: 150.5, alarmFrames: .pylontech359))
        #expect(enabled.packChargeCurrentLimit == Measured(100, at: Self.start))
        #expect(CANTestFixtures.close(enabled.packDischargeCurrentLimit?.value ?? .nan, 150.5))
        // A negative CCL reads as 0.
        let negative = Self.canSnapshot(Self.image(charge: -3, discharge: 10, alarmFrames: .victron35A))
        #expect(negative.packChargeCurrentLimit == Measured(0, at: Self.start))
    }

    @Test(arguments: [(true, false), (false, true), (false, false)])
    func disabledDirectionIsZero(chargeEnabled: Bool, dischargeEnabled: Bool) {
        let snapshot = Self.canSnapshot(
            Self.image(charge: 100, discharge: 150, chargeEnabled: chargeEnabled, dischargeEnabled: dischargeEnabled, alarmFrames: .both))
        #expect(snapshot.packChargeCurrentLimit == Measured(chargeEnabled ? 100.0 : 0.0, at: Self.start))
        #expect(snapshot.packDischargeCurrentLimit == Measured(dischargeEnabled ? 150.0 : 0.0, at: Self.start))
    }

    @Test func canLimitsGoStaleNotAway() throws {
        let later = Self.start.adding(milliseconds: 3001)
        let stale = Self.canSnapshot(Self.image(charge: 100, discharge: 0, dischargeEnabled: false, alarmFrames: .pylontech359), at: later)
        #expect(stale.packChargeCurrentLimit == Measured(100, at: Self.start, isStale: true))
        #expect(stale.packDischargeCurrentLimit == Measured(0, at: Self.start, isStale: true))
        // The real Pylontech capture: 0x351 CCL and DCL 370.0 A, no 0x35C.
        let capture = try CANBusBMSTests.pylontechCaptures().snapshot(deviceID: "pylon", at: Self.start)
        #expect(capture.packChargeCurrentLimit == Measured(370, at: Self.start))
        #expect(capture.packDischargeCurrentLimit == Measured(370, at: Self.start))
        // Nothing received: no limits.
        let empty = CANBusBMSAccumulator().snapshot(deviceID: "none", at: Self.start)
        #expect(empty.packChargeCurrentLimit == nil && empty.packDischargeCurrentLimit == nil)
    }

    @Test func registerMapLimitsFillTheSnapshotAndGoStaleLikeCells() throws {
        let map = RegisterMap(name: "limits", points: [
            RegisterPoint(address: 0, type: .uint16, scale: 0.01, unit: "V", field: .packVoltage),
            RegisterPoint(address: 1, type: .uint16, scale: 0.1, unit: "A", field: .maxChargeCurrent),
            RegisterPoint(address: 0, table: .input, type: .int16, scale: 0.1, unit: "A", field: .maxDischargeCurrent),
        ])
        #expect(map.validate().isEmpty)
        let plan = map.readPlan()
        let holding = try #require(plan.first(where: { $0.table == .holding }))
        let input = try #require(plan.first(where: { $0.table == .input }))
        // 51.20 V, charge 100.0 A, discharge 150.0 A.
        let first = PackSnapshot(
            deviceID: "p", at: Self.start, values: map.decode(blocks: [holding: [5120, 1000], input: [1500]]), cellCount: 0,
            temperatureCount: 0)
        #expect(CANTestFixtures.close(first.packChargeCurrentLimit?.value ?? .nan, 100))
        #expect(first.packChargeCurrentLimit?.measuredAt == Self.start && first.packChargeCurrentLimit?.isStale == false)
        #expect(CANTestFixtures.close(first.packDischargeCurrentLimit?.value ?? .nan, 150))

        // The input block fails: the discharge limit is kept, stale, not dropped.
        let later = Self.start.adding(milliseconds: 1000)
        let second = PackSnapshot(
            deviceID: "p", at: later, values: map.decode(blocks: [holding: [5120, 800]]), cellCount: 0, temperatureCount: 0,
            previous: first)
        #expect(second.packDischargeCurrentLimit == first.packDischargeCurrentLimit?.markedStale)
        #expect(CANTestFixtures.close(second.packChargeCurrentLimit?.value ?? .nan, 80))
        #expect(second.packChargeCurrentLimit?.isStale == false)

        // A negative value reads as 0; a map without the fields leaves them nil.
        let negative = PackSnapshot(
            deviceID: "p", at: later, values: [.maxDischargeCurrent: -5, .maxChargeCurrent: 0], cellCount: 0, temperatureCount: 0)
        #expect(negative.packDischargeCurrentLimit == Measured(0, at: later))
        #expect(negative.packChargeCurrentLimit == Measured(0, at: later))
        let plain = PackSnapshot(deviceID: "p", at: later, values: [.packVoltage: 51.2], cellCount: 0, temperatureCount: 0)
        #expect(plain.packChargeCurrentLimit == nil && plain.packDischargeCurrentLimit == nil)
    }

    @Test func dbcLimitsFillTheSnapshot() throws {
        let database = try CANTestFixtures.database(CANTestFixtures.realisticDBC)
        let mapping = DBCSnapshotMapping(signals: [
            .init(signal: "Measurements.PackVoltage", field: .packVoltage),
            .init(signal: "Limits.ChargeCurrentLimit", field: .maxChargeCurrent),
            .init(signal: "Limits.DischargeCurrentLimit", field: .maxDischargeCurrent),
        ])
        #expect(mapping.validate(against: database).isEmpty)
        var accumulator = DBCSnapshotAccumulator(database: database, mapping: mapping)
        // CVL 53.2 V, CCL 100.0 A, DCL −5.0 A (read as 0), DVL 46.0 V.
        accumulator.ingest(try CANFrame(id: 0x351, data: CANTestFixtures.bytes("1402E803CEFFCC01")), at: Self.start)
        let fresh = accumulator.snapshot(deviceID: "dbc", at: Self.start.adding(milliseconds: 1000))
        #expect(CANTestFixtures.close(fresh.packChargeCurrentLimit?.value ?? .nan, 100))
        #expect(fresh.packChargeCurrentLimit?.isStale == false && fresh.packChargeCurrentLimit?.measuredAt == Self.start)
        #expect(fresh.packDischargeCurrentLimit == Measured(0, at: Self.start))
        let stale = accumulator.snapshot(deviceID: "dbc", at: Self.start.adding(milliseconds: 3001))
        #expect(stale.packChargeCurrentLimit?.isStale == true && stale.packDischargeCurrentLimit?.isStale == true)
        #expect(CANTestFixtures.close(stale.packChargeCurrentLimit?.value ?? .nan, 100))
    }

    @Test func markedStaleKeepsTheLimits() {
        let snapshot = PackSnapshot(
            deviceID: "p", takenAt: Self.start, voltage: Measured(51.2, at: Self.start),
            packChargeCurrentLimit: Measured(50, at: Self.start), packDischargeCurrentLimit: Measured(0, at: Self.start))
        let stale = snapshot.markedStale(at: Self.start.adding(milliseconds: 5000), dataQuality: 0.5)
        #expect(stale.packChargeCurrentLimit == Measured(50, at: Self.start, isStale: true))
        #expect(stale.packDischargeCurrentLimit == Measured(0, at: Self.start, isStale: true))
    }
}
