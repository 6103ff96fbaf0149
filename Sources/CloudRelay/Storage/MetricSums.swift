import BMSCore

/// Count, sum, sum of squares, minimum and maximum of one metric: what a rollup bucket keeps, and what any
/// number of buckets add up to. Adding sums is exact bookkeeping, so a statistic read from minute, hour or
/// day buckets equals the one read from the raw samples up to floating-point rounding.
struct MetricSums: Sendable, Equatable {
    var count: Int64 = 0
    var sum: Double = 0
    var sumOfSquares: Double = 0
    var minimum: Double?
    var maximum: Double?

    /// Adds one sample; an absent value is not a sample.
    mutating func add(_ value: Double?) {
        guard let value else { return }
        count += 1
        sum += value
        sumOfSquares += value * value
        minimum = Swift.min(minimum ?? value, value)
        maximum = Swift.max(maximum ?? value, value)
    }

    /// Minimum, maximum, mean and population standard deviation; `nil` without a sample.
    ///
    /// The variance is `Σx²/n − mean²`. That difference cancels when the spread is tiny next to the mean, so
    /// a variance within the sums' rounding bound (`n·ε·Σx²/n`) reads 0: a constant signal has std 0, not
    /// 1e-6. The mean is kept within `[min, max]` for the same reason.
    var statistics: MetricStatistics? {
        guard count > 0, let minimum, let maximum else { return nil }
        let samples = Double(count)
        let mean = sum / samples
        let meanSquare = sumOfSquares / samples
        var variance = meanSquare - mean * mean
        if variance <= meanSquare * samples * Double.ulpOfOne { variance = 0 }
        return MetricStatistics(
            min: minimum, max: maximum, avg: Swift.min(Swift.max(mean, minimum), maximum), std: variance.squareRoot())
    }
}
