/// Where and how to find a SunSpec device's register map.
///
/// The agent probes each of `baseAddresses` by reading `probeRegisterCount` holding registers (FC3); the
/// first two must be the "SunS" marker and the third is the first model ID (model 1, Common). The model chain
/// then starts at base + 2; see `SunSpecModelChain` and `SunSpecChainWalker`.
public enum SunSpecDiscovery {
    /// Base addresses to probe, in order (0-based protocol addresses; 40000 is shown as 40001 in 1-based
    /// notation).
    public static let baseAddresses: [Int] = [40000, 0, 50000]

    /// The "SunS" marker: 0x5375 ("Su"), 0x6E53 ("nS").
    public static let marker: [UInt16] = [0x5375, 0x6E53]

    /// Registers to read at each candidate base: the marker and the first model ID.
    public static let probeRegisterCount = 3

    /// The model ID that ends the chain.
    public static let endModelID: UInt16 = 0xFFFF

    /// Whether `registers` begins with the "SunS" marker. Extra registers after the marker are ignored.
    public static func isSunSpecMarker(_ registers: [UInt16]) -> Bool {
        registers.count >= 2 && registers[0] == marker[0] && registers[1] == marker[1]
    }
}
