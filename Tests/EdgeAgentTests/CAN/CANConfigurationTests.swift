import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// CAN buses and devices in the agent's configuration, the DBC profile loaded from files, and can-decode.
@Suite("CAN configuration and tools")
struct CANConfigurationTests {
    static let dbcText = """
        VERSION ""
        BU_: BMS INV
        BO_ 854 BattStatus: 6 BMS
         SG_ PackVoltage : 0|16@1- (0.01,0) [-327.68|327.67] "V" INV
         SG_ PackCurrent : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INV
         SG_ PackTemp : 32|16@1- (0.1,0) [-3276.8|3276.7] "degC" INV
        BO_ 512 MotoExample: 8 BMS
         SG_ State : 44|4@1+ (1,0) [0|15] "" INV
        VAL_ 512 State 0 "Off" 1 "Standby" 2 "Charging" 3 "Discharging" 15 "Fault" ;
        """
    static let signalMap = """
        name: test pack
        signals:
          - { signal: BattStatus.PackVoltage, field: pack_voltage }
          - { signal: PackCurrent, field: pack_current, invert_sign: true }
          - { signal: PackTemp, field: pack_temperature }
        """

    static func configuration(in directory: TemporaryDirectory, device extra: String = "", bus: String? = nil) -> String {
        """
        site_id: site_can
        buses:
          - id: can0
            \(bus ?? "socketcan: { interface: can0, bitrate: 500000, fd: false }")
          - id: usb
            slcan: { device: /dev/ttyACM0, bitrate: 500000 }
          - id: log
            candump_replay: { file: \(directory.file("replay.log").path), speed: 0 }
        devices:
          - device_id: pylon_1
            name: Pylontech stack
            chemistry: LFP
            specifications: { nominal_capacity: 100, nominal_voltage: 48, series_cells: 15, parallel_cells: 1 }
            bus: can0
            profile: canbus_bms
            keepalive_ms: 1000
            can_commands: { open_contactors: "380#01", reset_alarms: "380#03" }
          - device_id: dbc_pack
            name: DBC pack
            chemistry: NMC
            specifications: { nominal_capacity: 56, nominal_voltage: 52, series_cells: 14, parallel_cells: 1 }
            bus: log
            profile: dbc
            dbc: pack.dbc
            signal_map: pack-map.yaml
            stale_after_ms: 600000
        \(extra)
        """
    }

    private func problems(_ yaml: String, in directory: TemporaryDirectory) -> [FieldError] {
        let path = directory.file("agent.yaml").path
        do {
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try ConfigurationLoader.load(path: path)
            return []
        } catch let failure as ValidationFailure {
            return failure.fieldErrors
        } catch {
            return [FieldError(field: "?", message: "\(error)")]
        }
    }

    private func directoryWithProfile() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("cancfg")
        try Self.dbcText.write(to: directory.file("pack.dbc"), atomically: true, encoding: .utf8)
        try Self.signalMap.write(to: directory.file("pack-map.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test func validCANConfigurationLoads() throws {
        let directory = try directoryWithProfile()
        defer { directory.remove() }
        #expect(problems(Self.configuration(in: directory), in: directory).isEmpty)
        let configuration = try ConfigurationLoader.parse(yaml: Self.configuration(in: directory))
        #expect(configuration.buses.map(\.isCAN) == [true, true, true])
        #expect(configuration.buses[0].socketCAN?.bitrate == 500_000)
        #expect(configuration.devices[0].unitID == nil)
        #expect(configuration.devices[0].canCommands?["open_contactors"] == "380#01")
    }

    @Test func canRulesAreCheckedWithTheirPaths() throws {
        let directory = try directoryWithProfile()
        defer { directory.remove() }
        let valid = Self.configuration(in: directory)
        let unitOnCAN = valid.replacingOccurrences(of: "    profile: canbus_bms", with: "    profile: canbus_bms\n    unit_id: 1")
        #expect(problems(unitOnCAN, in: directory).map(\.field) == ["devices[0].unit_id"])
        let modbusProfileOnCAN = valid.replacingOccurrences(of: "profile: canbus_bms", with: "profile: sunspec")
        #expect(problems(modbusProfileOnCAN, in: directory).map(\.field).contains("devices[0].profile"))
        let badFrame = valid.replacingOccurrences(of: "\"380#01\"", with: "\"380#0\"")
        #expect(problems(badFrame, in: directory).map(\.field) == ["devices[0].can_commands.open_contactors"])
        let unknownCommand = valid.replacingOccurrences(of: "reset_alarms:", with: "self_destruct:")
        #expect(problems(unknownCommand, in: directory).map(\.field) == ["devices[0].can_commands.self_destruct"])
        let noDBC = valid.replacingOccurrences(of: "    dbc: pack.dbc\n", with: "")
        #expect(problems(noDBC, in: directory).map(\.field) == ["devices[1].dbc"])
        let slowSlcan = valid.replacingOccurrences(of: "slcan: { device: /dev/ttyACM0, bitrate: 500000 }", with: "slcan: { device: /dev/ttyACM0, bitrate: 300000 }")
        #expect(problems(slowSlcan, in: directory).map(\.field) == ["buses[1].slcan.bitrate"])
        let twoKinds = Self.configuration(in: directory, bus: "socketcan: { interface: can0 }\n    slcan: { device: /dev/ttyACM0 }")
        #expect(problems(twoKinds, in: directory).map(\.field) == ["buses[0]"])
        let twoPylons = Self.configuration(in: directory, device: """
              - device_id: pylon_2
                name: Second stack
                chemistry: LFP
                specifications: { nominal_capacity: 100, nominal_voltage: 48, series_cells: 15, parallel_cells: 1 }
                bus: can0
                profile: canbus_bms
            """)
        #expect(problems(twoPylons, in: directory).map(\.field) == ["devices[2].bus"])
        let longName = Self.configuration(in: directory, bus: "socketcan: { interface: a_very_long_interface_name }")
        #expect(problems(longName, in: directory).map(\.field) == ["buses[0].socketcan.interface"])
    }

    @Test func aMalformedDBCOrSignalMapIsReportedBeforeAnyIO() throws {
        let directory = try directoryWithProfile()
        defer { directory.remove() }
        try (Self.dbcText + "\nBO_ 900 Broken 8 BMS\n").write(to: directory.file("pack.dbc"), atomically: true, encoding: .utf8)
        let found = problems(Self.configuration(in: directory), in: directory)
        #expect(found.map(\.field) == ["devices[1].dbc"])
        #expect(found.first?.message.contains("line 10") == true, "\(found)")

        try Self.dbcText.write(to: directory.file("pack.dbc"), atomically: true, encoding: .utf8)
        try Self.signalMap.replacingOccurrences(of: "PackTemp", with: "PackTemperature")
            .write(to: directory.file("pack-map.yaml"), atomically: true, encoding: .utf8)
        let unknown = problems(Self.configuration(in: directory), in: directory)
        #expect(unknown.count == 1)
        #expect(unknown.first?.field.hasPrefix("devices[1].") == true, "\(unknown)")
        #expect(unknown.first.map { "\($0.field) \($0.message)" }?.contains("PackTemperature") == true, "\(unknown)")
    }

    /// A DBC pack replayed from a candump log: the signal map's fields reach the snapshot, current sign flipped.
    @Test func dbcPackFromAReplayedLog() async throws {
        let directory = try directoryWithProfile()
        defer { directory.remove() }
        try "(1700000000.000000) can0 356#7A13F2FE6B01\n".write(to: directory.file("replay.log"), atomically: true, encoding: .utf8)
        let configuration = try ConfigurationLoader.parse(yaml: Self.configuration(in: directory))
        let device = configuration.devices[1]
        let bus = try CANLinks.bus(configuration.buses[2], devices: [device], configurationDirectory: directory.url, logger: .init(label: "test"))
        defer { bus.stop() }
        let source = try CANPackSource.make(device: device, bus: bus, configurationDirectory: directory.url)
        bus.start()
        try await eventually("the frame replayed", seconds: 5) { bus.counters.framesReceived == 1 }
        let snapshot = try await source.read(at: Timestamp(Date()), previous: nil)
        #expect(snapshot.voltage?.value == 49.86)
        #expect(abs((snapshot.current?.value ?? 0) - 27) < 1e-9)
        #expect(abs((snapshot.temperature?.value ?? 0) - 36.3) < 1e-9)
    }

    @Test func canDecodePrintsFramesAndSummarisesWhatDidNotDecode() throws {
        let directory = try directoryWithProfile()
        defer { directory.remove() }
        var decoder = try CANFrameDecoder(
            profile: nil, dbcPath: directory.file("pack.dbc").path, mappingPath: directory.file("pack-map.yaml").path)
        let lines = [
            "(1700000000.000000) can0 356#7A13F2FE6B01", "(1700000000.100000) can0 200#0000000000300000",
            "(1700000000.200000) can0 7FF#00", "not candump", "(1700000000.300000) can0 356#7A",
        ]
        let outputs = lines.map { decoder.decode(line: Array($0.utf8)[...]) }
        let voltage = outputs[0]?["signals"]?.arrayValue?.first
        #expect(voltage?["name"]?.stringValue == "PackVoltage")
        #expect(voltage?["value"]?.numberValue == 49.86)
        #expect(outputs[0]?["fields"]?["pack_current"]?.numberValue.map { abs($0 - 27) < 1e-9 } == true)
        #expect(outputs[1]?["signals"]?.arrayValue?.first?["label"]?.stringValue == "Discharging")
        #expect(outputs[2]?["error"] != nil)
        #expect(outputs[3] == nil)
        #expect(outputs[4]?["error"] != nil)
        let summary = try #require(decoder.summary["summary"])
        #expect(summary["decoded"]?.numberValue == 2)
        #expect(summary["undecoded"]?.numberValue == 2)
        #expect(summary["malformed_lines"]?.numberValue == 1)
        #expect(summary["undecoded_by_id"]?["0x7FF"]?.numberValue == 1)
        #expect(summary["undecoded_by_reason"]?["frame_too_short"]?.numberValue == 1)

        var builtIn = try CANFrameDecoder(profile: .canbusBMS, dbcPath: nil, mappingPath: nil)
        let capture = builtIn.decode(line: Array("(1.0) can0 351#1402740E740ECC01".utf8)[...])
        let names = capture?["signals"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["charge_voltage_limit", "charge_current_limit", "discharge_current_limit", "discharge_voltage_limit"])
        #expect(capture?["signals"]?.arrayValue?[1]["value"]?.numberValue == 370)
    }
}
