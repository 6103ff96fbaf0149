import BMSCore

/// A command the relay published, with the latest step of its lifecycle.
struct StoredCommand: Sendable, Equatable {
    /// The message as published on `pulsebms/{site}/{device}/commands`.
    var message: CommandMessage
    var deviceID: String
    var siteID: String
    var status: CommandStatus
    /// The agent's account of the latest step (or the relay's, for a timeout).
    var statusMessage: String
    /// Why the agent refused the command as malformed.
    var errors: [FieldError]?
    var updatedAt: Timestamp
    /// `timestamp + timeout_seconds`: after it, an unfinished command is expired to `timeout`.
    var timeoutAt: Timestamp

    var commandID: String { message.commandID }
    var createdAt: Timestamp { message.timestamp }

    /// The body of the 202 answer and of the command status query.
    var accepted: CommandAccepted {
        CommandAccepted(commandID: commandID, status: status, message: statusMessage, estimatedCompletion: timeoutAt)
    }
}

/// The result of applying an agent's response to a command.
struct CommandUpdate: Sendable, Equatable {
    /// The command as stored after the response.
    var command: StoredCommand
    /// `false` when the response was late or a duplicate and left the command as it was.
    var advanced: Bool
}

extension CommandStatus {
    /// Rank of a final state.
    static let finalRank = 3

    /// Position in the lifecycle queued → acknowledged → executing → completed | failed | timeout. A command
    /// only moves to a higher rank, so late and duplicate responses never move it back, and a final state
    /// is final.
    var lifecycleRank: Int {
        switch self {
        case .queued: 0
        case .acknowledged: 1
        case .executing: 2
        case .completed, .failed, .timeout: Self.finalRank
        }
    }
}
