/// A step in a command's lifecycle, published by the agent on `pulsebms/{site}/{device}/responses`.
///
/// (The spec names the topic and the status enum but not the body; this is PulseBMS's.)
public struct CommandResponseMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var commandID: String
    public var deviceID: String
    public var timestamp: Timestamp
    public var status: CommandStatus
    public var message: String
    /// Why a command was refused as malformed.
    public var errors: [FieldError]?

    public init(
        schemaVersion: SchemaVersion = .v1, commandID: String, deviceID: String, timestamp: Timestamp,
        status: CommandStatus, message: String, errors: [FieldError]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.commandID = commandID
        self.deviceID = deviceID
        self.timestamp = timestamp
        self.status = status
        self.message = message
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case commandID = "command_id"
        case deviceID = "device_id"
        case timestamp, status, message, errors
    }
}
