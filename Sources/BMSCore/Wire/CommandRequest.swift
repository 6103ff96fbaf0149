/// The seven commands a pack accepts.
public enum CommandType: String, WireEnum {
    case startCharge = "start_charge"
    case stopCharge = "stop_charge"
    case startDischarge = "start_discharge"
    case stopDischarge = "stop_discharge"
    case emergencyShutdown = "emergency_shutdown"
    case updateParameters = "update_parameters"
    case requestStatus = "request_status"
}

/// Lifecycle of a command.
public enum CommandStatus: String, WireEnum {
    case queued, acknowledged, executing, completed, failed, timeout

    /// Whether the command has reached an end state.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .timeout: true
        case .queued, .acknowledged, .executing: false
        }
    }
}

/// The body of `POST /api/v1/commands/{device_id}`.
public struct CommandRequest: Codable, Sendable, Equatable {
    /// The timeout used when a request gives none, in seconds.
    public static let defaultTimeoutSeconds = 30
    /// Accepted timeouts, in seconds.
    public static let timeoutSecondsRange = 1...300

    public var commandType: CommandType
    public var parameters: JSONObject?
    public var timeoutSeconds: Int?

    public init(commandType: CommandType, parameters: JSONObject? = nil, timeoutSeconds: Int? = nil) {
        self.commandType = commandType
        self.parameters = parameters
        self.timeoutSeconds = timeoutSeconds
    }

    /// The timeout that applies: the request's, or the spec's default of 30 s.
    public var effectiveTimeoutSeconds: Int { timeoutSeconds ?? Self.defaultTimeoutSeconds }

    enum CodingKeys: String, CodingKey {
        case commandType = "command_type"
        case parameters
        case timeoutSeconds = "timeout_seconds"
    }
}

/// The 202 body of `POST /api/v1/commands/{device_id}`, also the body of the command status query.
public struct CommandAccepted: Codable, Sendable, Equatable {
    public var commandID: String
    public var status: CommandStatus
    public var message: String
    public var estimatedCompletion: Timestamp

    public init(commandID: String, status: CommandStatus, message: String, estimatedCompletion: Timestamp) {
        self.commandID = commandID
        self.status = status
        self.message = message
        self.estimatedCompletion = estimatedCompletion
    }

    enum CodingKeys: String, CodingKey {
        case commandID = "command_id"
        case status, message
        case estimatedCompletion = "estimated_completion"
    }
}
