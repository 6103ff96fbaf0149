import ArgumentParser
import BMSCore
import Foundation
import Synchronization
import Yams

/// `pulsebms-sim`: simulated battery packs that speak Modbus TCP (SunSpec 1 + 802 + 805), driven by a physical
/// model, with a control port for fault injection.
@main
struct PulseBMSSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulsebms-sim",
        abstract: "Serve simulated battery packs over Modbus TCP (SunSpec), with fault injection.",
        discussion: """
            Each --pack is served as one unit id on the Modbus port. The control port takes one command per \
            line (see SimulatorControl.swift): fault UNIT over_temperature K_PER_S | cell_over_voltage CELL V | \
            sensor_dropout N | silent | exception CODE; clear UNIT; current UNIT AMPS; temperature UNIT C; status UNIT.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Modbus TCP port.")
    var port = 1502

    @Option(name: .customLong("control-port"), help: "Control port (default: the Modbus port + 1).")
    var controlPort: Int?

    @Option(name: .customLong("pack"), help: "unit=N,chemistry=LFP|NMC|LCO|NCA,cells=N,capacity=AH,soc=PERCENT,current=A,temperature=C[,map=REGISTER_MAP.yaml][,slcan=PTY_LINK[,candump=LOG]] (repeatable). With map= the pack speaks that register map instead of SunSpec; with slcan= it also broadcasts the CAN-bus BMS protocol through an slcan adapter emulated on a pseudo-terminal linked at PTY_LINK (commands: frame 0x380, byte 0 = 1 open contactors, 2 stop, 3 reset alarms, 4 start), logging every frame to LOG in candump -L format.")
    var packs: [String] = []

    @Option(name: .customLong("tick-ms"), help: "Model step and register refresh interval, ms.")
    var tickMilliseconds = 1000

    @Option(name: .customLong("time-scale"), help: "Simulated seconds per real second.")
    var timeScale = 1.0

    func run() throws {
        // A control client that leaves without reading its replies must not end the simulator.
        signal(SIGPIPE, SIG_IGN)
        // First, so that a stop that comes while the packs are set up still removes the links made so far.
        let links = AdapterLinks()
        let signals = links.removeOnTermination()
        let specs = packs.isEmpty
            ? ["unit=1,chemistry=LFP,cells=16,capacity=280,soc=60", "unit=2,chemistry=NMC,cells=14,capacity=56,soc=70"]
            : packs
        let simulated = try specs.map(Self.pack(from:))
        var canPorts: [SlcanPackPort] = []
        for spec in specs {
            let fields = try Self.fields(of: spec)
            guard let link = fields["slcan"], let unit = fields["unit"].flatMap(Int.init) else { continue }
            do {
                let port = try SlcanPackPort(unitID: unit, linkPath: link, candumpPath: fields["candump"])
                links.add(port.terminal.linkPath, to: port.terminal.slavePath)
                canPorts.append(port)
            } catch {
                throw ValidationError("pack '\(spec)': \(error)")
            }
            FileHandle.standardError.write(Data("pulsebms-sim: unit \(unit) speaks CAN-bus BMS over slcan at \(link)\n".utf8))
        }
        let server = try SimulatorServer(
            packs: simulated, host: host, port: port, controlPort: controlPort ?? port + 1,
            tickSeconds: Double(tickMilliseconds) / 1000, timeScale: timeScale, canPorts: canPorts,
            log: { FileHandle.standardError.write(Data("pulsebms-sim: \($0)\n".utf8)) })
        FileHandle.standardError.write(Data(
            "pulsebms-sim: \(simulated.count) pack(s) on modbus-tcp://\(host):\(port), control on \(controlPort ?? port + 1)\n".utf8))
        withExtendedLifetime(signals) { server.run() }
    }

    static func fields(of spec: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        for pair in spec.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("bad pack field '\(pair)' in '\(spec)'") }
            fields[parts[0]] = parts[1]
        }
        return fields
    }

    static func pack(from spec: String) throws -> SimulatedPack {
        let fields = try fields(of: spec)
        guard let unit = fields["unit"].flatMap(Int.init), (1...247).contains(unit) else {
            throw ValidationError("pack '\(spec)' needs unit=1…247")
        }
        guard let chemistry = Chemistry(rawValue: fields["chemistry"] ?? "LFP") else {
            throw ValidationError("pack '\(spec)': chemistry must be one of \(Chemistry.acceptedValues)")
        }
        let cells = fields["cells"].flatMap(Int.init) ?? 16
        let capacity = fields["capacity"].flatMap(Double.init) ?? 100
        let soc = (fields["soc"].flatMap(Double.init) ?? 50) / 100
        guard (1...400).contains(cells), capacity > 0, (0...1).contains(soc) else {
            throw ValidationError("pack '\(spec)': cells 1–400, capacity > 0, soc 0–100")
        }
        var pack = try SimulatedPack(unitID: unit, chemistry: chemistry, cellCount: cells, capacityAmpHours: capacity, soc: soc)
        pack.requestedCurrent = fields["current"].flatMap(Double.init) ?? 0
        if let temperature = fields["temperature"].flatMap(Double.init) { pack.model.temperatureCelsius = temperature }
        if let path = fields["map"] {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                pack.registerMap = try YAMLDecoder().decode(RegisterMap.self, from: text)
            } catch {
                throw ValidationError("pack '\(spec)': cannot load register map \(path): \(error)")
            }
        }
        return pack
    }
}

/// The adapters' links, removed on SIGTERM or SIGINT before the process exits, as udev removes `/dev/ttyACM0`
/// when an adapter is unplugged. A link left behind would name a freed pseudo-terminal, and the next program to
/// get that terminal would receive whatever an agent still retrying the link writes. A link that names another
/// terminal by then (another simulator took the path) is left alone.
final class AdapterLinks: Sendable {
    private let links = Mutex<[(link: String, target: String)]>([])

    func add(_ link: String, to target: String) {
        links.withLock { $0.append((link, target)) }
    }

    /// Handles SIGTERM and SIGINT from now on; keep the sources alive as long as they should.
    func removeOnTermination() -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            // The default action goes first (as Dispatch asks); the source then receives the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                removeLinks()
                Glibc.exit(0)
            }
            source.resume()
            return source
        }
    }

    private func removeLinks() {
        for (link, target) in links.withLock({ $0 }) {
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink(link, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let named = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if named == target { unlink(link) }
        }
    }
}
