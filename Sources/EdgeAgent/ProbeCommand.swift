import ArgumentParser
import BMSCore
import Foundation

/// `pulsebms-agent probe URL`: a commissioning tool that discovers a device's SunSpec models (or decodes a
/// register map) and prints one JSON document.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Discover a Modbus device's SunSpec models and print every decoded point as JSON.",
        discussion: """
            Examples: modbus-tcp://10.0.0.5:502/1, modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even#3
            Exit codes: 0 success, 2 device not reachable, 3 no SunSpec marker, 1 other errors.
            """)

    @Argument(help: "The device: modbus-tcp://HOST[:PORT]/UNIT or modbus-rtu:///DEVICE?baud=B&parity=P#UNIT.")
    var url: String

    @Option(help: "Decode this register map (YAML) instead of discovering SunSpec models.")
    var map: String?

    @Option(name: .customLong("timeout-ms"), help: "Response timeout in milliseconds.")
    var timeoutMilliseconds: Int = 1000

    static let notReachable = ExitCode(2)
    static let noSunSpec = ExitCode(3)

    func run() throws {
        let target: ModbusURL
        do {
            target = try ModbusURL(url)
        } catch {
            printError("probe: invalid URL '\(url)': \(error)")
            throw ExitCode(1)
        }
        let connection: ModbusConnection
        do {
            connection = try ModbusConnection(target.endpoint, responseTimeout: .milliseconds(timeoutMilliseconds))
            try connection.connectIfNeeded()
        } catch {
            printError("probe: \(target.endpoint) is not reachable: \(error)")
            throw Self.notReachable
        }
        defer { connection.disconnect() }

        var document: JSONObject = ["url": .string(url), "unit_id": .number(Double(target.unitID))]
        if let map {
            document["register_map"] = .object(try decodeMap(path: map, connection: connection, unit: target.unitID))
        } else {
            let probe = SunSpecProbe(connection: connection, unit: target.unitID)
            do {
                let base = try probe.findBase()
                document["base_address"] = .number(Double(base))
                document["models"] = .array(
                    try probe.readModels(base: base).map { .object(SunSpecProbeJSON.model(header: $0.header, registers: $0.registers)) })
            } catch {
                switch error {
                case .notReachable(let cause):
                    printError("probe: \(target.endpoint) unit \(target.unitID) is not reachable: \(cause)")
                    throw Self.notReachable
                case .noSunSpec:
                    printError("probe: no SunSpec marker at \(SunSpecDiscovery.baseAddresses.map(String.init).joined(separator: ", "))")
                    throw Self.noSunSpec
                case .badChain(let cause):
                    printError("probe: the SunSpec model chain is broken: \(cause)")
                    throw ExitCode(1)
                }
            }
        }
        let data = try WireCoding.encode(JSONValue.object(document))
        FileHandleOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    private func decodeMap(path: String, connection: ModbusConnection, unit: Int) throws -> JSONObject {
        let registerMap: RegisterMap
        do {
            registerMap = try RegisterMapLoader.load(path: path)
        } catch {
            printError("probe: \(path): \(error)")
            throw ExitCode(1)
        }
        var blocks: [RegisterBlock: [UInt16]] = [:]
        var failures: [JSONValue] = []
        for block in registerMap.readPlan() {
            do {
                blocks[block] = block.table == .input
                    ? try connection.readInputRegisters(unit: unit, address: block.address, count: block.count)
                    : try connection.readHoldingRegisters(unit: unit, address: block.address, count: block.count)
            } catch {
                if case .linkDown = error { throw Self.notReachable }
                failures.append(.string("\(block): \(error)"))
            }
        }
        if blocks.isEmpty && !failures.isEmpty {
            printError("probe: no block could be read: \(failures)")
            throw Self.notReachable
        }
        var values: JSONObject = [:]
        for (field, value) in registerMap.decode(blocks: blocks) { values[field.name] = .number(value) }
        return ["name": .string(registerMap.name), "values": .object(values), "failed_reads": .array(failures)]
    }
}
