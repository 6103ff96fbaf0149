import BMSCore
import Testing

@testable import EdgeAgent

@Suite("Agent configuration")
struct ConfigurationTests {
    static let valid = """
        site_id: site_001
        mqtt:
          host: 127.0.0.1
          port: 1883
        buses:
          - id: rack_a
            modbus_tcp: { host: 127.0.0.1, port: 1502 }
            response_timeout_ms: 300
          - id: rs485
            modbus_rtu: { device: /dev/ttyUSB0, baud: 19200, parity: even, data_bits: 8, stop_bits: 1 }
        devices:
          - device_id: pack_lfp
            name: LFP rack
            chemistry: LFP
            specifications: { nominal_capacity: 280, nominal_voltage: 51.2, series_cells: 16, parallel_cells: 1 }
            bus: rack_a
            unit_id: 1
            profile: sunspec
            poll_interval_ms: 1000
            safety_overrides:
              cell_voltage_max: { operating: 3.45, recommended_safety: 3.50, maximum_safety: 3.55 }
          - device_id: pack_nmc
            name: Leaf pack
            chemistry: NMC
            specifications: { nominal_capacity: 56, nominal_voltage: 360, series_cells: 96, parallel_cells: 2 }
            safety_constraints: { max_cell_voltage: 4.1 }
            bus: rs485
            unit_id: 3
            profile: register_map
            register_map: maps/leaf.yaml
        """

    @Test func validConfigurationLoads() throws {
        let configuration = try ConfigurationLoader.parse(yaml: Self.valid)
        #expect(configuration.siteID == "site_001")
        #expect(configuration.buses.map(\.id) == ["rack_a", "rs485"])
        #expect(configuration.buses[1].modbusRTU?.parity == .even)
        #expect(configuration.devices[0].pollInterval == .seconds(1))
        #expect(configuration.devices[1].pollInterval == .seconds(1))  // default
        #expect(try configuration.devices[0].safetyLimits().cellVoltageMax.maximumSafety == 3.55)
        #expect(try configuration.devices[1].safetyLimits().cellVoltageMax.maximumSafety == 4.1)
    }

    private func problems(_ yaml: String) -> [FieldError] {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml)
            return []
        } catch {
            return error.fieldErrors
        }
    }

    @Test func everyProblemIsReportedWithItsKeyPath() {
        let broken = Self.valid
            .replacingOccurrences(of: "chemistry: LFP", with: "chemistry: LiFePO4")
            .replacingOccurrences(of: "bus: rs485", with: "bus: rs232")
            .replacingOccurrences(of: "baud: 19200", with: "baud: 19201")
            .replacingOccurrences(of: "unit_id: 3", with: "unit_id: 248")
            .replacingOccurrences(of: "poll_interval_ms: 1000", with: "poll_interval_ms: 10")
            .replacingOccurrences(of: "maximum_safety: 3.55", with: "maximum_safety: 3.48")
        let fields = Set(problems(broken).map(\.field))
        #expect(fields.isSuperset(of: [
            "devices[0].chemistry", "devices[1].bus", "buses[1].modbus_rtu.baud", "devices[0].poll_interval_ms",
        ]))
        // With an unknown bus the unit id range of TCP applies (0–255): 248 is then fine.
        #expect(!fields.contains("devices[1].unit_id"))
    }

    @Test func overridesOutOfOrderAreCaughtBeforeAnyIO() {
        let broken = Self.valid.replacingOccurrences(of: "maximum_safety: 3.55", with: "maximum_safety: 3.48")
        let found = problems(broken)
        #expect(found.map(\.field) == ["devices[0].safety_overrides.cell_voltage_max"])
    }

    @Test func serialUnitIdsStopAt247() {
        let broken = Self.valid.replacingOccurrences(of: "unit_id: 3", with: "unit_id: 248")
        #expect(problems(broken).map(\.field) == ["devices[1].unit_id"])
    }

    @Test func registerMapIsRequiredForRegisterMapDevices() {
        let broken = Self.valid.replacingOccurrences(of: "    register_map: maps/leaf.yaml", with: "")
        #expect(problems(broken).map(\.field) == ["devices[1].register_map"])
    }

    @Test func duplicatesUnknownKeysAndMissingSections() {
        let duplicate = Self.valid.replacingOccurrences(of: "device_id: pack_nmc", with: "device_id: pack_lfp")
        #expect(problems(duplicate).map(\.field) == ["devices[1].device_id"])
        let typo = Self.valid.replacingOccurrences(of: "poll_interval_ms: 1000", with: "poll_intervall_ms: 1000")
        #expect(problems(typo).map(\.field) == ["devices[0].poll_intervall_ms"])
        #expect(Set(problems("site_id: s\n").map(\.field)) == ["buses", "devices"])
        #expect(problems("site_id: fleet\nbuses: []\ndevices: []\n").map(\.field) == ["site_id", "buses", "devices"])
    }

    @Test func busNeedsExactlyOneTransport() {
        let both = Self.valid.replacingOccurrences(
            of: "modbus_tcp: { host: 127.0.0.1, port: 1502 }",
            with: "modbus_tcp: { host: 127.0.0.1, port: 1502 }\n    modbus_rtu: { device: /dev/ttyS0, baud: 9600, parity: none, data_bits: 8, stop_bits: 1 }")
        #expect(problems(both).map(\.field) == ["buses[0]"])
    }

    @Test func yamlSyntaxErrorsAndEmptyFilesAreClear() {
        let syntax = problems("site_id: [unclosed\n")
        #expect(syntax.first?.message.hasPrefix("YAML syntax error") == true, "\(syntax)")
        #expect(problems("").count == 1)
        #expect(problems("- just\n- a list\n").first?.message == "Must be an object")
    }
}
