import BMSCore

/// Thins one subscription's telemetry to its `sample_rate`, per device, by the samples' own timestamps.
///
/// Each device gets a schedule anchored at the first sample it delivers: one sample per period
/// (`1 / sample_rate`), the first at or after the slot's due time. So that timestamp jitter does not halve a
/// device streaming at exactly the requested rate (a 1 Hz pack stamped 999 ms apart would otherwise lose every
/// other sample), a sample up to half the device's own sampling period (averaged) early still fills its slot; the schedule
/// then moves on by exactly one period, so the long-run rate never exceeds the requested one. A gap of more than
/// a period (a pack offline) re-anchors the schedule at the next sample. Samples older than one already seen
/// are never delivered.
///
/// Deterministic, no clock: 10 s of a 10 Hz pack gives 10 samples at "1Hz" and 2 at "0.2Hz".
struct TelemetryDecimator: Sendable {
    /// The period of the requested rate, in milliseconds.
    let periodMilliseconds: Double
    private var schedules: [String: Schedule] = [:]

    private struct Schedule {
        /// When the next slot opens, ms since the epoch.
        var due: Double
        /// The newest sample seen, delivered or not.
        var lastSeen: Int64
        /// The device's own sampling period: a moving average of the intervals between its samples, so that one
        /// late sample followed by a prompt one (an interval far below the real period) does not shrink the
        /// tolerance and cost the next slot.
        var inputPeriod: Double?
    }

    init(rate: SampleRate) {
        periodMilliseconds = rate.intervalMilliseconds
    }

    /// Whether the sample of `deviceID` measured at `timestamp` is delivered; records it either way.
    mutating func admit(deviceID: String, at timestamp: Timestamp) -> Bool {
        let milliseconds = timestamp.millisecondsSinceEpoch
        let time = Double(milliseconds)
        guard var schedule = schedules[deviceID] else {
            schedules[deviceID] = Schedule(due: time + periodMilliseconds, lastSeen: milliseconds, inputPeriod: nil)
            return true
        }
        guard milliseconds > schedule.lastSeen else { return false }  // a repeat or a late arrival
        let interval = Double(milliseconds - schedule.lastSeen)
        schedule.inputPeriod = schedule.inputPeriod.map { $0 + (interval - $0) / 8 } ?? interval
        schedule.lastSeen = milliseconds
        defer { schedules[deviceID] = schedule }

        let earliness = min(periodMilliseconds / 2, (schedule.inputPeriod ?? 0) / 2)
        guard time >= schedule.due - earliness else { return false }
        schedule.due = time >= schedule.due + periodMilliseconds ? time + periodMilliseconds : schedule.due + periodMilliseconds
        return true
    }
}
