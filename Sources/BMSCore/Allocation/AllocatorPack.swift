import Foundation

/// What the allocator knows about one pack. Power: > 0 discharge, < 0 charge (the spec's convention).
public struct AllocatorPack: Sendable, Equatable {
    public var deviceID: String
    /// Usable energy: nominal energy × state of health, Wh.
    public var usableEnergyWattHours: Double
    /// State of charge, 0–1.
    public var soc: Double
    /// The SoC window the pack may use, 0–1.
    public var socMin: Double
    public var socMax: Double
    public var temperatureCelsius: Double
    /// State of health, 0–1.
    public var soh: Double
    /// Power limits apart from temperature derating, W (magnitudes): the pack's rating, or less where the caller
    /// already derates for another reason (cell voltage, SoC, current). A limit derated for temperature and passed
    /// here is named `max_charge_power` / `max_discharge_power`; pass it as `temperatureDerated…` to have it named
    /// `temperature_derate`.
    public var maxChargePowerWatts: Double
    public var maxDischargePowerWatts: Double
    /// The charge and discharge power that temperature derating allows now, W (magnitudes); `nil` when no
    /// temperature derating is in force. The limit in force is the lower of this and `max…PowerWatts`
    /// (`powerLimit(discharging:)`).
    public var temperatureDeratedChargePowerWatts: Double?
    public var temperatureDeratedDischargePowerWatts: Double?
    public var chargeEfficiency: Double
    public var dischargeEfficiency: Double
    /// Online, not faulted, and read recently; otherwise the pack gets zero.
    public var isAvailable: Bool
    /// The setpoint in force, W, for the ramp penalty.
    public var previousSetpointWatts: Double
    /// A stress factor given by the caller instead of `StressFactors.k(for:direction:)`.
    public var stressFactorOverride: Double?

    public init(
        deviceID: String, usableEnergyWattHours: Double, soc: Double, socMin: Double = 0.1, socMax: Double = 0.9,
        temperatureCelsius: Double = 25, soh: Double = 1, maxChargePowerWatts: Double, maxDischargePowerWatts: Double,
        temperatureDeratedChargePowerWatts: Double? = nil, temperatureDeratedDischargePowerWatts: Double? = nil,
        chargeEfficiency: Double = 0.96, dischargeEfficiency: Double = 0.96, isAvailable: Bool = true,
        previousSetpointWatts: Double = 0, stressFactorOverride: Double? = nil
    ) {
        self.deviceID = deviceID
        self.usableEnergyWattHours = usableEnergyWattHours
        self.soc = soc
        self.socMin = socMin
        self.socMax = socMax
        self.temperatureCelsius = temperatureCelsius
        self.soh = soh
        self.maxChargePowerWatts = maxChargePowerWatts
        self.maxDischargePowerWatts = maxDischargePowerWatts
        self.temperatureDeratedChargePowerWatts = temperatureDeratedChargePowerWatts
        self.temperatureDeratedDischargePowerWatts = temperatureDeratedDischargePowerWatts
        self.chargeEfficiency = chargeEfficiency
        self.dischargeEfficiency = dischargeEfficiency
        self.isAvailable = isAvailable
        self.previousSetpointWatts = previousSetpointWatts
        self.stressFactorOverride = stressFactorOverride
    }
}

extension AllocatorPack {
    /// The power limit in force in one direction, W (a magnitude), and the name of the bound it sets when the pack
    /// sits on it (unless the energy left in the SoC window is tighter: `soc_min_energy` / `soc_max_energy`).
    ///
    /// With r = `max…PowerWatts` and d = `temperatureDerated…PowerWatts` (each taken as at least 0): the limit is
    /// min(r, d), named `temperature_derate` when d < r strictly, else `max_discharge_power` / `max_charge_power`
    /// (so a derated limit equal to the rating, or above it, or no derating at all, names the rating).
    func powerLimit(discharging: Bool) -> (watts: Double, name: String) {
        let rated = max(0, discharging ? maxDischargePowerWatts : maxChargePowerWatts)
        let ratedName = discharging ? "max_discharge_power" : "max_charge_power"
        guard let derated = discharging ? temperatureDeratedDischargePowerWatts : temperatureDeratedChargePowerWatts
        else { return (watts: rated, name: ratedName) }
        // max(0, NaN) is 0: a derating that is not a number stops the pack rather than lifting the limit.
        let watts = max(0, derated)
        return watts < rated ? (watts: watts, name: "temperature_derate") : (watts: rated, name: ratedName)
    }
}

/// The documented stress factors behind each pack's weight wᵢ = kᵢ / Eᵢ (kWh), kᵢ = f_SoH · f_T · f_SoC.
///
/// - f_SoH = 1 + 2 · (1 − SoH): an aged pack is stressed more by the same C-rate (a second-life pack at
///   80 % SoH counts 1.4×).
/// - f_T = exp(Eₐ/R · (1/298.15 K − 1/T)) above 25 °C, 1 below, with Eₐ = 50 kJ/mol: the Arrhenius
///   acceleration of degradation (the order of magnitude BLAST-Lite's NMC and LFP calendar models use).
/// - f_SoC = 1 + (distance of SoC from the middle of its window toward the stressed side) / (half the
///   window): toward empty when discharging, toward full when charging; 1 on the other side.
public enum StressFactors {
    public static let activationEnergyJoulesPerMole = 50_000.0
    public static let gasConstant = 8.314462618

    public static func k(for pack: AllocatorPack, discharging: Bool) -> Double {
        if let override = pack.stressFactorOverride { return override }
        let health = 1 + 2 * (1 - min(1, max(0, pack.soh)))
        let kelvin = pack.temperatureCelsius + 273.15
        let thermal = pack.temperatureCelsius > 25
            ? exp(activationEnergyJoulesPerMole / gasConstant * (1 / 298.15 - 1 / kelvin)) : 1
        let middle = (pack.socMin + pack.socMax) / 2
        let half = max(1e-9, (pack.socMax - pack.socMin) / 2)
        let toward = discharging ? (middle - pack.soc) / half : (pack.soc - middle) / half
        return health * thermal * (1 + max(0, toward))
    }
}
