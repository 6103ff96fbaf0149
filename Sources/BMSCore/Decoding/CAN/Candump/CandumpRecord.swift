/// Whether a logged frame was received or sent by the logging interface.
public enum CANDirection: String, Sendable, Hashable, CaseIterable {
    /// `R`: received.
    case received = "R"
    /// `T`: transmitted.
    case transmitted = "T"
}

/// One line of a `candump -L` log: `(1700000000.123456) can0 356#7A13F2FE6B01`.
///
/// Accepted forms (can-utils `lib.h`, python-can `CanutilsLogReader`):
/// - 3 hex digits: standard identifier (at most 0x7FF); 8 hex digits: extended identifier, or an error frame
///   when `CAN_ERR_FLAG` (0x20000000) is set, its class in the low 29 bits;
/// - data as hex pairs, optionally separated by `.` (`356#7A.13.F2`); `123#` has no data;
/// - `123#R` / `123#R7`: remote frame (requested length 0 / 7);
/// - `123##1112233`: CAN FD, the nibble after `##` holds BRS (bit 0) and ESI (bit 1), then the data;
/// - a trailing `R`/`T` token (received/transmitted), as python-can writes;
/// - a classic 8-byte frame's `_<dlc>` suffix (9–F) is accepted and dropped.
///
/// Tokens may be separated by several spaces (candump pads interface names when logging many).
public struct CandumpRecord: Sendable, Hashable, CustomStringConvertible {
    /// The logged time, microseconds since the Unix epoch (or since the start, for relative logs).
    public var timestampMicroseconds: Int64
    /// The interface name (`can0`, `vcan0`, `slcan0`).
    public var interface: String
    /// The frame.
    public var frame: CANFrame
    /// The trailing `R`/`T` token, if the line had one.
    public var direction: CANDirection?

    /// A record.
    public init(timestampMicroseconds: Int64, interface: String, frame: CANFrame, direction: CANDirection? = nil) {
        self.timestampMicroseconds = timestampMicroseconds
        self.interface = interface
        self.frame = frame
        self.direction = direction
    }

    /// The logged time in seconds.
    public var seconds: Double { Double(timestampMicroseconds) / 1_000_000 }

    /// The logged time as a `Timestamp` (whole milliseconds, rounded down).
    public var timestamp: Timestamp {
        let milliseconds = timestampMicroseconds >= 0
            ? timestampMicroseconds / 1000 : (timestampMicroseconds - 999) / 1000
        return Timestamp(millisecondsSinceEpoch: milliseconds)
    }

    /// Reads one line (a trailing CR or LF is ignored).
    /// - Throws: `CandumpError` saying what is wrong with the line.
    public init(parsing line: some StringProtocol) throws(CandumpError) {
        try self.init(bytes: Array(line.utf8)[...])
    }

    init(bytes line: ArraySlice<UInt8>) throws(CandumpError) {
        let tokens = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A })
        guard tokens.count == 3 || tokens.count == 4 else {
            throw CandumpError("expected '(seconds) interface frame' with an optional R/T, found \(tokens.count) fields")
        }
        timestampMicroseconds = try Self.parseTimestamp(tokens[0])
        interface = CANHex.text(Array(tokens[1]))
        frame = try Self.parseFrame(tokens[2])
        if tokens.count == 4 {
            let token = tokens[3]
            guard token.count == 1, let letter = token.first else {
                throw CandumpError("the field after the frame must be R or T")
            }
            switch letter {
            case 0x52, 0x72: direction = .received
            case 0x54, 0x74: direction = .transmitted
            default: throw CandumpError("the field after the frame must be R or T")
            }
        } else {
            direction = nil
        }
    }

    /// The line, as `candump -L` writes it (seconds zero-padded to 10 digits, 6 decimals).
    public var line: String {
        var text = "(" + Self.timestampText(timestampMicroseconds) + ") " + interface + " " + Self.frameText(frame)
        if let direction { text += " " + direction.rawValue }
        return text
    }

    /// The line.
    public var description: String { line }

    // MARK: - Parts

    static func timestampText(_ microseconds: Int64) -> String {
        let magnitude = microseconds.magnitude
        let seconds = String(magnitude / 1_000_000)
        let fraction = String(magnitude % 1_000_000)
        let paddedSeconds = seconds.count >= 10 ? seconds : String(repeating: "0", count: 10 - seconds.count) + seconds
        return (microseconds < 0 ? "-" : "") + paddedSeconds + "."
            + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `(seconds[.fraction])`, at most 12 digits of seconds; digits beyond microseconds are dropped.
    static func parseTimestamp(_ token: ArraySlice<UInt8>) throws(CandumpError) -> Int64 {
        guard token.count >= 3, token.first == 0x28, token.last == 0x29 else {
            throw CandumpError("the timestamp must be '(seconds.microseconds)'")
        }
        let body = token.dropFirst().dropLast()
        let parts = body.split(separator: 0x2E, maxSplits: 1, omittingEmptySubsequences: false)
        let isDigit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy(isDigit) else {
            throw CandumpError("the timestamp must be '(seconds.microseconds)' with at most 12 digits of seconds")
        }
        var seconds: Int64 = 0
        for digit in whole { seconds = seconds * 10 + Int64(digit - 0x30) }
        var microseconds: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(isDigit) else {
                throw CandumpError("the timestamp's fraction must be digits")
            }
            let placeValues: [Int64] = [100_000, 10_000, 1000, 100, 10, 1]
            for (index, digit) in fraction.prefix(6).enumerated() {
                microseconds += Int64(digit - 0x30) * placeValues[index]
            }
        }
        return seconds * 1_000_000 + microseconds
    }

    /// `ID#data`, `ID#R[n]`, `ID##<flags><data>`.
    static func parseFrame(_ token: ArraySlice<UInt8>) throws(CandumpError) -> CANFrame {
        guard let hash = token.firstIndex(of: 0x23) else { throw CandumpError("the frame has no '#'") }
        let idText = token[token.startIndex..<hash]
        guard idText.count == 3 || idText.count == 8 else {
            throw CandumpError("the identifier must be 3 (standard) or 8 (extended) hex digits, found \(idText.count)")
        }
        guard let rawID = CANHex.number(idText).map({ UInt32(truncatingIfNeeded: $0) }) else {
            throw CandumpError("the identifier is not hexadecimal")
        }
        var rest = token[token.index(after: hash)...]
        let isError = idText.count == 8 && rawID & LinuxCAN.errorFrameFlag != 0
        let isExtended = idText.count == 8 && !isError
        if idText.count == 8, rawID & (LinuxCAN.extendedFrameFlag | LinuxCAN.remoteFrameFlag) != 0 {
            throw CandumpError("identifier \(CANHex.text(Array(idText))) has EFF/RTR flag bits set")
        }
        let id = isError ? rawID & LinuxCAN.errorClassMask : rawID
        do {
            if rest.first == 0x23 {
                rest = rest.dropFirst()
                guard let flagsByte = rest.first, let flags = CANHex.value(of: flagsByte) else {
                    throw CandumpError("a CAN FD frame needs a flag nibble after '##'")
                }
                guard !isError else { throw CandumpError("an error frame cannot be CAN FD") }
                let data = try parseData(rest.dropFirst())
                return try CANFrame(
                    id: id, isExtended: isExtended, data: data, isFD: true,
                    bitRateSwitch: flags & LinuxCAN.bitRateSwitchFlag != 0,
                    errorStateIndicator: flags & LinuxCAN.errorStateIndicatorFlag != 0)
            }
            if rest.first == 0x52 || rest.first == 0x72 {
                guard !isError else { throw CandumpError("an error frame cannot be a remote frame") }
                let lengthText = rest.dropFirst()
                var requested = 0
                if let digit = lengthText.first {
                    guard lengthText.count == 1, (0x30...0x38).contains(digit) else {
                        throw CandumpError("a remote frame's requested length must be one digit 0-8")
                    }
                    requested = Int(digit - 0x30)
                }
                return try CANFrame.remote(id: id, isExtended: isExtended, requestedLength: requested)
            }
            var dataText = rest
            if let underscore = rest.firstIndex(of: 0x5F) {
                dataText = rest[rest.startIndex..<underscore]
                let dlcText = rest[rest.index(after: underscore)...]
                guard dlcText.count == 1, let dlc = dlcText.first.flatMap(CANHex.value(of:)), dlc > 8 else {
                    throw CandumpError("'_' must be followed by one DLC digit 9-F")
                }
            }
            let data = try parseData(dataText)
            if dataText.count != rest.count, data.count != 8 {
                throw CandumpError("a '_' DLC suffix needs 8 data bytes")
            }
            return try CANFrame(id: id, isExtended: isExtended, data: data, isError: isError)
        } catch let error as CandumpError {
            throw error
        } catch let error as CANFrameError {
            throw CandumpError(error.description)
        } catch {
            throw CandumpError(String(describing: error))
        }
    }

    /// Hex pairs with optional `.` between bytes.
    static func parseData(_ text: ArraySlice<UInt8>) throws(CandumpError) -> [UInt8] {
        var data: [UInt8] = []
        var high: UInt8?
        for byte in text {
            if byte == 0x2E {
                guard high == nil else { throw CandumpError("a '.' separator splits a data byte") }
                continue
            }
            guard let digit = CANHex.value(of: byte) else { throw CandumpError("the data is not hexadecimal") }
            if let pending = high {
                data.append(pending << 4 | digit)
                high = nil
            } else {
                high = digit
            }
            guard data.count <= 64 else { throw CandumpError("more than 64 data bytes") }
        }
        guard high == nil else { throw CandumpError("the data has an odd number of hex digits") }
        return data
    }

    /// `356#7A13F2FE6B01`, `123#R7`, `123##1112233`, `20000080#0000000000000000`.
    static func frameText(_ frame: CANFrame) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + 2 * frame.data.count)
        if frame.isError {
            CANHex.append(UInt64(frame.id | LinuxCAN.errorFrameFlag), width: 8, to: &bytes)
        } else {
            CANHex.append(UInt64(frame.id), width: frame.isExtended ? 8 : 3, to: &bytes)
        }
        bytes.append(0x23)
        if frame.isRemote {
            bytes.append(0x52)
            if frame.requestedLength > 0 { CANHex.append(UInt64(frame.requestedLength), width: 1, to: &bytes) }
        } else {
            if frame.isFD {
                bytes.append(0x23)
                CANHex.append(UInt64(frame.linuxFDFlags), width: 1, to: &bytes)
            }
            CANHex.append(bytes: frame.data, to: &bytes)
        }
        return CANHex.text(bytes)
    }
}

/// Why a candump line could not be read.
public struct CandumpError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the line.
    public var reason: String

    /// An error with its reason.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
