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
    /// The power allocation as actually applied, while one is (or was last) in force.
    public var allocation: AppliedAllocation?

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, siteID: String, status: AgentLinkStatus,
        agentVersion: String, deviceIDs: [String], allocation: AppliedAllocation? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.siteID = siteID
        self.status = status
        self.agentVersion = agentVersion
        self.deviceIDs = deviceIDs
        self.allocation = allocation
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp
        case siteID = "site_id"
        case status
        case agentVersion = "agent_version"
        case deviceIDs = "device_ids"
        case allocation
    }
}

/// What the agent did with a power allocation: per pack the setpoint it applied after its own limits.
public struct AppliedAllocation: Codable, Sendable, Equatable {
    public var allocationID: String
    public var appliedAt: Timestamp
    public var expiresAt: Timestamp
    /// `true` once the allocation has expired and the fallback (zero power) is in force.
    public var fallbackActive: Bool
    public var devices: [AppliedSetpoint]

    public init(allocationID: String, appliedAt: Timestamp, expiresAt: Timestamp, fallbackActive: Bool, devices: [AppliedSetpoint]) {
        self.allocationID = allocationID
        self.appliedAt = appliedAt
        self.expiresAt = expiresAt
        self.fallbackActive = fallbackActive
        self.devices = devices
    }

    enum CodingKeys: String, CodingKey {
        case allocationID = "allocation_id"
        case appliedAt = "applied_at"
        case expiresAt = "expires_at"
        case fallbackActive = "fallback_active"
        case devices
    }
}

/// One pack's share of an allocation as applied: > 0 discharge, < 0 charge.
public struct AppliedSetpoint: Codable, Sendable, Equatable {
    public var deviceID: String
    public var requestedPower: Double
    public var appliedPower: Double
    /// The local limits that cut the request (`charge_current_limit`, `temperature_derate`,
    /// `pack_discharge_current_limit`, `max_discharge_power`, `stopped_by_protection`, …; see `SetpointClamp`).
    public var constraintsActive: [String]

    public init(deviceID: String, requestedPower: Double, appliedPower: Double, constraintsActive: [String]) {
        self.deviceID = deviceID
        self.requestedPower = requestedPower
        self.appliedPower = appliedPower
        self.constraintsActive = constraintsActive
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case requestedPower = "requested_power"
        case appliedPower = "applied_power"
        case constraintsActive = "constraints_active"
    }
}
