import BMSCore

/// The newest power allocation recorded for a site, newest by the message's own timestamp.
struct StoredAllocation: Sendable, Equatable {
    var message: PowerAllocationMessage
    /// When the allocation ends: its timestamp plus `duration_minutes`.
    var expiresAt: Timestamp
    /// Relay clock: when it arrived.
    var receivedAt: Timestamp
}

extension PowerAllocationMessage {
    /// When the allocation ends: `timestamp` plus `demand.duration_minutes`, truncated to whole milliseconds as
    /// the agent does. `nil` for a duration that is not finite and positive, or past the representable range.
    var endsAt: Timestamp? {
        let minutes = demand.durationMinutes
        guard minutes.isFinite, minutes > 0 else { return nil }
        let milliseconds = (minutes * 60_000).rounded(.towardZero)
        // Int64's largest value is not a Double; 2^62 ms (146 million years) is far beyond any duration allowed.
        guard milliseconds < 0x1p62 else { return nil }
        return timestamp.addingSaturating(milliseconds: Int64(milliseconds))
    }
}
