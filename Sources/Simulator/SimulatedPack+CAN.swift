import BMSCore
import Foundation

/// A simulated pack speaking the CAN-bus BMS protocol (Pylontech / SMA / Victron frames, 500 kbit/s).
///
/// The frames come from the same physical model and faults as the Modbus packs. The protocol has no command
/// frame of its own, so the simulated BMS also listens for a vendor frame, documented for `can_commands`:
/// id 0x380, byte 0 = 1 open contactors, 2 stop power, 3 reset alarms, 4 start (close and start).
extension SimulatedPack {
    /// The simulator's command frame id.
    static let canCommandID: UInt32 = 0x380

    /// What the pack broadcasts now.
    func canImage() -> CANBusBMSPackImage {
        let ocv = model.cell.openCircuitVoltage
        let cells = Double(cellCount)
        let voltages = cellVoltages
        var temperatures = model.cellTemperatures()
        for sensor in faults.droppedSensors where temperatures.indices.contains(sensor) {
            temperatures.remove(at: sensor)
        }
        let connected = contactorsClosed && inverterStarted
        return CANBusBMSPackImage(
            voltage: model.terminalVoltage(current: current), current: current, temperature: model.temperatureCelsius,
            soc: model.soc * 100, soh: model.stateOfHealth * 100,
            chargeVoltageLimit: ocv.voltage(soc: 1) * cells, chargeCurrentLimit: connected ? capacityAmpHours : 0,
            dischargeCurrentLimit: connected ? capacityAmpHours : 0, dischargeVoltageLimit: ocv.voltage(soc: 0) * cells,
            chargeEnabled: connected, dischargeEnabled: connected,
            cellVoltageMin: voltages.min() ?? 0, cellVoltageMax: voltages.max() ?? 0,
            cellTemperatureMin: temperatures.min() ?? model.temperatureCelsius,
            cellTemperatureMax: temperatures.max() ?? model.temperatureCelsius,
            name: "PulseBMS Sim \(unitID)", moduleCount: 1, capacityAmpHours: capacityAmpHours)
    }

    /// Carries out a frame the agent sent; returns what changed, or `nil` for frames the pack ignores
    /// (the 0x305 keep-alive is counted by the caller).
    mutating func apply(canFrame frame: CANFrame) -> String? {
        guard frame.id == Self.canCommandID, !frame.isExtended, let code = frame.data.first else { return nil }
        switch code {
        case 1:
            contactorsClosed = false
            return "CAN command: open contactors"
        case 2:
            inverterStarted = false
            return "CAN command: stop power"
        case 3:
            alarmResets += 1
            return "CAN command: reset alarms"
        case 4:
            contactorsClosed = true
            inverterStarted = true
            return "CAN command: start"
        default:
            return "CAN command \(code) ignored"
        }
    }
}

/// One simulated slcan adapter with a CAN-bus BMS pack behind it, on a pseudo-terminal; optionally writes
/// every frame it sends and receives to a candump `-L` log.
final class SlcanPackPort {
    let unitID: Int
    let terminal: PseudoTerminal
    private var decoder = SlcanDecoder()
    private var isOpen = false
    private let log: CandumpLogWriter?
    /// Keep-alive frames (0x305) received from the agent.
    private(set) var keepAlives = 0

    init(unitID: Int, linkPath: String, candumpPath: String?) throws {
        self.unitID = unitID
        terminal = try PseudoTerminal(linkPath: linkPath)
        log = try candumpPath.map { try CandumpLogWriter(path: $0) }
    }

    /// Handles what the agent wrote: slcan commands are answered like an adapter (CR or BEL), frames go to
    /// the pack.
    func serve(_ pack: inout SimulatedPack, report: (String) -> Void) {
        var replies: [UInt8] = []
        for event in decoder.feed(terminal.readAvailable()) {
            switch event {
            case .frame(let frame, _):
                log?.write(frame, direction: .received)
                if frame.id == CANBusBMSFrameID.keepAlive.rawValue {
                    keepAlives += 1
                } else if let change = pack.apply(canFrame: frame) {
                    report("unit \(unitID): \(change)")
                }
                replies.append(0x0D)
            case .reply(let text), .malformed(let text, _):
                replies += answer(command: text)
            case .ok, .errorReply, .overlongLineDiscarded:
                break
            }
        }
        if !replies.isEmpty { terminal.write(replies) }
    }

    /// The adapter's answer to a command line.
    private func answer(command: String) -> [UInt8] {
        guard let letter = command.first else { return [0x0D] }
        switch letter {
        case "O", "L":
            isOpen = true
            return [0x0D]
        case "C":
            let wasOpen = isOpen
            isOpen = false
            return wasOpen ? [0x0D] : [0x07]
        case "S":
            // The bitrate may change only while the channel is closed.
            guard !isOpen, let digit = command.dropFirst().first, ("0"..."9").contains(digit) else { return [0x07] }
            return [0x0D]
        case "V":
            return Array("V1013\r".utf8)
        case "Z", "M", "m":
            return [0x0D]
        default:
            return [0x07]
        }
    }

    /// Broadcasts one cycle of the pack's frames while the channel is open.
    func broadcast(_ pack: SimulatedPack) {
        guard isOpen, !pack.faults.silent else { return }
        var bytes: [UInt8] = []
        for frame in CANBusBMSEncoder.frames(for: pack.canImage()) {
            guard let encoded = try? SlcanFrameEncoder.encode(frame) else { continue }
            bytes += encoded
            log?.write(frame, direction: .transmitted)
        }
        terminal.write(bytes)
    }
}

/// Appends frames to a candump `-L` log.
final class CandumpLogWriter {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SimulatorError("cannot write candump log \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { _ = close(descriptor) }

    /// Appends one frame; the direction is the simulated pack's (received from the agent, or transmitted).
    func write(_ frame: CANFrame, direction: CANDirection) {
        var now = timeval()
        gettimeofday(&now, nil)
        let record = CandumpRecord(
            timestampMicroseconds: Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_usec), interface: "slcan0", frame: frame,
            direction: direction)
        let line = Array((record.line + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}
