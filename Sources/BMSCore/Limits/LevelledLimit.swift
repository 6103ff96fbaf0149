/// Which side of a limit is unsafe.
public enum LimitDirection: String, Sendable, Codable {
    /// Values above the limit violate it (maximum cell voltage, maximum temperature, maximum current).
    case upper
    /// Values below the limit violate it (minimum cell voltage, minimum temperature).
    case lower
}

/// One quantity's limit at the three foxBMS levels.
///
/// - `operating`: maximum operating limit (MOL) → warning.
/// - `recommendedSafety`: recommended safety limit (RSL) → alarm.
/// - `maximumSafety`: maximum safety limit (MSL) → critical, protective action.
///
/// For an upper limit the levels rise (`operating < recommendedSafety < maximumSafety`); for a lower limit
/// they fall.
public struct LevelledLimit: Sendable, Equatable, Codable {
    public var operating: Double
    public var recommendedSafety: Double
    public var maximumSafety: Double
    public var direction: LimitDirection

    public init(operating: Double, recommendedSafety: Double, maximumSafety: Double, direction: LimitDirection) {
        self.operating = operating
        self.recommendedSafety = recommendedSafety
        self.maximumSafety = maximumSafety
        self.direction = direction
    }

    /// Whether every level is finite and the levels are in the order of `direction`.
    public var isOrdered: Bool {
        guard operating.isFinite, recommendedSafety.isFinite, maximumSafety.isFinite else { return false }
        switch direction {
        case .upper: return operating < recommendedSafety && recommendedSafety < maximumSafety
        case .lower: return operating > recommendedSafety && recommendedSafety > maximumSafety
        }
    }

    /// The threshold of one level.
    public func threshold(_ severity: Severity) -> Double? {
        switch severity {
        case .info: nil
        case .warning: operating
        case .alarm: recommendedSafety
        case .critical: maximumSafety
        }
    }

    /// The same limit with every level moved by the same amount, so that the maximum safety limit is
    /// `newMaximum` (voltages and temperatures keep their margins in V or K).
    public func shifted(toMaximumSafety newMaximum: Double) -> LevelledLimit {
        let delta = newMaximum - maximumSafety
        return LevelledLimit(
            operating: operating + delta, recommendedSafety: recommendedSafety + delta, maximumSafety: newMaximum,
            direction: direction)
    }

    /// The same limit with every level scaled by the same factor, so that the maximum safety limit is
    /// `newMaximum` (currents keep their margins as fractions).
    public func scaled(toMaximumSafety newMaximum: Double) -> LevelledLimit {
        let factor = newMaximum / maximumSafety
        return LevelledLimit(
            operating: operating * factor, recommendedSafety: recommendedSafety * factor, maximumSafety: newMaximum,
            direction: direction)
    }

    /// The limit with every level multiplied by `factor` (C-rate → A).
    public func multiplied(by factor: Double) -> LevelledLimit {
        LevelledLimit(
            operating: operating * factor, recommendedSafety: recommendedSafety * factor,
            maximumSafety: maximumSafety * factor, direction: direction)
    }

    /// A description of the order that must hold, with the values, for error messages.
    var orderDescription: String {
        let relation = direction == .upper ? "<" : ">"
        return "operating (\(format(operating))) \(relation) recommended safety (\(format(recommendedSafety))) "
            + "\(relation) maximum safety (\(format(maximumSafety)))"
    }
}
