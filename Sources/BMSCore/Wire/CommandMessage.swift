/// Urgency of a command or of a power demand.
public enum Priority: String, WireEnum {
    case low, normal, high, critical
}

/// The command message the cloud publishes on `pulsebms/{site}/{device}/commands`.
public struct CommandMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var commandID: String
    public var timestamp: Timestamp
    /// Who sent it (`coordinator_service`, `operator:<key id>`, …).
    public var source: String
    public var command: CommandBody
    public var safetyChecks: SafetyChecks
    public var metadata: CommandMetadata?

    public init(
        schemaVersion: SchemaVersion = .v1, commandID: String, timestamp: Timestamp, source: String,
        command: CommandBody, safetyChecks: SafetyChecks, metadata: CommandMetadata? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.commandID = commandID
        self.timestamp = timestamp
        self.source = source
        self.command = command
        self.safetyChecks = safetyChecks
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case commandID = "command_id"
        case timestamp, source, command
        case safetyChecks = "safety_checks"
        case metadata
    }
}

/// What to do.
public struct CommandBody: Codable, Sendable, Equatable {
    public var type: CommandType
    public var priority: Priority
    public var timeoutSeconds: Int
    public var parameters: JSONObject

    public init(type: CommandType, priority: Priority, timeoutSeconds: Int, parameters: JSONObject = [:]) {
        self.type = type
        self.priority = priority
        self.timeoutSeconds = timeoutSeconds
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case type, priority
        case timeoutSeconds = "timeout_seconds"
        case parameters
    }
}

/// Limits the sender requires the agent to check before it executes the command.
public struct SafetyChecks: Codable, Sendable, Equatable {
    public var required: Bool
    public var constraints: CommandConstraints

    public init(required: Bool, constraints: CommandConstraints) {
        self.required = required
        self.constraints = constraints
    }
}

/// The constraints of a command's safety checks.
///
/// Decoding refuses keys it does not know: a misspelt constraint must not be ignored silently.
public struct CommandConstraints: Codable, Sendable, Equatable {
    /// Highest cell voltage at which the command may run, V.
    public var maxCellVoltage: Double?
    /// Lowest cell voltage at which the command may run, V.
    public var minCellVoltage: Double?
    /// Highest temperature at which the command may run, °C.
    public var maxTemperature: Double?
    /// Lowest SoC at which the command may run, %.
    public var minSoC: Double?
    /// Highest SoC at which the command may run, %.
    public var maxSoC: Double?

    public init(
        maxCellVoltage: Double? = nil, minCellVoltage: Double? = nil, maxTemperature: Double? = nil,
        minSoC: Double? = nil, maxSoC: Double? = nil
    ) {
        self.maxCellVoltage = maxCellVoltage
        self.minCellVoltage = minCellVoltage
        self.maxTemperature = maxTemperature
        self.minSoC = minSoC
        self.maxSoC = maxSoC
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxCellVoltage = "max_cell_voltage"
        case minCellVoltage = "min_cell_voltage"
        case maxTemperature = "max_temperature"
        case minSoC = "min_soc"
        case maxSoC = "max_soc"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        if let unknown = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: all.codingPath + [unknown],
                    debugDescription: "unknown constraint; known constraints are: \(known.sorted().joined(separator: ", "))"))
        }
        maxCellVoltage = try container.decodeIfPresent(Double.self, forKey: .maxCellVoltage)
        minCellVoltage = try container.decodeIfPresent(Double.self, forKey: .minCellVoltage)
        maxTemperature = try container.decodeIfPresent(Double.self, forKey: .maxTemperature)
        minSoC = try container.decodeIfPresent(Double.self, forKey: .minSoC)
        maxSoC = try container.decodeIfPresent(Double.self, forKey: .maxSoC)
    }
}

/// Why the sender chose this command.
public struct CommandMetadata: Codable, Sendable, Equatable {
    public var optimizationContext: OptimizationContext?

    public init(optimizationContext: OptimizationContext? = nil) {
        self.optimizationContext = optimizationContext
    }

    enum CodingKeys: String, CodingKey {
        case optimizationContext = "optimization_context"
    }
}

/// The optimiser's account of a decision.
public struct OptimizationContext: Codable, Sendable, Equatable {
    public var policyVersion: String
    public var costFunctionValue: Double
    public var alternativesConsidered: Int

    public init(policyVersion: String, costFunctionValue: Double, alternativesConsidered: Int) {
        self.policyVersion = policyVersion
        self.costFunctionValue = costFunctionValue
        self.alternativesConsidered = alternativesConsidered
    }

    enum CodingKeys: String, CodingKey {
        case policyVersion = "policy_version"
        case costFunctionValue = "cost_function_value"
        case alternativesConsidered = "alternatives_considered"
    }
}

/// A coding key for any member name, to list the keys an object actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
