import BMSCore
import Foundation
import Logging
import Synchronization

/// A pack on a CAN bus, decoded with the CAN-bus BMS protocol or with a DBC file and a signal map.
///
/// The pack broadcasts; the bus thread hands every frame to this source's decoder as it arrives, and a poll
/// reads the decoder's snapshot, in which each frame's values turn stale once that frame stops arriving. A
/// poll fails (and the poller counts it) until the first frame, and whenever no frame of the pack has
/// arrived within the staleness window, so a silent pack is reported as unreachable, not as zeros.
final class CANPackSource: PackSource {
    enum Decoder: Sendable {
        case canbusBMS(CANBusBMSAccumulator)
        case dbc(DBCSnapshotAccumulator)

        var staleAfter: Duration {
            switch self {
            case .canbusBMS(let accumulator): accumulator.staleAfter
            case .dbc(let accumulator): accumulator.staleAfter
            }
        }

        /// Feeds one frame; true when the frame belonged to this pack's profile.
        mutating func ingest(_ frame: CANFrame, at time: Timestamp) -> Bool {
            switch self {
            case .canbusBMS(var accumulator):
                let outcome = accumulator.ingest(frame, at: time)
                self = .canbusBMS(accumulator)
                if case .accepted = outcome { return true }
                return false
            case .dbc(var accumulator):
                let result = accumulator.ingest(frame, at: time)
                self = .dbc(accumulator)
                if case .success = result { return true }
                return false
            }
        }

        func snapshot(deviceID: String, at time: Timestamp) -> PackSnapshot {
            switch self {
            case .canbusBMS(let accumulator): accumulator.snapshot(deviceID: deviceID, at: time)
            case .dbc(let accumulator): accumulator.snapshot(deviceID: deviceID, at: time)
            }
        }
    }

    let deviceID: String
    let bus: CANBus
    /// Frames that carry out local commands, from the configuration.
    let commands: [LocalCommand: CANFrame]
    private let decoder: Mutex<(decoder: Decoder, lastFrameAt: Timestamp?)>

    init(deviceID: String, bus: CANBus, decoder: Decoder, commands: [LocalCommand: CANFrame]) {
        self.deviceID = deviceID
        self.bus = bus
        self.commands = commands
        self.decoder = Mutex((decoder, nil))
        bus.addListener { [weak self] frame, time in self?.receive(frame, at: time) }
    }

    private func receive(_ frame: CANFrame, at time: Timestamp) {
        decoder.withLock { state in
            if state.decoder.ingest(frame, at: time) { state.lastFrameAt = time }
        }
    }

    func read(at time: Timestamp, previous: PackSnapshot?) async throws(PackSourceError) -> PackSnapshot {
        let result: Result<PackSnapshot, PackSourceError> = decoder.withLock { state in
            guard let last = state.lastFrameAt else {
                return .failure(.can("no frame from the pack on CAN bus \(bus.id) yet"))
            }
            let silence = Duration.milliseconds(time.millisecondsSinceEpoch - last.millisecondsSinceEpoch)
            // A clock stepped backwards gives a negative silence: trust nothing then either.
            guard silence >= .zero, silence <= state.decoder.staleAfter else {
                return .failure(.can("no frame from the pack on CAN bus \(bus.id) for \(silence)"))
            }
            return .success(state.decoder.snapshot(deviceID: deviceID, at: time))
        }
        return try result.get()
    }

    func perform(_ command: LocalCommand) async throws(PackSourceError) {
        guard let frame = commands[command] else {
            throw .profileMismatch("no CAN frame is configured for \(command.rawValue) (can_commands)")
        }
        do throws(CANBusError) {
            try await bus.send(frame)
        } catch {
            throw .can("sending \(frame) for \(command.rawValue): \(error)")
        }
    }

    func apply(powerWatts: Double) async throws(PackSourceError) {
        throw .profileMismatch("a CAN pack takes no power setpoint: its inverter follows the pack's own charge and discharge limits")
    }
}

extension CANPackSource {
    /// The source for a configured CAN device (validated), its DBC and signal map loaded.
    static func make(device: DeviceConfiguration, bus: CANBus, configurationDirectory: URL) throws -> CANPackSource {
        let staleAfter = Duration.milliseconds(device.staleAfterMilliseconds ?? 3000)
        let decoder: Decoder
        switch device.profile {
        case .dbc:
            let (database, mapping) = try CANProfileLoader.load(device: device, configurationDirectory: configurationDirectory)
            decoder = .dbc(DBCSnapshotAccumulator(database: database, mapping: mapping, staleAfter: staleAfter))
        default:
            decoder = .canbusBMS(CANBusBMSAccumulator(staleAfter: staleAfter))
            let keepalive = device.keepaliveMilliseconds ?? 1000
            if keepalive > 0 {
                bus.sendPeriodically(CANBusBMSEncoder.keepAliveFrame(), every: .milliseconds(keepalive))
            }
        }
        var commands: [LocalCommand: CANFrame] = [:]
        for (name, text) in device.canCommands ?? [:] {
            guard let command = LocalCommand(rawValue: name) else { continue }  // validated
            commands[command] = try CANCommandFrame.parse(text)
        }
        return CANPackSource(deviceID: device.deviceID, bus: bus, decoder: decoder, commands: commands)
    }
}

/// Loads the DBC file and signal map of a `dbc` device, each validated.
enum CANProfileLoader {
    static func load(device: DeviceConfiguration, configurationDirectory: URL) throws(ValidationFailure) -> (DBCDatabase, DBCSnapshotMapping) {
        try load(
            dbcPath: ConfigurationLoader.resolve(device.dbc ?? "", relativeTo: configurationDirectory),
            mapPath: ConfigurationLoader.resolve(device.signalMap ?? "", relativeTo: configurationDirectory))
    }

    /// Loads a DBC file and a signal map by path.
    static func load(dbcPath: String, mapPath: String) throws(ValidationFailure) -> (DBCDatabase, DBCSnapshotMapping) {
        let database = try loadDatabase(path: dbcPath)
        let text: String
        do {
            text = try String(contentsOfFile: mapPath, encoding: .utf8)
        } catch {
            throw ValidationFailure([FieldError(field: "signal_map", message: "Cannot read \(mapPath): \(error.localizedDescription)")])
        }
        let tree = try ConfigurationLoader.tree(fromYAML: text)
        let mapping: DBCSnapshotMapping
        do {
            mapping = try WireCoding.decode(DBCSnapshotMapping.self, from: tree)
        } catch {
            throw ValidationFailure([FieldError(field: "signal_map\(error.path.isEmpty ? "" : ".\(error.path)")", message: error.reason)])
        }
        return (database, try mapping.validated(against: database))
    }

    /// Parses a DBC file; a syntax error names its line.
    static func loadDatabase(path: String) throws(ValidationFailure) -> DBCDatabase {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationFailure([FieldError(field: "dbc", message: "Cannot read \(path): \(error.localizedDescription)")])
        }
        do throws(DBCParseError) {
            return try DBCDatabase(parsing: text)
        } catch {
            throw ValidationFailure([FieldError(field: "dbc", message: "\(path): \(error)")])
        }
    }
}

/// Builds the link of a CAN bus from its configuration.
enum CANLinks {
    /// The bus, with kernel filters for every id its devices need (SocketCAN), not yet open: the bus thread
    /// opens the link and reopens it after a failure.
    static func bus(
        _ configuration: BusConfiguration, devices: [DeviceConfiguration], configurationDirectory: URL, logger: Logger
    ) throws -> CANBus {
        if let socketCAN = configuration.socketCAN {
            var ids: Set<UInt32> = []
            var filters: [CANFilter] = []
            for device in devices {
                if device.profile == .dbc {
                    let (database, mapping) = try CANProfileLoader.load(device: device, configurationDirectory: configurationDirectory)
                    filters += mapping.filters(in: database)
                } else {
                    ids.formUnion(CANBusBMSFrameID.allCases.map(\.rawValue))
                }
            }
            filters += CANFilter.minimalFilters(for: ids)
            let kernelFilters = filters
            let link = SocketCANLink(interface: socketCAN.interface)
            let restart = socketCAN.restartOnBusOff ?? true
            let bitrate = socketCAN.bitrate
            return CANBus(id: configuration.id) { () throws(CANBusError) -> any CANChannel in
                if let bitrate, (try? link.bitrate()) != bitrate {
                    do throws(CANBusError) {
                        try link.setBitrate(bitrate)
                    } catch {
                        logger.warning("Cannot set the CAN bitrate", metadata: ["interface": "\(socketCAN.interface)", "error": "\(error)"])
                    }
                }
                if restart, (try? link.state()) == .busOff { try? link.restart() }
                return try SocketCANChannel(interface: socketCAN.interface, filters: kernelFilters, acceptsFD: socketCAN.fd ?? false)
            }
        }
        if let slcan = configuration.slcan {
            return CANBus(id: configuration.id) { () throws(CANBusError) -> any CANChannel in
                try SlcanChannel(device: slcan.device, bitrate: slcan.bitrate ?? 500_000, serialBaud: slcan.serialBaud ?? 115_200)
            }
        }
        let replay = configuration.candumpReplay ?? CandumpReplaySettings(file: "")
        let path = ConfigurationLoader.resolve(replay.file, relativeTo: configurationDirectory)
        return CANBus(id: configuration.id) { () throws(CANBusError) -> any CANChannel in
            try CandumpReplayChannel(path: path, speed: replay.speed ?? 1, loop: replay.loop ?? false)
        }
    }
}
