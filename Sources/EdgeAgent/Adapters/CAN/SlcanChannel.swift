import BMSCore
import Foundation

/// A CAN bus reached through a USB-serial adapter in slcan (Lawicel) mode.
///
/// Opening closes the channel (in case an earlier run left it open), sets the bitrate with its S code and
/// opens it again; an adapter that answers BEL to either is reported as refusing. Received lines are split
/// by BMSCore's `SlcanDecoder`: frames go to the bus, malformed lines are counted and skipped.
final class SlcanChannel: CANChannel {
    private let port: SerialPort
    private var decoder = SlcanDecoder()
    private var pending: [CANReception] = []

    /// How long the adapter may take to answer a setup command.
    /// How long the adapter may take to answer each setup command, by default.
    static let setupTimeoutMilliseconds: Int32 = 1000
    /// How long the adapter may take to answer each setup command (C, S/s, O).
    let setupTimeoutMilliseconds: Int32

    init(
        device: String, bitrate: Int, serialBaud: Int, setupTimeoutMilliseconds: Int32 = SlcanChannel.setupTimeoutMilliseconds
    ) throws(CANBusError) {
        self.setupTimeoutMilliseconds = setupTimeoutMilliseconds
        let code: SlcanBitrate
        do throws(SlcanEncodingError) {
            code = try SlcanBitrate(bitsPerSecond: bitrate)
        } catch {
            throw .unsupported("\(bitrate) bit/s on an slcan adapter: \(error)")
        }
        port = try SerialPort(path: device, baud: serialBaud)
        do throws(CANBusError) {
            try port.write(SlcanCommand.close.bytes)
            _ = try awaitReply(to: "C")  // BEL here only means the channel was already closed
            try port.write(SlcanCommand.setBitrate(code).bytes)
            guard try awaitReply(to: "S\(code.rawValue)") else { throw .refused("the adapter on \(device) refused S\(code.rawValue)") }
            try port.write(SlcanCommand.open.bytes)
            guard try awaitReply(to: "O") else { throw .refused("the adapter on \(device) refused to open the channel") }
        } catch {
            port.close()
            throw error
        }
    }

    /// Waits for the adapter's answer to a command: true for CR, false for BEL. Frames that arrive meanwhile
    /// are kept for `receive`.
    private func awaitReply(to command: String) throws(CANBusError) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(setupTimeoutMilliseconds)))
        while ContinuousClock.now < deadline {
            for event in decoder.feed(try port.read(timeoutMilliseconds: 50)) {
                switch event {
                case .ok: return true
                case .errorReply: return false
                default: keep(event)
                }
            }
        }
        throw .open("no answer to \(command) from the adapter on \(port.path) within \(setupTimeoutMilliseconds) ms")
    }

    private func keep(_ event: SlcanEvent) {
        switch event {
        case .frame(let frame, _):
            pending.append(.frame(frame, at: Timestamp(Date())))
        case .malformed(let line, let reason):
            pending.append(.malformed("slcan line '\(line.prefix(40))': \(reason)"))
        case .overlongLineDiscarded(let length):
            pending.append(.malformed("slcan line of \(length) bytes without CR discarded"))
        case .ok, .errorReply, .reply:
            break  // answers to transmits (CR, z/Z) and queries
        }
    }

    func receive(timeoutMilliseconds: Int32) throws(CANBusError) -> CANReception? {
        if pending.isEmpty {
            for event in decoder.feed(try port.read(timeoutMilliseconds: timeoutMilliseconds)) { keep(event) }
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    func send(_ frame: CANFrame) throws(CANBusError) {
        let bytes: [UInt8]
        do throws(SlcanEncodingError) {
            bytes = try SlcanFrameEncoder.encode(frame)
        } catch {
            throw .unsupported("\(frame) over slcan: \(error)")
        }
        try port.write(bytes)
        // The adapter answers every transmit: CR (or z/Z on CANUSB-style adapters) when queued, BEL when
        // refused. A refused protective command must not count as done.
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(Self.transmitTimeoutMilliseconds)))
        while ContinuousClock.now < deadline {
            for event in decoder.feed(try port.read(timeoutMilliseconds: 10)) {
                switch event {
                case .ok:
                    return
                case .reply(let text) where text == "z" || text == "Z":
                    return
                case .errorReply:
                    throw .refused("the adapter on \(port.path) refused \(frame)")
                default:
                    keep(event)
                }
            }
        }
        throw .refused("no answer from the adapter on \(port.path) to \(frame) within \(Self.transmitTimeoutMilliseconds) ms")
    }

    /// How long the adapter may take to confirm a transmit.
    static let transmitTimeoutMilliseconds = 200

    func close() {
        try? port.write(SlcanCommand.close.bytes)
        port.close()
    }
}

/// A candump `-L` log played back as a bus: frames are delivered at their recorded spacing divided by
/// `speed` (0 = as fast as the reader takes them), stamped with the time they are delivered. Malformed lines
/// are counted and skipped. At the end the log starts again when `loop` is set; otherwise the bus goes
/// quiet (values turn stale, as on a real bus that falls silent).
final class CandumpReplayChannel: CANChannel {
    private let lines: [Substring]
    private let speed: Double
    private let loop: Bool
    private var index = 0
    /// The next record, parsed but not yet due.
    private var upcoming: CandumpRecord?
    /// Recorded time of the first frame and the wall-clock time it was delivered.
    private var origin: (recorded: Int64, wall: ContinuousClock.Instant)?
    let path: String

    init(path: String, speed: Double, loop: Bool) throws(CANBusError) {
        self.path = path
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        } catch {
            throw .open("cannot read candump log \(path): \(error.localizedDescription)")
        }
        self.speed = speed
        self.loop = loop
    }

    func receive(timeoutMilliseconds: Int32) throws(CANBusError) -> CANReception? {
        if upcoming == nil {
            if index >= lines.count {
                guard loop, !lines.isEmpty else {
                    Thread.sleep(forTimeInterval: Double(timeoutMilliseconds) / 1000)
                    return nil
                }
                index = 0
                origin = nil
            }
            let line = lines[index]
            index += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return nil }
            do throws(CandumpError) {
                upcoming = try CandumpRecord(parsing: line)
            } catch {
                return .malformed("\(path) line \(index): \(error)")
            }
        }
        guard let record = upcoming else { return nil }
        if speed > 0 {
            let now = ContinuousClock.now
            let start = origin ?? (record.timestampMicroseconds, now)
            origin = start
            let offset = max(0, Double(record.timestampMicroseconds - start.recorded) / 1_000_000 / speed)
            let due = start.wall.advanced(by: .microseconds(Int64(offset * 1_000_000)))
            if due > now {
                let wait = now.duration(to: due)
                if wait > .milliseconds(Int64(timeoutMilliseconds)) {
                    Thread.sleep(forTimeInterval: Double(timeoutMilliseconds) / 1000)
                    return nil
                }
                Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            }
        }
        upcoming = nil
        return .frame(record.frame, at: Timestamp(Date()))
    }

    func send(_ frame: CANFrame) throws(CANBusError) {
        // A recording cannot be written to; sent frames are accepted and dropped, as on a bus nobody listens to.
    }

    func close() {}
}

/// A frame written in candump syntax (`ID#HEX`) in the configuration, for `can_commands`.
enum CANCommandFrame {
    /// The frame `text` describes.
    static func parse(_ text: String) throws(CandumpError) -> CANFrame {
        try CandumpRecord(parsing: "(0.000000) can0 \(text)").frame
    }

    /// Why `text` is not a frame, or `nil` when it is one.
    static func problem(with text: String) -> String? {
        do throws(CandumpError) {
            _ = try parse(text)
            return nil
        } catch {
            return "Not a frame in candump syntax (ID#HEXDATA, e.g. 380#01): \(error)"
        }
    }
}
