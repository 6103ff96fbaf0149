/// The nominal bit rates of the slcan (Lawicel) `S0`…`S8` commands.
public enum SlcanBitrate: Int, Sendable, Hashable, CaseIterable {
    /// `S0`: 10 kbit/s.
    case kbit10 = 0
    /// `S1`: 20 kbit/s.
    case kbit20 = 1
    /// `S2`: 50 kbit/s.
    case kbit50 = 2
    /// `S3`: 100 kbit/s.
    case kbit100 = 3
    /// `S4`: 125 kbit/s.
    case kbit125 = 4
    /// `S5`: 250 kbit/s.
    case kbit250 = 5
    /// `S6`: 500 kbit/s (the CAN-bus BMS rate).
    case kbit500 = 6
    /// `S7`: 800 kbit/s in the Lawicel manual, 750 kbit/s on CANable and in python-can.
    case kbit750or800 = 7
    /// `S8`: 1 Mbit/s.
    case mbit1 = 8

    /// The command code for a bit rate; 750 000 and 800 000 both give `S7` (adapters differ on its meaning).
    ///
    /// - Throws: `SlcanEncodingError.unsupportedBitrate` for any rate without an S code.
    public init(bitsPerSecond: Int) throws(SlcanEncodingError) {
        switch bitsPerSecond {
        case 10_000: self = .kbit10
        case 20_000: self = .kbit20
        case 50_000: self = .kbit50
        case 100_000: self = .kbit100
        case 125_000: self = .kbit125
        case 250_000: self = .kbit250
        case 500_000: self = .kbit500
        case 750_000, 800_000: self = .kbit750or800
        case 1_000_000: self = .mbit1
        default: throw SlcanEncodingError.unsupportedBitrate(bitsPerSecond)
        }
    }

    /// The rate in bit/s (800 000 for `S7`, the Lawicel value).
    public var bitsPerSecond: Int {
        [10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 800_000, 1_000_000][rawValue]
    }
}
