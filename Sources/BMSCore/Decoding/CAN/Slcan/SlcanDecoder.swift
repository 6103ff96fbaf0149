/// What an slcan adapter said.
public enum SlcanEvent: Sendable, Hashable {
    /// A received frame, with the adapter's millisecond timestamp when `Z1` is on.
    case frame(CANFrame, timestampMilliseconds: UInt16?)
    /// A bare CR: the last command succeeded.
    case ok
    /// BEL (0x07): the last command failed.
    case errorReply
    /// An answer to a query or a transmit acknowledgement: `V1013`, `vSTM32…`, `NA123`, `F00`, `z`, `Z`.
    case reply(String)
    /// A line that is neither (counted and skipped).
    case malformed(line: String, reason: String)
    /// A line grew past `maximumLineLength` without a CR; it was dropped up to the next CR.
    case overlongLineDiscarded(length: Int)
}

/// Splits the byte stream from an slcan adapter into events. Bytes may arrive in chunks split anywhere.
///
/// Lines end with CR (a LF is ignored). BEL ends a pending line too (reported malformed) and is an error
/// reply. Received frames are `tiiiL…`, `TiiiiiiiiL…`, `riiiL`, `RiiiiiiiiL`, the FD forms `d`/`D`/`b`/`B`,
/// each optionally followed by a 4-hex-digit timestamp. Memory is bounded: a line longer than
/// `maximumLineLength` is discarded with an event.
public struct SlcanDecoder: Sendable {
    /// The longest line kept; the longest valid one (`B`, 8 id digits, DLC, 64 bytes, timestamp) has 142.
    public let maximumLineLength: Int
    /// Frames decoded.
    public private(set) var frameCount = 0
    /// BEL replies seen.
    public private(set) var errorReplyCount = 0
    /// Malformed and overlong lines.
    public private(set) var malformedCount = 0

    private var buffer: [UInt8] = []
    private var discarding = false

    /// A decoder keeping lines up to `maximumLineLength` bytes.
    public init(maximumLineLength: Int = 256) {
        self.maximumLineLength = max(8, maximumLineLength)
        buffer.reserveCapacity(self.maximumLineLength)
    }

    /// Feeds the next bytes from the adapter and returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SlcanEvent] {
        var events: [SlcanEvent] = []
        for byte in bytes {
            switch byte {
            case 0x0D:
                if discarding {
                    discarding = false
                } else {
                    events.append(decodeLine(buffer))
                }
                buffer.removeAll(keepingCapacity: true)
            case 0x07:
                if !buffer.isEmpty, !discarding {
                    events.append(malformed(buffer, "a BEL interrupted the line"))
                }
                discarding = false
                buffer.removeAll(keepingCapacity: true)
                errorReplyCount += 1
                events.append(.errorReply)
            case 0x0A:
                continue
            default:
                guard !discarding else { continue }
                if buffer.count >= maximumLineLength {
                    malformedCount += 1
                    events.append(.overlongLineDiscarded(length: buffer.count + 1))
                    buffer.removeAll(keepingCapacity: true)
                    discarding = true
                } else {
                    buffer.append(byte)
                }
            }
        }
        return events
    }

    /// Bytes received after the last CR, waiting for the rest of their line.
    public var pendingByteCount: Int { buffer.count }

    // MARK: - Lines

    private mutating func decodeLine(_ line: [UInt8]) -> SlcanEvent {
        guard let first = line.first else { return .ok }
        switch first {
        case 0x74, 0x54, 0x72, 0x52, 0x64, 0x44, 0x62, 0x42:  // t T r R d D b B
            switch Self.frame(line) {
            case .success(let decoded):
                frameCount += 1
                return .frame(decoded.frame, timestampMilliseconds: decoded.timestamp)
            case .failure(let error):
                return malformed(line, error.reason)
            }
        case 0x56, 0x76, 0x4E, 0x46:  // V v N F
            guard line.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                return malformed(line, "a reply must be printable ASCII")
            }
            return .reply(CANHex.text(line))
        case 0x7A, 0x5A:  // z Z: transmit acknowledgements
            guard line.count == 1 else { return malformed(line, "an acknowledgement is a single z or Z") }
            return .reply(CANHex.text(line))
        default:
            return malformed(line, "not a frame, a reply or an acknowledgement")
        }
    }

    private mutating func malformed(_ line: [UInt8], _ reason: String) -> SlcanEvent {
        malformedCount += 1
        let printable = line.prefix(64).map { (0x20...0x7E).contains($0) ? $0 : 0x3F }
        return .malformed(line: CANHex.text(printable), reason: reason)
    }

    private struct LineError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// A received frame line (without CR).
    private static func frame(_ line: [UInt8]) -> Result<(frame: CANFrame, timestamp: UInt16?), LineError> {
        guard let letter = line.first else { return .failure(LineError("empty line")) }
        let isExtended = letter < 0x60  // upper case
        let lower = letter | 0x20
        let isRemote = lower == 0x72
        let isFD = lower == 0x64 || lower == 0x62
        let idLength = isExtended ? 8 : 3
        guard line.count >= 1 + idLength + 1 else { return .failure(LineError("the line is too short for a frame")) }
        guard let rawID = CANHex.number(line[1...idLength]) else {
            return .failure(LineError("the identifier is not hexadecimal"))
        }
        guard let dlc = CANHex.value(of: line[1 + idLength]) else {
            return .failure(LineError("the DLC is not a hex digit"))
        }
        let length: Int
        if isFD {
            guard let fdLength = CANFrame.fdLength(forDLC: Int(dlc)) else { return .failure(LineError("bad FD DLC")) }
            length = fdLength
        } else {
            guard dlc <= 8 else { return .failure(LineError("DLC \(dlc) is above 8")) }
            length = Int(dlc)
        }
        let dataStart = 2 + idLength
        let dataDigits = isRemote ? 0 : 2 * length
        let remaining = line.count - dataStart
        guard remaining == dataDigits || remaining == dataDigits + 4 else {
            return .failure(LineError("expected \(dataDigits) data digits and an optional 4-digit timestamp, found \(remaining) digits"))
        }
        guard let data = CANHex.bytes(line[dataStart..<(dataStart + dataDigits)]) else {
            return .failure(LineError("the data is not hexadecimal"))
        }
        var timestamp: UInt16?
        if remaining == dataDigits + 4 {
            guard let value = CANHex.number(line[(dataStart + dataDigits)...]) else {
                return .failure(LineError("the timestamp is not hexadecimal"))
            }
            timestamp = UInt16(truncatingIfNeeded: value)
        }
        let id = UInt32(truncatingIfNeeded: rawID)
        do {
            let frame: CANFrame
            if isRemote {
                frame = try CANFrame.remote(id: id, isExtended: isExtended, requestedLength: length)
            } else {
                frame = try CANFrame(id: id, isExtended: isExtended, data: data, isFD: isFD, bitRateSwitch: lower == 0x62)
            }
            return .success((frame: frame, timestamp: timestamp))
        } catch {
            return .failure(LineError(String(describing: error)))
        }
    }
}
