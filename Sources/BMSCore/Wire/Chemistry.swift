/// Cell chemistry of a pack, as the spec's `chemistry` enum.
public enum Chemistry: String, WireEnum {
    /// Lithium iron phosphate.
    case lfp = "LFP"
    /// Lithium nickel manganese cobalt oxide.
    case nmc = "NMC"
    /// Lithium cobalt oxide.
    case lco = "LCO"
    /// Lithium nickel cobalt aluminium oxide.
    case nca = "NCA"
}
