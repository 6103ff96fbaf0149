/// The body of `GET /api/v1/telemetry/{device_id}`.
public struct TelemetryQueryResponse: Codable, Sendable, Equatable {
    public var deviceID: String
    public var startTime: Timestamp
    public var endTime: Timestamp
    public var resolution: TelemetryResolution
    public var dataPoints: Int
    public var metrics: TelemetrySeries
    public var statistics: TelemetryStatistics

    public init(
        deviceID: String, startTime: Timestamp, endTime: Timestamp, resolution: TelemetryResolution,
        dataPoints: Int, metrics: TelemetrySeries, statistics: TelemetryStatistics
    ) {
        self.deviceID = deviceID
        self.startTime = startTime
        self.endTime = endTime
        self.resolution = resolution
        self.dataPoints = dataPoints
        self.metrics = metrics
        self.statistics = statistics
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case startTime = "start_time"
        case endTime = "end_time"
        case resolution
        case dataPoints = "data_points"
        case metrics, statistics
    }
}

/// Resolution of a telemetry query.
public enum TelemetryResolution: String, WireEnum {
    case raw, minute, hour, day
}

/// A pack-level metric that can be queried or streamed.
public enum TelemetryMetric: String, WireEnum {
    case voltage, current, power, temperature, soc, soh
}

/// Column-wise telemetry: one timestamp array and one array per requested metric, all of equal length.
public struct TelemetrySeries: Codable, Sendable, Equatable {
    public var timestamps: [Timestamp]
    public var voltage: [Double]?
    public var current: [Double]?
    public var power: [Double]?
    public var temperature: [Double]?
    public var soc: [Double]?
    public var soh: [Double]?

    public init(
        timestamps: [Timestamp], voltage: [Double]? = nil, current: [Double]? = nil, power: [Double]? = nil,
        temperature: [Double]? = nil, soc: [Double]? = nil, soh: [Double]? = nil
    ) {
        self.timestamps = timestamps
        self.voltage = voltage
        self.current = current
        self.power = power
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
    }

    /// The column of one metric.
    public subscript(metric: TelemetryMetric) -> [Double]? {
        get {
            switch metric {
            case .voltage: voltage
            case .current: current
            case .power: power
            case .temperature: temperature
            case .soc: soc
            case .soh: soh
            }
        }
        set {
            switch metric {
            case .voltage: voltage = newValue
            case .current: current = newValue
            case .power: power = newValue
            case .temperature: temperature = newValue
            case .soc: soc = newValue
            case .soh: soh = newValue
            }
        }
    }
}

/// Summary statistics of one metric over the queried range.
public struct MetricStatistics: Codable, Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var avg: Double
    /// Population standard deviation.
    public var std: Double

    public init(min: Double, max: Double, avg: Double, std: Double) {
        self.min = min
        self.max = max
        self.avg = avg
        self.std = std
    }
}

/// Statistics per requested metric.
public struct TelemetryStatistics: Codable, Sendable, Equatable {
    public var voltage: MetricStatistics?
    public var current: MetricStatistics?
    public var power: MetricStatistics?
    public var temperature: MetricStatistics?
    public var soc: MetricStatistics?
    public var soh: MetricStatistics?

    public init(
        voltage: MetricStatistics? = nil, current: MetricStatistics? = nil, power: MetricStatistics? = nil,
        temperature: MetricStatistics? = nil, soc: MetricStatistics? = nil, soh: MetricStatistics? = nil
    ) {
        self.voltage = voltage
        self.current = current
        self.power = power
        self.temperature = temperature
        self.soc = soc
        self.soh = soh
    }

    /// The statistics of one metric.
    public subscript(metric: TelemetryMetric) -> MetricStatistics? {
        get {
            switch metric {
            case .voltage: voltage
            case .current: current
            case .power: power
            case .temperature: temperature
            case .soc: soc
            case .soh: soh
            }
        }
        set {
            switch metric {
            case .voltage: voltage = newValue
            case .current: current = newValue
            case .power: power = newValue
            case .temperature: temperature = newValue
            case .soc: soc = newValue
            case .soh: soh = newValue
            }
        }
    }
}
