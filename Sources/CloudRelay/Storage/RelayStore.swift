import BMSCore

/// Where the relay keeps what it ingests and serves: devices, telemetry with its rollups, commands, alerts,
/// API keys and the status of the sites' agents. `SQLiteRelayStore` is the embedded default; another
/// backend implements the same protocol.
///
/// **Blocking.** Every method is synchronous and holds its thread for the duration of its database work:
/// well under a millisecond for a lookup, a few milliseconds for an ingest batch of a few hundred
/// messages, longer for `prune`. The ingest and upkeep services call the store from their own tasks and
/// keep batches bounded; request handlers may call lookups directly (the short block is accepted, and
/// telemetry queries are bounded by a maximum number of points). Writes are serialised by the store;
/// reads run concurrently with them and with each other.
///
/// **Time.** The store never reads a clock: every "now" is a parameter. Timestamps are milliseconds since
/// the Unix epoch; rollup buckets are aligned to the epoch (a day bucket is a UTC day).
protocol RelayStore: Sendable {
    // MARK: - Devices

    /// Registers a pack. Telemetry received for it before registration is kept and is visible at once.
    /// - Throws: `.conflict` if a pack with this id exists.
    func register(_ registration: DeviceRegistration, at time: Timestamp) throws(RelayStoreError) -> StoredDevice

    /// Records a pack's status message (the newest by its timestamp wins) and registers the pack from the
    /// message's descriptor if it is unknown. An existing registration is never changed by it.
    /// - Returns: `true` if the pack was registered by this message.
    func recordDeviceStatus(_ message: DeviceStatusMessage, receivedAt: Timestamp) throws(RelayStoreError) -> Bool

    func device(id: String) throws(RelayStoreError) -> StoredDevice?

    /// Registered packs ordered by id, `limit` from `offset`, and how many match.
    /// - Parameter allowedSites: the sites the caller may see; `nil` for every site.
    func devices(siteID: String?, allowedSites: [String]?, limit: Int, offset: Int) throws(RelayStoreError) -> DevicePage

    /// - Throws: `.notFound` for an unknown pack.
    func update(id: String, patch: DevicePatch, at time: Timestamp) throws(RelayStoreError) -> StoredDevice

    /// Removes the registration and the pack's telemetry, rollups, latest state, commands and alerts, in one
    /// transaction. A pack that keeps publishing is kept as unknown again (and re-registered from its next
    /// status message).
    /// - Returns: `false` (and removes nothing) if no such pack is registered.
    func delete(id: String) throws(RelayStoreError) -> Bool

    /// Ids of the registered packs, of one site or of all, ordered (the spec's `available_devices`).
    func deviceIDs(siteID: String?) throws(RelayStoreError) -> [String]

    // MARK: - Telemetry

    /// Stores telemetry in one transaction: raw rows unique on (device_id, sequence_number), rollups updated
    /// from newly stored rows only (so replays and duplicates never change statistics), and each pack's
    /// latest state moved only by a newer measurement. Telemetry of an unknown pack is kept.
    func ingest(_ messages: [TelemetryMessage], receivedAt: Timestamp) throws(RelayStoreError) -> IngestOutcome

    /// The samples (raw) or buckets (minute, hour, day; timestamp = bucket start, value = mean) of one pack
    /// with a timestamp in `[from, to]`, oldest first. `metrics` empty means all.
    ///
    /// A point is one where every returned metric has a value; a metric with no value anywhere in the
    /// range is left out of the series rather than padded.
    /// - Throws: `.tooManyPoints` past the store's maximum (10 000 by default), naming a coarser resolution.
    func telemetry(
        deviceID: String, from: Timestamp, to: Timestamp, resolution: TelemetryResolution, metrics: [TelemetryMetric]
    ) throws(RelayStoreError) -> TelemetrySeries

    /// Min, max, mean and population standard deviation of each metric over the same points as `telemetry`,
    /// from the raw rows or from the rollups' sums. A metric without a sample is absent.
    func statistics(
        deviceID: String, from: Timestamp, to: Timestamp, resolution: TelemetryResolution, metrics: [TelemetryMetric]
    ) throws(RelayStoreError) -> TelemetryStatistics

    /// Packs (registered or not) heard from since `receivedSince`, for `active_devices` in GET /health.
    func activeDeviceCount(receivedSince: Timestamp) throws(RelayStoreError) -> Int

    // MARK: - Commands

    /// Stores a published command as `queued`, due by `timestamp + timeout_seconds`.
    /// - Throws: `.conflict` for a command id in use.
    func insertCommand(_ message: CommandMessage, deviceID: String, siteID: String) throws(RelayStoreError) -> StoredCommand

    /// Applies an agent's response; the lifecycle only moves forward (see `CommandStatus.lifecycleRank`).
    /// - Throws: `.notFound` for an unknown command, or one of another device.
    func updateCommandStatus(from response: CommandResponseMessage) throws(RelayStoreError) -> CommandUpdate

    func command(id: String) throws(RelayStoreError) -> StoredCommand?

    /// Marks unfinished commands whose due time is before `now` as `timeout`; returns them as updated.
    func expireCommands(now: Timestamp) throws(RelayStoreError) -> [StoredCommand]

    // MARK: - Alerts

    /// Raises the alert of a device and alarm `code`, or refreshes the unresolved one (keeping its id and
    /// raise time; a higher severity clears its acknowledgement).
    /// - Throws: `.conflict` if a new alert's `alert_id` is in use.
    func upsertAlert(_ alert: Alert, code: String) throws(RelayStoreError) -> AlertUpsert

    /// Resolves the unresolved alert of a device and code; `nil` if there is none.
    func resolveAlert(deviceID: String, code: String, at time: Timestamp) throws(RelayStoreError) -> StoredAlert?

    /// Alerts matching `filter`, newest first, at most `filter.limit`, and how many match in all.
    /// One alert by id, whatever its state.
    func alert(id: String) throws(RelayStoreError) -> StoredAlert?

    func alerts(_ filter: AlertFilter) throws(RelayStoreError) -> AlertPage

    /// Acknowledges an alert; acknowledging twice keeps the first acknowledgement.
    /// - Throws: `.notFound` for an unknown alert id.
    func acknowledgeAlert(id: String, by actor: String, at time: Timestamp) throws(RelayStoreError) -> StoredAlert

    /// Every unresolved alert, oldest first (to restore the alert tracker when the relay starts).
    func unresolvedAlerts() throws(RelayStoreError) -> [StoredAlert]

    /// Appends an operator action to an alert's record; the first action also acknowledges it, and an
    /// `acknowledge` of an acknowledged alert changes nothing.
    /// - Throws: `RelayStoreError.notFound` for an unknown alert.
    func recordAlertAction(id: String, _ record: AlertActionRecord) throws(RelayStoreError) -> StoredAlert

    // MARK: - API keys

    /// Stores a key by the SHA-256 of its secret (hashed by the caller). `replacingExisting` overwrites a key
    /// of the same id and un-revokes it (for `--dev-token` on every start).
    /// - Throws: `.conflict` for an id in use (unless replacing) or a hash of another live key.
    func insertAPIKey(
        id: String, hash: [UInt8], role: String, sites: [String]?, createdAt: Timestamp, replacingExisting: Bool
    ) throws(RelayStoreError)

    /// The live (not revoked) key with this secret hash.
    func apiKey(hash: [UInt8]) throws(RelayStoreError) -> StoredAPIKey?

    /// - Returns: `false` if there was no live key with this id.
    func revokeAPIKey(id: String, at time: Timestamp) throws(RelayStoreError) -> Bool

    // MARK: - Sites

    /// Records the status of a site's agent; a later arrival replaces an earlier one.
    func recordAgentStatus(siteID: String, _ message: AgentStatusMessage, receivedAt: Timestamp) throws(RelayStoreError)

    /// A site's registered packs with their latest state, its agent's status and its newest power allocation.
    func fleetSummary(siteID: String) throws(RelayStoreError) -> StoredFleet

    // MARK: - Upkeep

    /// Removes raw rows and rollup buckets older than their retention (a bucket goes once all of it is).
    func prune(now: Timestamp, retention: RetentionPolicy) throws(RelayStoreError) -> PruneCounts

    /// A trivial query, for the database check of GET /health.
    func ping() throws(RelayStoreError)

    // MARK: - Allocations

    /// Keeps a site's power allocation (its `site_id`) if it is newer than the stored one by the message's own
    /// timestamp (ties broken by the greater `allocation_id`), so that a late arrival of an older allocation
    /// never replaces a newer one: MQTT does not keep order. `fleetSummary(siteID:)` includes the kept one.
    /// - Returns: `true` if this message is now the site's allocation.
    /// - Throws: `.storage` for a message without a usable `duration_minutes` (callers check it first).
    func recordAllocation(_ message: PowerAllocationMessage, receivedAt: Timestamp) throws(RelayStoreError) -> Bool
}

extension RelayStore {
    /// Registered packs of one site or of all, for a caller that may see every site.
    func devices(siteID: String?, limit: Int, offset: Int) throws(RelayStoreError) -> DevicePage {
        try devices(siteID: siteID, allowedSites: nil, limit: limit, offset: offset)
    }
}
