/// The retained status of one pack on `pulsebms/{site}/{device}/status`.
///
/// Published as a birth message on every connect, carrying the pack's descriptor so that the cloud can
/// register a pack it has not seen. (The spec names the topic but not its body; this is PulseBMS's.)
public struct DeviceStatusMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var timestamp: Timestamp
    public var status: DeviceStatus
    public var descriptor: DeviceRegistration
    public var firmwareVersion: String?

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, status: DeviceStatus, descriptor: DeviceRegistration,
        firmwareVersion: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.status = status
        self.descriptor = descriptor
        self.firmwareVersion = firmwareVersion
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp, status, descriptor
        case firmwareVersion = "firmware_version"
    }
}

/// Whether a site's agent is connected.
public enum AgentLinkStatus: String, WireEnum {
    case online, offline
}

/// The retained status of a site's agent on `pulsebms/{site}/coordinator/status`.
///
/// An MQTT connection has one Last Will, so the agent's Will is this message with `offline`: when the agent
/// disappears, every pack it reads is to be treated as offline too.
public struct AgentStatusMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var timestamp: Timestamp
    public var siteID: String
    public var status: AgentLinkStatus
    public var agentVersion: String
    /// The packs this agent reads.
    public var deviceIDs: [String]

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, siteID: String, status: AgentLinkStatus,
        agentVersion: String, deviceIDs: [String]
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.siteID = siteID
        self.status = status
        self.agentVersion = agentVersion
        self.deviceIDs = deviceIDs
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp
        case siteID = "site_id"
        case status
        case agentVersion = "agent_version"
        case deviceIDs = "device_ids"
    }
}
