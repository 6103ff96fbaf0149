/// A quantity that has levelled safety limits.
public enum LimitedQuantity: String, Sendable, CaseIterable, Codable {
    case cellVoltageMax = "cell_voltage_max"
    case cellVoltageMin = "cell_voltage_min"
    case chargeTemperatureMax = "charge_temperature_max"
    case chargeTemperatureMin = "charge_temperature_min"
    case dischargeTemperatureMax = "discharge_temperature_max"
    case dischargeTemperatureMin = "discharge_temperature_min"
    case chargeCurrentMax = "charge_current_max"
    case dischargeCurrentMax = "discharge_current_max"

    /// The unit the quantity is expressed in.
    public var unit: String {
        switch self {
        case .cellVoltageMax, .cellVoltageMin: "V"
        case .chargeCurrentMax, .dischargeCurrentMax: "A"
        default: "°C"
        }
    }
}

/// The safety limits in force for one pack: its chemistry's defaults, with currents scaled by its capacity,
/// then its `safety_constraints`, then any explicit per-level overrides.
public struct SafetyLimits: Sendable, Equatable {
    /// Cell voltage ceiling, V.
    public var cellVoltageMax: LevelledLimit
    /// Cell voltage floor, V.
    public var cellVoltageMin: LevelledLimit
    /// Temperature ceiling while charging, °C.
    public var chargeTemperatureMax: LevelledLimit
    /// Temperature floor while charging, °C.
    public var chargeTemperatureMin: LevelledLimit
    /// Temperature ceiling while discharging or at rest, °C.
    public var dischargeTemperatureMax: LevelledLimit
    /// Temperature floor while discharging or at rest, °C.
    public var dischargeTemperatureMin: LevelledLimit
    /// Charge current ceiling, A (a magnitude).
    public var chargeCurrentMax: LevelledLimit
    /// Discharge current ceiling, A (a magnitude).
    public var dischargeCurrentMax: LevelledLimit

    /// The limit of one quantity.
    public subscript(quantity: LimitedQuantity) -> LevelledLimit {
        get {
            switch quantity {
            case .cellVoltageMax: cellVoltageMax
            case .cellVoltageMin: cellVoltageMin
            case .chargeTemperatureMax: chargeTemperatureMax
            case .chargeTemperatureMin: chargeTemperatureMin
            case .dischargeTemperatureMax: dischargeTemperatureMax
            case .dischargeTemperatureMin: dischargeTemperatureMin
            case .chargeCurrentMax: chargeCurrentMax
            case .dischargeCurrentMax: dischargeCurrentMax
            }
        }
        set {
            switch quantity {
            case .cellVoltageMax: cellVoltageMax = newValue
            case .cellVoltageMin: cellVoltageMin = newValue
            case .chargeTemperatureMax: chargeTemperatureMax = newValue
            case .chargeTemperatureMin: chargeTemperatureMin = newValue
            case .dischargeTemperatureMax: dischargeTemperatureMax = newValue
            case .dischargeTemperatureMin: dischargeTemperatureMin = newValue
            case .chargeCurrentMax: chargeCurrentMax = newValue
            case .dischargeCurrentMax: dischargeCurrentMax = newValue
            }
        }
    }

    /// The chemistry's defaults for a pack of `nominalCapacityAmpHours`.
    public init(defaultsFor chemistry: Chemistry, nominalCapacityAmpHours: Double) {
        let defaults = ChemistryLimits.defaults(for: chemistry)
        cellVoltageMax = defaults.cellVoltageMax
        cellVoltageMin = defaults.cellVoltageMin
        chargeTemperatureMax = defaults.chargeTemperatureMax
        chargeTemperatureMin = defaults.chargeTemperatureMin
        dischargeTemperatureMax = defaults.dischargeTemperatureMax
        dischargeTemperatureMin = defaults.dischargeTemperatureMin
        chargeCurrentMax = defaults.chargeCRate.multiplied(by: nominalCapacityAmpHours)
        dischargeCurrentMax = defaults.dischargeCRate.multiplied(by: nominalCapacityAmpHours)
    }

    /// The maximum safety limits in the spec's `safety_constraints` shape.
    public var safetyConstraints: SafetyConstraints {
        SafetyConstraints(
            maxCellVoltage: cellVoltageMax.maximumSafety, minCellVoltage: cellVoltageMin.maximumSafety,
            maxChargeCurrent: chargeCurrentMax.maximumSafety, maxDischargeCurrent: dischargeCurrentMax.maximumSafety,
            temperatureLimits: TemperatureLimits(
                max: dischargeTemperatureMax.maximumSafety, min: dischargeTemperatureMin.maximumSafety))
    }

    /// The limits of one pack.
    ///
    /// `constraints` (the spec's `safety_constraints`) set maximum safety limits; the warning and alarm levels
    /// keep their default margins below them (in V or K for voltages and temperatures, as fractions for
    /// currents). `temperature_limits` bound the pack as a whole: they set the discharge window and narrow the
    /// charge window where it would reach past them. `overrides` then set individual levels.
    ///
    /// - Returns: the limits, or every problem with the path of the setting that caused it: levels out of
    ///   order, a cell voltage beyond the chemistry's bounds, charging allowed below 0 °C, an empty window.
    public static func resolve(
        chemistry: Chemistry, nominalCapacityAmpHours: Double, constraints: SafetyConstraints? = nil,
        overrides: SafetyLimitOverrides? = nil, constraintsPath: String = "safety_constraints",
        overridesPath: String = "safety_overrides"
    ) -> Result<SafetyLimits, ValidationFailure> {
        var limits = SafetyLimits(defaultsFor: chemistry, nominalCapacityAmpHours: nominalCapacityAmpHours)
        var sources: [LimitedQuantity: (field: String, value: JSONValue)] = [:]
        let path = { (key: String) in FieldValidator.join(constraintsPath, key) }

        if let constraints {
            if let value = constraints.maxCellVoltage {
                limits.cellVoltageMax = limits.cellVoltageMax.shifted(toMaximumSafety: value)
                sources[.cellVoltageMax] = (path("max_cell_voltage"), .number(value))
            }
            if let value = constraints.minCellVoltage {
                limits.cellVoltageMin = limits.cellVoltageMin.shifted(toMaximumSafety: value)
                sources[.cellVoltageMin] = (path("min_cell_voltage"), .number(value))
            }
            if let value = constraints.maxChargeCurrent {
                limits.chargeCurrentMax = limits.chargeCurrentMax.scaled(toMaximumSafety: value)
                sources[.chargeCurrentMax] = (path("max_charge_current"), .number(value))
            }
            if let value = constraints.maxDischargeCurrent {
                limits.dischargeCurrentMax = limits.dischargeCurrentMax.scaled(toMaximumSafety: value)
                sources[.dischargeCurrentMax] = (path("max_discharge_current"), .number(value))
            }
            if let value = constraints.temperatureLimits?.max {
                let source = (path("temperature_limits.max"), JSONValue.number(value))
                limits.dischargeTemperatureMax = limits.dischargeTemperatureMax.shifted(toMaximumSafety: value)
                sources[.dischargeTemperatureMax] = source
                if value < limits.chargeTemperatureMax.maximumSafety {
                    limits.chargeTemperatureMax = limits.chargeTemperatureMax.shifted(toMaximumSafety: value)
                    sources[.chargeTemperatureMax] = source
                }
            }
            if let value = constraints.temperatureLimits?.min {
                let source = (path("temperature_limits.min"), JSONValue.number(value))
                limits.dischargeTemperatureMin = limits.dischargeTemperatureMin.shifted(toMaximumSafety: value)
                sources[.dischargeTemperatureMin] = source
                if value > limits.chargeTemperatureMin.maximumSafety {
                    limits.chargeTemperatureMin = limits.chargeTemperatureMin.shifted(toMaximumSafety: value)
                    sources[.chargeTemperatureMin] = source
                }
            }
        }

        if let overrides {
            for quantity in LimitedQuantity.allCases {
                guard let override = overrides[quantity] else { continue }
                var limit = limits[quantity]
                if let value = override.operating { limit.operating = value }
                if let value = override.recommendedSafety { limit.recommendedSafety = value }
                if let value = override.maximumSafety { limit.maximumSafety = value }
                limits[quantity] = limit
                let received = (try? JSONValue(encoding: override)) ?? .null
                sources[quantity] = (FieldValidator.join(overridesPath, quantity.rawValue), received)
            }
        }

        let errors = limits.problems(chemistry: chemistry, sources: sources)
        return errors.isEmpty ? .success(limits) : .failure(ValidationFailure(errors))
    }

    private func problems(
        chemistry: Chemistry, sources: [LimitedQuantity: (field: String, value: JSONValue)]
    ) -> [FieldError] {
        let defaults = ChemistryLimits.defaults(for: chemistry)
        var errors: [FieldError] = []
        func report(_ quantity: LimitedQuantity, _ message: String) {
            let source = sources[quantity]
            errors.append(FieldError(field: source?.field ?? quantity.rawValue, message: message, receivedValue: source?.value))
        }
        for quantity in LimitedQuantity.allCases {
            let limit = self[quantity]
            if !limit.isOrdered {
                report(quantity, "Levels must be finite and ordered: \(limit.orderDescription) \(quantity.unit)")
            }
        }
        if cellVoltageMax.maximumSafety > defaults.cellVoltageCeiling {
            report(.cellVoltageMax, "Must not exceed \(format(defaults.cellVoltageCeiling)) V for \(chemistry.rawValue) cells")
        }
        if cellVoltageMin.maximumSafety < defaults.cellVoltageFloor {
            report(.cellVoltageMin, "Must not be below \(format(defaults.cellVoltageFloor)) V for \(chemistry.rawValue) cells")
        }
        if cellVoltageMin.operating >= cellVoltageMax.operating {
            report(.cellVoltageMin, "The operating window is empty: minimum \(format(cellVoltageMin.operating)) V is not below maximum \(format(cellVoltageMax.operating)) V")
        }
        if chargeTemperatureMin.maximumSafety < ChemistryLimits.chargeTemperatureFloor {
            report(.chargeTemperatureMin, "Charging must stop at or above \(format(ChemistryLimits.chargeTemperatureFloor)) °C (lithium plating)")
        }
        for quantity in [LimitedQuantity.chargeTemperatureMax, .chargeTemperatureMin, .dischargeTemperatureMax, .dischargeTemperatureMin] {
            let limit = self[quantity]
            let levels = [limit.operating, limit.recommendedSafety, limit.maximumSafety]
            if levels.contains(where: { !ChemistryLimits.temperatureBounds.contains($0) }) {
                report(quantity, "Temperatures must be between \(format(ChemistryLimits.temperatureBounds.lowerBound)) and \(format(ChemistryLimits.temperatureBounds.upperBound)) °C")
            }
        }
        for quantity in [LimitedQuantity.chargeCurrentMax, .dischargeCurrentMax] where self[quantity].operating <= 0 {
            report(quantity, "Current limits must be greater than 0 A")
        }
        return errors
    }
}

/// Explicit levels for one quantity; absent levels keep their resolved value.
public struct LevelOverride: Codable, Sendable, Equatable {
    public var operating: Double?
    public var recommendedSafety: Double?
    public var maximumSafety: Double?

    public init(operating: Double? = nil, recommendedSafety: Double? = nil, maximumSafety: Double? = nil) {
        self.operating = operating
        self.recommendedSafety = recommendedSafety
        self.maximumSafety = maximumSafety
    }

    enum CodingKeys: String, CodingKey {
        case operating
        case recommendedSafety = "recommended_safety"
        case maximumSafety = "maximum_safety"
    }
}

/// Per-quantity level overrides, as written in an agent's configuration (`cell_voltage_max: {operating: …}`).
public struct SafetyLimitOverrides: Codable, Sendable, Equatable {
    private var levels: [LimitedQuantity: LevelOverride]

    public init(_ levels: [LimitedQuantity: LevelOverride] = [:]) {
        self.levels = levels
    }

    public subscript(quantity: LimitedQuantity) -> LevelOverride? {
        get { levels[quantity] }
        set { levels[quantity] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        var levels: [LimitedQuantity: LevelOverride] = [:]
        for key in container.allKeys {
            guard let quantity = LimitedQuantity(rawValue: key.stringValue) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: container.codingPath + [key],
                        debugDescription: "unknown limit; known limits are: \(LimitedQuantity.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            levels[quantity] = try container.decode(LevelOverride.self, forKey: key)
        }
        self.levels = levels
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for (quantity, override) in levels {
            try container.encode(override, forKey: AnyCodingKey(stringValue: quantity.rawValue))
        }
    }
}
