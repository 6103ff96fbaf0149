/// Default safety limits of a cell chemistry, before a device's own constraints are applied.
///
/// Sources (../shared/reference/protocols.md §5):
/// - Cell voltages: Battery University BU-216. The maximum safety limit is the full-charge voltage
///   (LFP 3.65 V; NMC, NCA, LCO 4.20 V); the recommended safety and operating limits sit 50 and 100 mV
///   below it. On the low side the operating limit is the cut-off voltage (LFP 2.50 V, others 3.00 V), the
///   maximum safety limit is the damage threshold (LFP 2.00 V, others 2.50 V) and the recommended safety
///   limit is their midpoint.
/// - Temperatures: BU-410 — charge 0–45 °C with reduced current below 5 °C and no charging below 0 °C;
///   discharge −20–60 °C. The discharge ceiling follows the client's safety analysis: 45 °C warning (75 %
///   power), 55 °C alarm (25 % power), 65 °C critical (emergency shutdown). The charge ceiling is 10 K lower
///   at every level (foxBMS 2's demo cell keeps the same 10 K offset), which puts its maximum at BU-410's 45 °C.
/// - Currents (C-rate of the nominal capacity): conservative defaults for second-life packs, not from a
///   datasheet; a pack's own constraints should replace them. LCO discharge is lower (BU-402: about 1 C).
/// - Override bounds: no override may raise a cell's maximum above `cellVoltageCeiling` (high-voltage variants
///   of each chemistry), lower its minimum below `cellVoltageFloor` (BU-216's minimum), or allow charging
///   below 0 °C.
public struct ChemistryLimits: Sendable, Equatable {
    public var cellVoltageMax: LevelledLimit
    public var cellVoltageMin: LevelledLimit
    public var chargeTemperatureMax: LevelledLimit
    public var chargeTemperatureMin: LevelledLimit
    public var dischargeTemperatureMax: LevelledLimit
    public var dischargeTemperatureMin: LevelledLimit
    /// Charge current as a C-rate.
    public var chargeCRate: LevelledLimit
    /// Discharge current as a C-rate.
    public var dischargeCRate: LevelledLimit
    /// Highest maximum cell voltage any override may set, V.
    public var cellVoltageCeiling: Double
    /// Lowest minimum cell voltage any override may set, V.
    public var cellVoltageFloor: Double

    /// Lowest charge temperature any override may allow, °C (lithium plating below it).
    public static let chargeTemperatureFloor = 0.0
    /// Temperatures any override must stay within, °C.
    public static let temperatureBounds: ClosedRange<Double> = -40...90

    /// The defaults of a chemistry.
    public static func defaults(for chemistry: Chemistry) -> ChemistryLimits {
        switch chemistry {
        case .lfp:
            ChemistryLimits(
                cellVoltageMax: .init(operating: 3.55, recommendedSafety: 3.60, maximumSafety: 3.65, direction: .upper),
                cellVoltageMin: .init(operating: 2.50, recommendedSafety: 2.25, maximumSafety: 2.00, direction: .lower),
                chargeCRate: .init(operating: 0.5, recommendedSafety: 0.75, maximumSafety: 1.0, direction: .upper),
                dischargeCRate: .init(operating: 1.0, recommendedSafety: 1.5, maximumSafety: 2.0, direction: .upper),
                cellVoltageCeiling: 3.80, cellVoltageFloor: 2.00)
        case .nmc:
            ChemistryLimits(
                cellVoltageMax: .init(operating: 4.10, recommendedSafety: 4.15, maximumSafety: 4.20, direction: .upper),
                cellVoltageMin: .init(operating: 3.00, recommendedSafety: 2.75, maximumSafety: 2.50, direction: .lower),
                chargeCRate: .init(operating: 0.5, recommendedSafety: 0.7, maximumSafety: 1.0, direction: .upper),
                dischargeCRate: .init(operating: 1.0, recommendedSafety: 1.5, maximumSafety: 2.0, direction: .upper),
                cellVoltageCeiling: 4.35, cellVoltageFloor: 2.50)
        case .nca:
            ChemistryLimits(
                cellVoltageMax: .init(operating: 4.10, recommendedSafety: 4.15, maximumSafety: 4.20, direction: .upper),
                cellVoltageMin: .init(operating: 3.00, recommendedSafety: 2.75, maximumSafety: 2.50, direction: .lower),
                chargeCRate: .init(operating: 0.5, recommendedSafety: 0.7, maximumSafety: 1.0, direction: .upper),
                dischargeCRate: .init(operating: 1.0, recommendedSafety: 1.5, maximumSafety: 2.0, direction: .upper),
                cellVoltageCeiling: 4.30, cellVoltageFloor: 2.50)
        case .lco:
            ChemistryLimits(
                cellVoltageMax: .init(operating: 4.10, recommendedSafety: 4.15, maximumSafety: 4.20, direction: .upper),
                cellVoltageMin: .init(operating: 3.00, recommendedSafety: 2.75, maximumSafety: 2.50, direction: .lower),
                chargeCRate: .init(operating: 0.5, recommendedSafety: 0.7, maximumSafety: 1.0, direction: .upper),
                dischargeCRate: .init(operating: 0.8, recommendedSafety: 1.0, maximumSafety: 1.2, direction: .upper),
                cellVoltageCeiling: 4.35, cellVoltageFloor: 2.50)
        }
    }

    private init(
        cellVoltageMax: LevelledLimit, cellVoltageMin: LevelledLimit, chargeCRate: LevelledLimit,
        dischargeCRate: LevelledLimit, cellVoltageCeiling: Double, cellVoltageFloor: Double
    ) {
        self.cellVoltageMax = cellVoltageMax
        self.cellVoltageMin = cellVoltageMin
        self.chargeTemperatureMax = .init(operating: 35, recommendedSafety: 40, maximumSafety: 45, direction: .upper)
        self.chargeTemperatureMin = .init(operating: 5, recommendedSafety: 2.5, maximumSafety: 0, direction: .lower)
        self.dischargeTemperatureMax = .init(operating: 45, recommendedSafety: 55, maximumSafety: 65, direction: .upper)
        self.dischargeTemperatureMin = .init(operating: -10, recommendedSafety: -15, maximumSafety: -20, direction: .lower)
        self.chargeCRate = chargeCRate
        self.dischargeCRate = dischargeCRate
        self.cellVoltageCeiling = cellVoltageCeiling
        self.cellVoltageFloor = cellVoltageFloor
    }
}
