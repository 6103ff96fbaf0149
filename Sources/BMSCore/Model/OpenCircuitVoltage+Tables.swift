extension OpenCircuitVoltage {
    /// The standard rest open-circuit voltage curve of a cell of `chemistry`, 21 points at 5 % steps.
    ///
    /// All four tables are APPROXIMATE and UNVERIFIED: good enough for a simulator and for tests, not for
    /// state-of-charge estimation on a real pack, where the cell vendor's table must replace them.
    /// - End points: Battery University BU-216 (../shared/reference/protocols.md §5) — 0 % at the cut-off
    ///   voltage (LFP 2.50 V, others 3.00 V) and 100 % at the full-charge voltage (LFP 3.65 V, others 4.20 V).
    ///   Real rest voltages at 100 % are a little lower (an LFP cell relaxes to about 3.4 V); the tables keep
    ///   the BU-216 values so that the curve spans the cell's whole voltage window.
    /// - Shapes: hand-read from typical published rest-OCV curves (average of charge and discharge), e.g.
    ///   batterydesign.net "Open Circuit Voltage" (NMC and LFP curves) and BU-216's nominal voltages (LFP
    ///   3.20–3.30 V, NMC 3.60–3.70 V, NCA and LCO 3.60 V). Not fitted to any datasheet.
    public static func standard(for chemistry: Chemistry) -> OpenCircuitVoltage {
        switch chemistry {
        case .lfp: OpenCircuitVoltage(validatedTable: lfpTable)
        case .nmc: OpenCircuitVoltage(validatedTable: nmcTable)
        case .nca: OpenCircuitVoltage(validatedTable: ncaTable)
        case .lco: OpenCircuitVoltage(validatedTable: lcoTable)
        }
    }

    /// LFP/graphite: a steep knee below 15 %, the flat plateau (3.25–3.33 V from 20 % to 80 %, rising
    /// 5–10 mV per 5 %, which is why voltage alone cannot place an LFP cell on its plateau), and a sharp rise
    /// above 95 %. UNVERIFIED approximation.
    private static let lfpTable: [(soc: Double, volts: Double)] = [
        (0.00, 2.500), (0.05, 3.000), (0.10, 3.150), (0.15, 3.200), (0.20, 3.250),
        (0.25, 3.260), (0.30, 3.270), (0.35, 3.280), (0.40, 3.285), (0.45, 3.290),
        (0.50, 3.295), (0.55, 3.300), (0.60, 3.305), (0.65, 3.310), (0.70, 3.320),
        (0.75, 3.325), (0.80, 3.330), (0.85, 3.335), (0.90, 3.340), (0.95, 3.380),
        (1.00, 3.650),
    ]

    /// NMC/graphite: sloped over the whole range, 3.68 V at 50 %. UNVERIFIED approximation.
    private static let nmcTable: [(soc: Double, volts: Double)] = [
        (0.00, 3.000), (0.05, 3.300), (0.10, 3.420), (0.15, 3.500), (0.20, 3.550),
        (0.25, 3.580), (0.30, 3.600), (0.35, 3.620), (0.40, 3.640), (0.45, 3.660),
        (0.50, 3.680), (0.55, 3.710), (0.60, 3.750), (0.65, 3.790), (0.70, 3.830),
        (0.75, 3.870), (0.80, 3.920), (0.85, 3.970), (0.90, 4.030), (0.95, 4.100),
        (1.00, 4.200),
    ]

    /// NCA/graphite: like NMC, slightly lower through the middle (3.675 V at 50 %). UNVERIFIED approximation.
    private static let ncaTable: [(soc: Double, volts: Double)] = [
        (0.00, 3.000), (0.05, 3.250), (0.10, 3.370), (0.15, 3.450), (0.20, 3.500),
        (0.25, 3.540), (0.30, 3.570), (0.35, 3.600), (0.40, 3.625), (0.45, 3.650),
        (0.50, 3.675), (0.55, 3.705), (0.60, 3.740), (0.65, 3.780), (0.70, 3.820),
        (0.75, 3.865), (0.80, 3.910), (0.85, 3.960), (0.90, 4.020), (0.95, 4.090),
        (1.00, 4.200),
    ]

    /// LCO/graphite: a quick rise to about 3.7 V by 20 %, then a gentle slope to 4.2 V. UNVERIFIED
    /// approximation.
    private static let lcoTable: [(soc: Double, volts: Double)] = [
        (0.00, 3.000), (0.05, 3.450), (0.10, 3.600), (0.15, 3.660), (0.20, 3.700),
        (0.25, 3.720), (0.30, 3.740), (0.35, 3.760), (0.40, 3.775), (0.45, 3.790),
        (0.50, 3.810), (0.55, 3.830), (0.60, 3.860), (0.65, 3.890), (0.70, 3.925),
        (0.75, 3.960), (0.80, 4.000), (0.85, 4.040), (0.90, 4.080), (0.95, 4.130),
        (1.00, 4.200),
    ]
}
