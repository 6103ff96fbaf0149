import Testing

@testable import BMSCore

/// The CAN-bus BMS protocol (protocols.md §2): the real Pylontech captures, every frame, staleness, the alarm
/// and warning bits, the encoder round trip, and the safety path seeing the pack through the snapshot.
@Suite("CAN-bus BMS")
struct CANBusBMSTests {
    static let start = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    static func frame(_ id: UInt32, _ hex: String) throws -> CANFrame {
        try CANFrame(id: id, data: CANTestFixtures.bytes(hex))
    }

    static func pylontechCaptures() throws -> CANBusBMSAccumulator {
        var accumulator = CANBusBMSAccumulator()
        let outcomes = try [
            accumulator.ingest(frame(0x351, "1402740E740ECC01"), at: start),
            accumulator.ingest(frame(0x356, "7A13F2FE6B01"), at: start),
            accumulator.ingest(frame(0x355, "1A006400"), at: start),
        ]
        #expect(outcomes == [.accepted(.chargeDischargeLimits), .accepted(.voltageCurrentTemperature), .accepted(.stateOfChargeAndHealth)])
        return accumulator
    }

    @Test func realPylontechCaptures() throws {
        let accumulator = try Self.pylontechCaptures()
        let status = accumulator.status(at: Self.start)
        #expect(status.chargeVoltageLimit == Measured(53.2, at: Self.start))
        #expect(status.chargeCurrentLimit?.value == 370.0)
        #expect(status.dischargeCurrentLimit?.value == 370.0)
        #expect(status.dischargeVoltageLimit?.value == 46.0)
        #expect(status.voltage?.value == 49.86)
        // The capture says −27.0 A (the protocol's > 0 charging): PulseBMS reads +27.0 A, discharging.
        #expect(status.current?.value == 27.0)
        #expect(status.temperature?.value == 36.3)
        #expect(status.soc?.value == 26)
        #expect(status.soh?.value == 100)

        let snapshot = accumulator.snapshot(deviceID: "pylon", at: Self.start.adding(milliseconds: 400))
        #expect(snapshot.deviceID == "pylon")
        #expect(snapshot.voltage == Measured(49.86, at: Self.start))
        #expect(snapshot.current == Measured(27.0, at: Self.start))
        #expect(snapshot.power?.value == 49.86 * 27.0)
        #expect(snapshot.operationalState?.value == .discharging)
        #expect(snapshot.soc?.value == 26 && snapshot.soh?.value == 100)
        #expect(snapshot.cellVoltages.isEmpty && snapshot.cellTemperatures.isEmpty)
        #expect(snapshot.packAlarmFlags == nil)
        #expect(snapshot.dataQuality == 1)
        #expect(snapshot.secondsSinceLastRead == 0.4)
    }

    @Test func framesThatStopArrivingGoStaleNotZero() throws {
        var accumulator = try Self.pylontechCaptures()
        let later = Self.start.adding(milliseconds: 2000)
        accumulator.ingest(try Self.frame(0x356, "7A13F2FE6B01"), at: later)
        #expect(accumulator.isFresh(.stateOfChargeAndHealth, at: Self.start.adding(milliseconds: 3000)))
        let snapshot = accumulator.snapshot(deviceID: "pylon", at: Self.start.adding(milliseconds: 3001))
        #expect(snapshot.soc == Measured(26, at: Self.start, isStale: true))
        #expect(snapshot.voltage == Measured(49.86, at: later))
        #expect(!accumulator.isFresh(.chargeDischargeLimits, at: Self.start.adding(milliseconds: 3001)))
        #expect(!accumulator.isFresh(.cellExtremes, at: Self.start))
        #expect(accumulator.status(at: Self.start.adding(milliseconds: 3001)).chargeCurrentLimit?.isStale == true)
        #expect(snapshot.dataQuality == 1.0 / 3)
        #expect(snapshot.secondsSinceLastRead == 1.001)

        // A custom window.
        var quick = CANBusBMSAccumulator(staleAfter: .milliseconds(500))
        quick.ingest(try Self.frame(0x355, "1A006400"), at: Self.start)
        #expect(quick.snapshot(deviceID: "p", at: Self.start.adding(milliseconds: 501)).soc?.isStale == true)
        #expect(CANBusBMSAccumulator.defaultStaleAfter == .seconds(3))

        // Stale values neither trip nor release the safety rules.
        let input = SafetyInput(accumulator.snapshot(deviceID: "pylon", at: Self.start.adding(milliseconds: 9000)))
        #expect(input[.soc] == nil && input[.maxTemperature] == nil)
        #expect(input[.secondsSinceLastRead]?.value == 7)
    }

    @Test func pylontechProtectionBits() throws {
        var accumulator = CANBusBMSAccumulator()
        // Alarms: over-voltage (byte 0 bit 1), discharge over-current (bit 7), BMS internal (byte 1 bit 3);
        // warnings: over-temperature (byte 2 bit 3), charge over-current (byte 3 bit 0); 8 modules; "PN".
        accumulator.ingest(try Self.frame(0x359, "8208080108504E"), at: Self.start)
        accumulator.ingest(try Self.frame(0x35C, "A0"), at: Self.start)
        let status = accumulator.status(at: Self.start)
        #expect(status.alarms?.value == [.packOverVoltage, .dischargeOverCurrent, .bmsInternal])
        #expect(status.warnings?.value == [.packOverTemperature, .chargeOverCurrent])
        #expect(status.moduleCount?.value == 8)
        #expect(status.chargeEnabled?.value == true)
        #expect(status.dischargeEnabled?.value == false)
        #expect(status.forceChargeRequested?.value == true)
        #expect(status.flagNames == [
            "pack_over_voltage_alarm", "discharge_over_current_alarm", "bms_internal_alarm",
            "pack_over_temperature_warning", "charge_over_current_warning",
        ])
        let snapshot = accumulator.snapshot(deviceID: "p", at: Self.start)
        #expect(snapshot.packAlarmFlags == Measured(status.flagNames, at: Self.start))
    }

    @Test func victronAlarmPairs() throws {
        var accumulator = CANBusBMSAccumulator()
        // Byte 0: general OK (10), high V active (01), low V not supported (11), high T OK (10) = 0b10_11_01_10.
        // Byte 1: low T active, the rest OK = 0b10_10_10_01. Byte 2: high charge I active, BMS internal active.
        // Byte 3: imbalance active. Warnings: only low T charge (byte 5 pair 2) active, the others OK.
        accumulator.ingest(try Self.frame(0x35A, "B6A94101AA9A8202"), at: Self.start)
        let status = accumulator.status(at: Self.start)
        #expect(status.alarms?.value == [.packOverVoltage, .packUnderTemperature, .chargeOverCurrent, .bmsInternal, .cellImbalance])
        #expect(status.warnings?.value == [.chargeUnderTemperature])
        // 0x359 and 0x35A together: the union, stale if either is.
        accumulator.ingest(try Self.frame(0x359, "1000000000"), at: Self.start.adding(milliseconds: 2500))
        let both = accumulator.status(at: Self.start.adding(milliseconds: 4000))
        #expect(both.alarms?.value.contains(.packUnderTemperature) == true)
        #expect(both.alarms?.isStale == true)
        #expect(both.alarms?.measuredAt == Self.start.adding(milliseconds: 2500))
    }

    @Test func namesCountsAndCellExtremes() throws {
        var accumulator = CANBusBMSAccumulator()
        for (id, hex) in [
            (0x35E, "50594C4F4E202020"), (0x35F, "4C49031164000000"), (0x370, "5553324B42504C00"), (0x371, "20202020"),
            (0x372, "0200010000000100"), (0x373, "E40C1A0D2A013D01"), (0x379, "C800"),
        ] as [(UInt32, String)] {
            let outcome = accumulator.ingest(try Self.frame(id, hex), at: Self.start)
            #expect(outcome != .ignored)
        }
        let status = accumulator.status(at: Self.start)
        #expect(status.manufacturer?.value == "PYLON")
        #expect(status.chemistry?.value == "LI")
        #expect(status.versionCode?.value == 0x1103)
        #expect(status.capacityAmpHours?.value == 100)
        #expect(status.bmsName?.value == "US2KBPL")  // the NUL ends the first half; 0x371 is all spaces
        #expect(status.modulesOnline?.value == 2 && status.modulesBlockingCharge?.value == 1)
        #expect(status.modulesBlockingDischarge?.value == 0 && status.modulesOffline?.value == 1)
        #expect(status.cellVoltageMin?.value == 3.3 && status.cellVoltageMax?.value == 3.354)
        #expect(CANTestFixtures.close(status.cellTemperatureMin?.value ?? .nan, 298 - 273.15))  // 0x012A K
        #expect(CANTestFixtures.close(status.cellTemperatureMax?.value ?? .nan, 317 - 273.15))  // 0x013D K
        #expect(status.installedCapacityAmpHours?.value == 200)

        // The extremes reach the snapshot as extremes, not as invented cells, and the safety path without a
        // cell number (the protocol does not say which cell it is).
        let snapshot = accumulator.snapshot(deviceID: "p", at: Self.start)
        #expect(snapshot.cellVoltages.isEmpty && snapshot.cellTemperatures.isEmpty)
        #expect(snapshot.cellVoltageMin == Measured(3.3, at: Self.start))
        #expect(snapshot.cellVoltageMax == Measured(3.354, at: Self.start))
        #expect(CANTestFixtures.close(snapshot.cellTemperatureMin?.value ?? .nan, 298 - 273.15))
        #expect(CANTestFixtures.close(snapshot.cellTemperatureMax?.value ?? .nan, 317 - 273.15))
        let input = SafetyInput(snapshot)
        #expect(input[.maxCellVoltage] == SafetyInput.Value(3.354, cellNumber: nil))
        #expect(input[.minCellVoltage] == SafetyInput.Value(3.3, cellNumber: nil))
        #expect(CANTestFixtures.close(input[.maxTemperature]?.value ?? .nan, 317 - 273.15))
        #expect(input[.maxTemperature]?.cellNumber == nil)
        #expect(CANTestFixtures.close(input[.minTemperature]?.value ?? .nan, 298 - 273.15))
        #expect(CANTestFixtures.close(input[.cellVoltageSpread]?.value ?? .nan, 0.054))
        #expect(input[.cellVoltageSpread]?.cellNumber == nil)

        // Once 0x373 stops arriving the extremes go stale: kept, but no longer seen by the safety path.
        let later = accumulator.snapshot(deviceID: "p", at: Self.start.adding(milliseconds: 3001))
        #expect(later.cellVoltageMax == Measured(3.354, at: Self.start, isStale: true))
        #expect(later.cellTemperatureMax?.isStale == true)
        let staleInput = SafetyInput(later)
        #expect(staleInput[.maxCellVoltage] == nil && staleInput[.cellVoltageSpread] == nil)
        #expect(staleInput[.maxTemperature] == nil && staleInput[.minTemperature] == nil)
    }

    @Test func highResolutionSoC() throws {
        var accumulator = CANBusBMSAccumulator()
        accumulator.ingest(try Self.frame(0x355, "59006400DE22"), at: Self.start)  // 89 %, 100 %, 89.26 %
        #expect(accumulator.status(at: Self.start).soc?.value == 89.26)
        accumulator.ingest(try Self.frame(0x355, "59006400FFFF"), at: Self.start)  // 655.35 %: inconsistent, ignored
        #expect(accumulator.status(at: Self.start).soc?.value == 89)
    }

    @Test func otherAndMalformedFrames() throws {
        var accumulator = CANBusBMSAccumulator()
        let outcomes = try [
            accumulator.ingest(Self.frame(0x123, "00"), at: Self.start),
            accumulator.ingest(CANFrame(id: 0x356, isExtended: true, data: [1, 2]), at: Self.start),
            accumulator.ingest(CANFrame.remote(id: 0x356), at: Self.start),
            accumulator.ingest(CANBusBMSEncoder.keepAliveFrame(), at: Self.start),
            accumulator.ingest(Self.frame(0x356, "7A"), at: Self.start),
            accumulator.ingest(Self.frame(0x35E, ""), at: Self.start),
        ]
        #expect(outcomes == [
            .ignored, .ignored, .ignored, .ignored, .malformed("0x356 needs at least 2 bytes, got 1"),
            .malformed("0x35E needs at least 1 bytes, got 0"),
        ])
        #expect(accumulator.ignoredFrameCount == 4 && accumulator.malformedFrameCount == 2 && accumulator.acceptedFrameCount == 0)
        #expect(!accumulator.hasReceivedData)
        let empty = accumulator.snapshot(deviceID: "p", at: Self.start)
        #expect(empty.voltage == nil && empty.dataQuality == 0 && empty.secondsSinceLastRead == 0)
        // A 0x356 of 2 bytes gives the voltage only.
        accumulator.ingest(try Self.frame(0x356, "7A13"), at: Self.start)
        #expect(accumulator.status(at: Self.start).voltage?.value == 49.86)
        #expect(accumulator.status(at: Self.start).current == nil)
    }

    @Test func keepAlive() {
        let frame = CANBusBMSEncoder.keepAliveFrame()
        #expect(frame.id == 0x305 && frame.data == [0, 0, 0, 0, 0, 0, 0, 0] && !frame.isExtended)
        #expect(CANBusBMSEncoder.keepAliveFrame(data: [1]).data == [1])
        #expect(CANBusBMSEncoder.keepAliveFrame(data: [UInt8](repeating: 7, count: 12)).data.count == 8)
    }

    @Test(arguments: [CANBusBMSPackImage.AlarmFrames.victron35A, .pylontech359, .both])
    func encoderRoundTrips(style: CANBusBMSPackImage.AlarmFrames) throws {
        let image = CANBusBMSPackImage(
            voltage: 52.96, current: -41.3, temperature: -4.5, soc: 87.5, soh: 96, chargeVoltageLimit: 56.8,
            chargeCurrentLimit: 100, dischargeCurrentLimit: 150.5, dischargeVoltageLimit: 44.8, chargeEnabled: true,
            dischargeEnabled: false, forceChargeRequested: true, alarms: [.packOverTemperature, .chargeOverCurrent],
            warnings: [.packUnderVoltage, .dischargeOverCurrent], cellVoltageMin: 3.301, cellVoltageMax: 3.349,
            cellTemperatureMin: 21.85, cellTemperatureMax: 70.85, manufacturer: "PULSE", name: "PulseBMS Sim 16S",
            moduleCount: 4, capacityAmpHours: 280, alarmFrames: style)
        let frames = CANBusBMSEncoder.frames(for: image)
        #expect(frames.map(\.id) == frames.map(\.id).sorted())
        #expect(frames.allSatisfy { !$0.isExtended && $0.data.count <= 8 })
        var accumulator = CANBusBMSAccumulator()
        let outcomes = frames.map { accumulator.ingest($0, at: Self.start) }
        #expect(!outcomes.contains(.ignored))
        let status = accumulator.status(at: Self.start)
        func close(_ measured: Measured<Double>?, _ expected: Double) -> Bool {
            CANTestFixtures.close(measured?.value ?? .nan, expected)
        }
        #expect(close(status.voltage, 52.96) && close(status.current, -41.3) && close(status.temperature, -4.5))
        #expect(close(status.soc, 87.5) && close(status.soh, 96))
        #expect(close(status.chargeVoltageLimit, 56.8) && close(status.chargeCurrentLimit, 100))
        #expect(close(status.dischargeCurrentLimit, 150.5) && close(status.dischargeVoltageLimit, 44.8))
        #expect(close(status.cellVoltageMin, 3.301) && close(status.cellVoltageMax, 3.349))
        #expect(close(status.cellTemperatureMin, 21.85) && close(status.cellTemperatureMax, 70.85))
        #expect(status.alarms?.value == image.alarms && status.warnings?.value == image.warnings)
        #expect(status.manufacturer?.value == "PULSE" && status.bmsName?.value == "PulseBMS Sim 16S")
        #expect(status.modulesOnline?.value == 4 && close(status.installedCapacityAmpHours, 280) && close(status.capacityAmpHours, 280))
        if style == .victron35A {
            #expect(status.chargeEnabled == nil && status.moduleCount == nil)
        } else {
            #expect(status.chargeEnabled?.value == true && status.dischargeEnabled?.value == false)
            #expect(status.forceChargeRequested?.value == true && status.moduleCount?.value == 4)
        }
        let snapshot = accumulator.snapshot(deviceID: "sim", at: Self.start)
        #expect(snapshot.operationalState?.value == .charging)
        #expect(snapshot.packAlarmFlags?.value == [
            "pack_over_temperature_alarm", "charge_over_current_alarm", "pack_under_voltage_warning", "discharge_over_current_warning",
        ])
    }

    @Test func encoderClampsAndCleansInput() {
        var image = CANBusBMSPackImage(voltage: 1000, current: .nan, temperature: -5000, soc: -3)
        image.manufacturer = "Ünïcode brand name"
        image.name = "x"
        image.alarms = Set(CANBusBMSCondition.allCases)
        image.alarmFrames = .pylontech359
        var accumulator = CANBusBMSAccumulator()
        for frame in CANBusBMSEncoder.frames(for: image) { accumulator.ingest(frame, at: Self.start) }
        let status = accumulator.status(at: Self.start)
        #expect(status.voltage?.value == 327.67)
        #expect(status.current?.value == 0)
        #expect(status.temperature?.value == -3276.8)
        #expect(status.soc?.value == 0)
        #expect(status.manufacturer?.value == "?n?code")
        #expect(status.bmsName?.value == "x")
        // 0x359 cannot carry the 0x35A-only conditions.
        #expect(status.alarms?.value == Set(CANBusBMSCondition.allCases.filter { $0.pylontechBit != nil }))
    }

    /// An over-temperature in the CAN pack trips the same safety rule, with the same actions, as on a Modbus pack.
    @Test func overTemperatureTripsTheSafetyPath() throws {
        var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100))
        var image = CANBusBMSPackImage(voltage: 52.8, current: 20, temperature: 30, soc: 60)
        image.cellVoltageMin = 3.30
        image.cellVoltageMax = 3.31
        image.cellTemperatureMin = 29.85
        image.cellTemperatureMax = 70.85  // hottest cell above the LFP critical limit (65 °C)
        var verdict: SafetyVerdict?
        for step in 0..<5 {
            var accumulator = CANBusBMSAccumulator()
            let time = Self.start.adding(milliseconds: Int64(step) * 1000)
            for frame in CANBusBMSEncoder.frames(for: image) { accumulator.ingest(frame, at: time) }
            verdict = monitor.evaluate(SafetyInput(accumulator.snapshot(deviceID: "can-pack", at: time)))
        }
        let alarm = try #require(verdict?.alarms.first { $0.code == "TEMP_001" })
        #expect(alarm.severity == .critical)
        #expect(verdict?.actions.contains(.openContactors) == true)
        // The protocol does not say which cell is the hottest: the alarm names none.
        #expect(alarm.data["cell_number"] == nil)
        guard case .number(let hottest)? = alarm.data["temperature"] else {
            Issue.record("the alarm carries no temperature")
            return
        }
        #expect(CANTestFixtures.close(hottest, 70.85))
    }
}
