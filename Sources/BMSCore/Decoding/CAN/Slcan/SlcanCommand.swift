/// A command to an slcan adapter. `bytes` ends with CR; the adapter answers CR (done) or BEL (error).
///
/// Frames to send are encoded by `SlcanFrameEncoder`.
public enum SlcanCommand: Sendable, Hashable {
    /// `Sn`: set the bit rate (only while the channel is closed).
    case setBitrate(SlcanBitrate)
    /// `O`: open the channel.
    case open
    /// `L`: open the channel listen-only.
    case listenOnly
    /// `C`: close the channel.
    case close
    /// `V`: hardware and firmware version (answer `Vhhff`).
    case version
    /// `N`: serial number (answer `Nxxxx`).
    case serialNumber
    /// `F`: status flags (answer `Fxx`).
    case statusFlags
    /// `Z1` / `Z0`: received frames carry (or not) a 4-hex-digit millisecond timestamp.
    case timestamps(Bool)

    /// The command text without its CR.
    public var text: String {
        switch self {
        case .setBitrate(let bitrate): "S\(bitrate.rawValue)"
        case .open: "O"
        case .listenOnly: "L"
        case .close: "C"
        case .version: "V"
        case .serialNumber: "N"
        case .statusFlags: "F"
        case .timestamps(let enabled): enabled ? "Z1" : "Z0"
        }
    }

    /// The bytes to write, ending with CR.
    public var bytes: [UInt8] { Array(text.utf8) + [0x0D] }
}
