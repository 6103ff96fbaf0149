import BMSCore

extension Duration {
    /// The duration in whole milliseconds, saturating at `Int64`'s bounds, so that a retention of "forever"
    /// (`.seconds(Int64.max)`) stays representable.
    var saturatingMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !carry else { return seconds < 0 ? .min : .max }
        return total
    }
}

extension Timestamp {
    /// This instant moved by `milliseconds`, saturating at the representable range.
    func addingSaturating(milliseconds: Int64) -> Timestamp {
        let (value, overflow) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        guard !overflow else { return Timestamp(millisecondsSinceEpoch: milliseconds > 0 ? .max : .min) }
        return Timestamp(millisecondsSinceEpoch: value)
    }

    /// Milliseconds from `earlier` to this instant, saturating at the representable range.
    func millisecondsSince(_ earlier: Timestamp) -> Int64 {
        let (value, overflow) = millisecondsSinceEpoch.subtractingReportingOverflow(earlier.millisecondsSinceEpoch)
        guard !overflow else { return earlier.millisecondsSinceEpoch < 0 ? .max : .min }
        return value
    }
}
