/// An agent's periodic health report on `pulsebms/system/health` (not retained; one per site per interval).
public struct SystemHealthMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var timestamp: Timestamp
    public var siteID: String
    public var agentVersion: String
    public var uptimeSeconds: Double
    public var packsTotal: Int
    /// Packs whose last read succeeded.
    public var packsReachable: Int
    public var activeAlarms: Int
    public var latchedFaults: Int
    public var bufferDepth: Int
    public var bufferDropped: Int

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, siteID: String, agentVersion: String,
        uptimeSeconds: Double, packsTotal: Int, packsReachable: Int, activeAlarms: Int, latchedFaults: Int,
        bufferDepth: Int, bufferDropped: Int
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.siteID = siteID
        self.agentVersion = agentVersion
        self.uptimeSeconds = uptimeSeconds
        self.packsTotal = packsTotal
        self.packsReachable = packsReachable
        self.activeAlarms = activeAlarms
        self.latchedFaults = latchedFaults
        self.bufferDepth = bufferDepth
        self.bufferDropped = bufferDropped
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp
        case siteID = "site_id"
        case agentVersion = "agent_version"
        case uptimeSeconds = "uptime_seconds"
        case packsTotal = "packs_total"
        case packsReachable = "packs_reachable"
        case activeAlarms = "active_alarms"
        case latchedFaults = "latched_faults"
        case bufferDepth = "buffer_depth"
        case bufferDropped = "buffer_dropped"
    }
}
