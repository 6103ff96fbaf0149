/// What one `ingest` call stored.
struct IngestOutcome: Sendable, Equatable {
    /// Messages stored for the first time; only these changed the rollups.
    var inserted: Int
    /// Messages whose (device_id, sequence_number) was stored already: replays and broker redeliveries.
    var duplicates: Int
    /// Messages refused before storage: a value that is not a finite number, or one that cannot be encoded.
    var rejected: Int
    /// Devices whose latest state moved forward (a newer measurement): what live views and alarm
    /// transitions should look at.
    var advancedDevices: Set<String>
}
