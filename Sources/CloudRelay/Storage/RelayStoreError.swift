import BMSCore

/// Why a relay store operation failed.
///
/// Each case has one HTTP answer: `conflict` 409, `notFound` 404, `tooManyPoints` 400 (naming a coarser
/// resolution that fits), `storageFull` and `storage` a logged 5xx.
enum RelayStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The record exists already; the value names it (`device 'battery_pack_001'`).
    case conflict(String)
    /// No such record; the value names it.
    case notFound(String)
    /// A telemetry query would return more than `limit` points. `suggestedResolution` is the finest coarser
    /// resolution whose buckets over the same range fit, `nil` when none does.
    case tooManyPoints(limit: Int, suggestedResolution: TelemetryResolution?)
    /// The disk, or the database's page limit, is full (SQLITE_FULL): the failed operation stored nothing,
    /// earlier data is intact, reads keep working.
    case storageFull(operation: String)
    /// Any other storage failure: the operation and SQLite's (or the decoder's) reason.
    case storage(String)

    var description: String {
        switch self {
        case .conflict(let what):
            "\(what) already exists"
        case .notFound(let what):
            "\(what) not found"
        case .tooManyPoints(let limit, let suggestion?):
            "the query would return more than \(limit) points; ask for resolution '\(suggestion.rawValue)' or a shorter range"
        case .tooManyPoints(let limit, nil):
            "the query would return more than \(limit) points; ask for a shorter range"
        case .storageFull(let operation):
            "\(operation) failed: the relay's database is full (disk or size limit); "
                + "nothing of it was stored and earlier data is intact"
        case .storage(let reason):
            reason
        }
    }
}
