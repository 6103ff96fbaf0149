import BMSCore

/// A registered pack, with what the relay last heard from it.
struct StoredDevice: Sendable, Equatable {
    var registration: DeviceRegistration
    var createdAt: Timestamp
    var updatedAt: Timestamp
    /// Registered from the descriptor in an agent's status message rather than by `POST /devices`.
    var isAutoRegistered: Bool
    var state: DeviceLatestState

    var deviceID: String { registration.deviceID }
    var siteID: String { registration.siteID }
}

/// What the relay last heard from or about a pack. Kept for packs not (yet) registered too, so that a pack
/// registered after its first telemetry shows its state at once.
struct DeviceLatestState: Sendable, Equatable {
    /// Relay clock: when telemetry (duplicates included) or a status message for the pack last arrived.
    var lastReceivedAt: Timestamp?
    /// Measurement time of the newest telemetry; a late, older sample never moves it back.
    var telemetryAt: Timestamp?
    var sequenceNumber: UInt64?
    /// Pack values of the newest telemetry: V, A, W, °C, %, %.
    var voltage: Double?
    var current: Double?
    var power: Double?
    var temperature: Double?
    var soc: Double?
    var soh: Double?
    var operationalState: OperationalState?
    /// `alarms.active_count` of the newest telemetry.
    var alarmCount: Int = 0
    /// Codes of the alarms in the newest telemetry (its flags when it carries no details).
    var alarmCodes: [String] = []
    /// The status in the newest status message (by its timestamp), and that timestamp.
    var reportedStatus: DeviceStatus?
    var reportedStatusAt: Timestamp?
    /// The link status of the site's agent; `offline` (its Last Will) makes every pack of the site offline.
    var agentStatus: AgentLinkStatus?
}

/// The changes of `PATCH /devices/{device_id}`. A field left `nil` is unchanged; one that is set replaces
/// the stored value whole (the HTTP layer merges partial objects before it calls the store).
struct DevicePatch: Sendable, Equatable {
    var name: String?
    var specifications: DeviceSpecifications?
    /// An empty `SafetyConstraints()` removes every override (the chemistry's defaults apply).
    var safetyConstraints: SafetyConstraints?

    init(name: String? = nil, specifications: DeviceSpecifications? = nil, safetyConstraints: SafetyConstraints? = nil) {
        self.name = name
        self.specifications = specifications
        self.safetyConstraints = safetyConstraints
    }

    func applied(to registration: DeviceRegistration) -> DeviceRegistration {
        var patched = registration
        if let name { patched.name = name }
        if let specifications { patched.specifications = specifications }
        if let safetyConstraints { patched.safetyConstraints = safetyConstraints }
        return patched
    }
}

/// One page of the device list and the number of devices matching the filter.
struct DevicePage: Sendable, Equatable {
    var items: [StoredDevice]
    var total: Int
}
