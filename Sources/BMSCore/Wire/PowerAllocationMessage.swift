/// The power allocation the coordinator publishes on `pulsebms/{site}/coordinator/allocation`.
///
/// Sign convention: power > 0 discharges, power < 0 charges.
public struct PowerAllocationMessage: Codable, Sendable, Equatable {
    public var schemaVersion: SchemaVersion
    public var timestamp: Timestamp
    public var allocationID: String
    public var siteID: String
    public var demand: PowerDemand
    public var allocation: PowerAllocation
    public var forecasts: AllocationForecasts

    public init(
        schemaVersion: SchemaVersion = .v1, timestamp: Timestamp, allocationID: String, siteID: String,
        demand: PowerDemand, allocation: PowerAllocation, forecasts: AllocationForecasts
    ) {
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.allocationID = allocationID
        self.siteID = siteID
        self.demand = demand
        self.allocation = allocation
        self.forecasts = forecasts
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case timestamp
        case allocationID = "allocation_id"
        case siteID = "site_id"
        case demand, allocation, forecasts
    }
}

/// What the site is asked to deliver.
public struct PowerDemand: Codable, Sendable, Equatable {
    /// Site power in W.
    public var totalPowerTarget: Double
    public var durationMinutes: Double
    /// Accepted relative shortfall, 0–1.
    public var flexibility: Double
    public var priority: Priority

    public init(totalPowerTarget: Double, durationMinutes: Double, flexibility: Double, priority: Priority) {
        self.totalPowerTarget = totalPowerTarget
        self.durationMinutes = durationMinutes
        self.flexibility = flexibility
        self.priority = priority
    }

    enum CodingKeys: String, CodingKey {
        case totalPowerTarget = "total_power_target"
        case durationMinutes = "duration_minutes"
        case flexibility, priority
    }
}

/// How the demand is split across packs.
public struct PowerAllocation: Codable, Sendable, Equatable {
    /// The method that produced the split, by its real name.
    public var optimizationMethod: String
    /// Sum of the devices' allocated power, W.
    public var totalAllocated: Double
    public var efficiencyScore: Double
    public var devices: [DeviceAllocation]

    public init(optimizationMethod: String, totalAllocated: Double, efficiencyScore: Double, devices: [DeviceAllocation]) {
        self.optimizationMethod = optimizationMethod
        self.totalAllocated = totalAllocated
        self.efficiencyScore = efficiencyScore
        self.devices = devices
    }

    enum CodingKeys: String, CodingKey {
        case optimizationMethod = "optimization_method"
        case totalAllocated = "total_allocated"
        case efficiencyScore = "efficiency_score"
        case devices
    }
}

/// One pack's share of an allocation.
public struct DeviceAllocation: Codable, Sendable, Equatable {
    public var deviceID: String
    /// Setpoint in W.
    public var allocatedPower: Double
    public var confidence: Double
    /// The limits this pack sits on (`max_discharge_power`, `soc_min_energy`, …).
    public var constraintsActive: [String]

    public init(deviceID: String, allocatedPower: Double, confidence: Double, constraintsActive: [String]) {
        self.deviceID = deviceID
        self.allocatedPower = allocatedPower
        self.confidence = confidence
        self.constraintsActive = constraintsActive
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case allocatedPower = "allocated_power"
        case confidence
        case constraintsActive = "constraints_active"
    }
}

/// What the coordinator expects to follow from an allocation.
public struct AllocationForecasts: Codable, Sendable, Equatable {
    /// Per device, expected fractional capacity loss over the allocation.
    public var degradationImpact: [String: Double]
    public var efficiencyPrediction: Double
    public var completionProbability: Double

    public init(degradationImpact: [String: Double], efficiencyPrediction: Double, completionProbability: Double) {
        self.degradationImpact = degradationImpact
        self.efficiencyPrediction = efficiencyPrediction
        self.completionProbability = completionProbability
    }

    enum CodingKeys: String, CodingKey {
        case degradationImpact = "degradation_impact"
        case efficiencyPrediction = "efficiency_prediction"
        case completionProbability = "completion_probability"
    }
}
