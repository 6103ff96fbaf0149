/// How long each resolution of telemetry is kept.
struct RetentionPolicy: Sendable, Equatable {
    var raw: Duration
    var minute: Duration
    var hour: Duration
    var day: Duration

    /// Raw samples a week, minute buckets 30 days, hour buckets a year, day buckets ten years.
    static let standard = RetentionPolicy(
        raw: .seconds(7 * 86_400), minute: .seconds(30 * 86_400), hour: .seconds(366 * 86_400),
        day: .seconds(3653 * 86_400))
}

/// Rows removed by one prune.
struct PruneCounts: Sendable, Equatable {
    var raw = 0
    var minute = 0
    var hour = 0
    var day = 0
}
