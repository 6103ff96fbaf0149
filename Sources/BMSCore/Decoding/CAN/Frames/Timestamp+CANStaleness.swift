extension Timestamp {
    /// Whether a value received at this time is older than `limit` at `now` (strictly: a value exactly
    /// `limit` old is still fresh).
    func isOlder(than limit: Duration, at now: Timestamp) -> Bool {
        Double(now.millisecondsSinceEpoch - millisecondsSinceEpoch) > limit.inSeconds * 1000
    }

    /// Seconds from this time to `later` (negative when `later` is earlier).
    func seconds(until later: Timestamp) -> Double {
        Double(later.millisecondsSinceEpoch - millisecondsSinceEpoch) / 1000
    }
}
