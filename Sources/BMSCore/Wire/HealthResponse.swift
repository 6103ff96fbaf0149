/// The body of `GET /api/v1/health`.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: HealthStatus
    public var version: String
    public var timestamp: Timestamp
    public var uptimeSeconds: Double
    public var services: ServiceHealthReport
    public var metrics: HealthMetrics

    public init(
        status: HealthStatus, version: String, timestamp: Timestamp, uptimeSeconds: Double,
        services: ServiceHealthReport, metrics: HealthMetrics
    ) {
        self.status = status
        self.version = version
        self.timestamp = timestamp
        self.uptimeSeconds = uptimeSeconds
        self.services = services
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case status, version, timestamp
        case uptimeSeconds = "uptime_seconds"
        case services, metrics
    }
}

/// Overall health of the relay.
public enum HealthStatus: String, WireEnum {
    case healthy, degraded, unhealthy
}

/// Health of one service the relay depends on.
public enum ServiceHealth: String, WireEnum {
    case healthy, unhealthy
}

/// Per-service health. `redis` and `digital_twin` are reported only by deployments that run them.
public struct ServiceHealthReport: Codable, Sendable, Equatable {
    public var database: ServiceHealth
    public var mqtt: ServiceHealth
    public var redis: ServiceHealth?
    public var digitalTwin: ServiceHealth?

    public init(
        database: ServiceHealth, mqtt: ServiceHealth, redis: ServiceHealth? = nil, digitalTwin: ServiceHealth? = nil
    ) {
        self.database = database
        self.mqtt = mqtt
        self.redis = redis
        self.digitalTwin = digitalTwin
    }

    enum CodingKeys: String, CodingKey {
        case database, mqtt, redis
        case digitalTwin = "digital_twin"
    }
}

/// Measured load figures of the relay.
public struct HealthMetrics: Codable, Sendable, Equatable {
    public var activeDevices: Int
    public var messagesPerSecond: Double
    public var responseTimeMilliseconds: Double
    /// Fraction of requests answered with a 5xx, 0–1.
    public var errorRate: Double

    public init(activeDevices: Int, messagesPerSecond: Double, responseTimeMilliseconds: Double, errorRate: Double) {
        self.activeDevices = activeDevices
        self.messagesPerSecond = messagesPerSecond
        self.responseTimeMilliseconds = responseTimeMilliseconds
        self.errorRate = errorRate
    }

    enum CodingKeys: String, CodingKey {
        case activeDevices = "active_devices"
        case messagesPerSecond = "messages_per_second"
        case responseTimeMilliseconds = "response_time_ms"
        case errorRate = "error_rate"
    }
}
