import BMSCore

extension PackMeasurements {
    /// The value of one queryable metric, absent when the pack did not report it.
    func value(of metric: TelemetryMetric) -> Double? {
        switch metric {
        case .voltage: voltage
        case .current: current
        case .power: power
        case .temperature: temperature
        case .soc: soc
        case .soh: soh
        }
    }
}
