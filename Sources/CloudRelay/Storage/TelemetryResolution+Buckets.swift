import BMSCore

extension TelemetryResolution {
    /// Width of one rollup bucket in ms; `nil` for raw samples. Buckets are aligned to the Unix epoch, so a
    /// day bucket is a UTC day.
    var bucketMilliseconds: Int64? {
        switch self {
        case .raw: nil
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// The start of the bucket of `width` ms that contains `milliseconds` (floor division: right before 1970 too).
    static func bucketStart(of milliseconds: Int64, width: Int64) -> Int64 {
        let remainder = milliseconds % width
        return remainder >= 0 ? milliseconds - remainder : milliseconds - remainder - width
    }

    /// The finest resolution coarser than this one whose buckets over `[from, to]` number at most `limit`.
    func coarserFitting(from: Timestamp, to: Timestamp, limit: Int) -> TelemetryResolution? {
        let span = max(0, to.millisecondsSince(from))
        let ownWidth = bucketMilliseconds ?? 0
        for candidate in [TelemetryResolution.minute, .hour, .day] {
            guard let width = candidate.bucketMilliseconds, width > ownWidth else { continue }
            if span / width + 1 <= Int64(limit) { return candidate }
        }
        return nil
    }
}
