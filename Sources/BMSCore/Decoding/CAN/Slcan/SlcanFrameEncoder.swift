/// Encodes frames in the slcan text form: `t`/`T` data, `r`/`R` remote, `d`/`D` FD without and `b`/`B` FD
/// with bit rate switch (lower case: 11-bit identifier, upper case: 29-bit).
///
/// The same form serves both directions: a host sends it to transmit, an adapter (or the simulator playing
/// one) sends it for a received frame, then with an optional millisecond timestamp.
public enum SlcanFrameEncoder {
    /// The frame's line, ending with CR.
    ///
    /// - Parameter timestampMilliseconds: appended as 4 hex digits (adapters count 0–59999, `Z1`); only for
    ///   frames an adapter reports.
    /// - Throws: `SlcanEncodingError.errorFrame` for an error frame, which slcan cannot carry.
    public static func encode(_ frame: CANFrame, timestampMilliseconds: UInt16? = nil) throws(SlcanEncodingError) -> [UInt8] {
        guard !frame.isError else { throw SlcanEncodingError.errorFrame }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + 2 * frame.data.count)
        let letter: Character
        switch (frame.isFD, frame.isRemote, frame.bitRateSwitch) {
        case (true, _, true): letter = "b"
        case (true, _, false): letter = "d"
        case (false, true, _): letter = "r"
        case (false, false, _): letter = "t"
        }
        let cased = frame.isExtended ? letter.uppercased() : String(letter)
        bytes += Array(cased.utf8)
        CANHex.append(UInt64(frame.id), width: frame.isExtended ? 8 : 3, to: &bytes)
        CANHex.append(UInt64(frame.dlc), width: 1, to: &bytes)
        if !frame.isRemote { CANHex.append(bytes: frame.data, to: &bytes) }
        if let timestampMilliseconds { CANHex.append(UInt64(timestampMilliseconds), width: 4, to: &bytes) }
        bytes.append(0x0D)
        return bytes
    }
}

/// Why something cannot be written in slcan form.
public enum SlcanEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A bit rate without an `S` code.
    case unsupportedBitrate(Int)
    /// Error frames cannot be sent or reported over slcan.
    case errorFrame

    /// What cannot be encoded.
    public var description: String {
        switch self {
        case .unsupportedBitrate(let rate):
            "\(rate) bit/s has no slcan S code (10k, 20k, 50k, 100k, 125k, 250k, 500k, 750k/800k, 1M)"
        case .errorFrame:
            "error frames cannot be carried over slcan"
        }
    }
}
