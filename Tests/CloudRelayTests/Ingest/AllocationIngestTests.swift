import BMSCore
import Foundation
import Logging
import PulseMQTT
import Testing
import TestSupport

@testable import CloudRelay

/// Allocations arriving on `pulsebms/{site}/coordinator/allocation`, fed straight to the ingest's batch
/// processing (the broker path itself is covered by the integration tests): kept newest per site, malformed
/// ones — and those the API would refuse: dated far ahead, already over, longer than a day — counted and never
/// stored.
@Suite("Allocation ingest")
struct AllocationIngestTests {
    /// Now, to the millisecond: allocations are checked against the relay's clock.
    static let t0 = Timestamp(millisecondsSinceEpoch: Timestamp(Date()).millisecondsSinceEpoch)

    /// An ingest service whose client is never started: what it would publish fails quietly as not connected.
    static func relay(_ store: SQLiteRelayStore) throws -> IngestService {
        let logger = Logger(label: "test")
        let client = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: 1883, clientID: "relay-allocations"), logger: logger)
        return IngestService(client: client, store: store, metrics: RequestMetrics(), logger: logger, shareGroup: nil, offlineAfter: .seconds(300))
    }

    static func message(_ allocation: PowerAllocationMessage, topicSite: String? = nil) throws -> MQTTMessage {
        MQTTMessage(
            topic: "pulsebms/\(topicSite ?? allocation.siteID)/coordinator/allocation", payload: Array(try WireCoding.encode(allocation)),
            qos: .atLeastOnce, retain: false)
    }

    @Test func newestIsKeptAndMalformedOnesAreCounted() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let relay = try Self.relay(fixture.store)
        let older = AllocationSamples.allocation("alloc_1", at: Self.t0)
        let newer = AllocationSamples.allocation("alloc_2", at: Self.t0.adding(milliseconds: 60_000))
        // The newer one first: the older one arriving late does not replace it.
        await relay.process([try Self.message(newer), try Self.message(older)])
        #expect(try fixture.store.fleetSummary(siteID: "site_001").allocation?.message == newer)
        #expect(relay.snapshot.malformed == 0)

        await relay.process([
            MQTTMessage(topic: "pulsebms/site_001/coordinator/allocation", payload: Array("{not json".utf8), qos: .atLeastOnce, retain: false),
            // Another site's allocation on this site's topic.
            try Self.message(AllocationSamples.allocation("alloc_3", site: "site_002", at: Self.t0.adding(milliseconds: 120_000)), topicSite: "site_001"),
            try Self.message(AllocationSamples.allocation("alloc_4", at: Self.t0.adding(milliseconds: 180_000), minutes: 0)),
            // A day ahead of the relay's clock; over two hours ago; a year long.
            try Self.message(AllocationSamples.allocation("alloc_5", at: Self.t0.adding(milliseconds: 86_400_000))),
            try Self.message(AllocationSamples.allocation("alloc_6", at: Self.t0.adding(milliseconds: -7_200_000), minutes: 60)),
            try Self.message(AllocationSamples.allocation("alloc_7", at: Self.t0.adding(milliseconds: 200_000), minutes: 525_600)),
        ])
        let counters = relay.snapshot
        #expect(counters.malformed == 6)
        #expect(counters.storeFailures == 0)
        #expect(try fixture.store.fleetSummary(siteID: "site_001").allocation?.message == newer)
        #expect(try fixture.store.fleetSummary(siteID: "site_002").allocation == nil)
        await relay.client.stop()
    }
}

/// Alerts left open by a relay that stopped: taken up at start, so the next sample of the pack resolves or
/// escalates them under their own ids instead of leaving them open for ever.
@Suite("Alert tracker restore")
struct AlertRestoreTests {
    /// A store with one open TEMP_001 warning on pack_001 raised a minute ago, and its id.
    static func storeWithOpenAlert() throws -> (StoreFixture, String) {
        let fixture = try StoreFixture()
        _ = try fixture.store.register(StorageSamples.registration("pack_001"), at: StorageSamples.start)
        let raisedAt = Timestamp(Date()).adding(milliseconds: -60_000)
        var tracker = AlertTracker()
        let warm = AlarmDetail(code: "TEMP_001", severity: .warning, message: "46 °C", data: [:])
        for event in tracker.update(siteID: "site_001", deviceID: "pack_001", timestamp: raisedAt, alarms: StorageSamples.alarms([warm])) {
            if case .raised(let alert) = event { return (fixture, try fixture.store.upsertAlert(alert, code: "TEMP_001").alert.alert.alertID) }
        }
        throw RestoreTestError.notRaised
    }

    enum RestoreTestError: Error { case notRaised }

    static func sample(_ details: [AlarmDetail]) throws -> MQTTMessage {
        let message = StorageSamples.telemetry("pack_001", sequence: 2, at: Timestamp(Date()), alarms: StorageSamples.alarms(details))
        return MQTTMessage(topic: "pulsebms/site_001/pack_001/telemetry", payload: Array(try WireCoding.encode(message)), qos: .atLeastOnce, retain: false)
    }

    /// Restored or not → whether a sample without the alarm resolves the open alert.
    @Test(arguments: [true, false])
    func aClearedAlarmResolvesItsOpenAlert(restored: Bool) async throws {
        let (fixture, alertID) = try Self.storeWithOpenAlert()
        defer { fixture.remove() }
        let relay = try AllocationIngestTests.relay(fixture.store)
        if restored { await relay.restoreAlerts() }
        await relay.process([try Self.sample([])])
        #expect(try fixture.store.alert(id: alertID)?.status == (restored ? .resolved : .active))
        await relay.client.stop()
    }

    /// A backlog sample older than the alert's last update, replayed after the restart, resolves nothing.
    @Test func anOldBacklogSampleResolvesNothing() async throws {
        let (fixture, alertID) = try Self.storeWithOpenAlert()
        defer { fixture.remove() }
        let relay = try AllocationIngestTests.relay(fixture.store)
        await relay.restoreAlerts()
        let old = StorageSamples.telemetry(
            "pack_001", sequence: 1, at: Timestamp(Date()).adding(milliseconds: -120_000), alarms: StorageSamples.alarms([]))
        await relay.process([
            MQTTMessage(topic: "pulsebms/site_001/pack_001/telemetry", payload: Array(try WireCoding.encode(old)), qos: .atLeastOnce, retain: false)
        ])
        #expect(try fixture.store.alert(id: alertID)?.status == .active)
        await relay.client.stop()
    }

    @Test func aRisingAlarmEscalatesItsOpenAlert() async throws {
        let (fixture, alertID) = try Self.storeWithOpenAlert()
        defer { fixture.remove() }
        let relay = try AllocationIngestTests.relay(fixture.store)
        await relay.restoreAlerts()
        await relay.process([try Self.sample([AlarmDetail(code: "TEMP_001", severity: .alarm, message: "56 °C", data: [:])])])
        let alerts = try fixture.store.alerts(AlertFilter(deviceID: "pack_001")).items
        #expect(alerts.map(\.alert.alertID) == [alertID])
        #expect(alerts.first?.alert.severity == .alarm)
        await relay.client.stop()
    }
}

/// Alerts heard back on `pulsebms/{site}/fleet/alerts` (this relay's own, or another's in the share group).
@Suite("Alert echoes")
struct AlertEchoTests {
    @Test func aLateEchoOfTheRaiseDoesNotUndoAnEscalation() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let relay = try AllocationIngestTests.relay(fixture.store)
        let raisedAt = Timestamp(Date()).adding(milliseconds: -60_000)
        var tracker = AlertTracker()
        var published: [Alert] = []
        for (offset, severity) in [(0, Severity.warning), (10_000, .critical)] {
            let detail = AlarmDetail(code: "TEMP_001", severity: severity, message: "\(severity)", data: [:])
            for event in tracker.update(
                siteID: "site_001", deviceID: "pack_001", timestamp: raisedAt.adding(milliseconds: Int64(offset)),
                alarms: StorageSamples.alarms([detail]))
            {
                if case .raised(let alert) = event {
                    _ = try fixture.store.upsertAlert(alert, code: "TEMP_001")
                    published.append(alert)
                }
            }
        }
        try #require(published.count == 2)
        func echo(_ alert: Alert) throws -> MQTTMessage {
            MQTTMessage(
                topic: "pulsebms/site_001/fleet/alerts", payload: Array(try WireCoding.encode(WebSocketServerMessage.alert(alert))),
                qos: .atLeastOnce, retain: false)
        }
        // The escalation's echo first, then the raise's, late.
        await relay.process([try echo(published[1]), try echo(published[0])])
        #expect(try fixture.store.alert(id: published[0].alertID)?.alert.severity == .critical)
        #expect(relay.snapshot.malformed == 0 && relay.snapshot.storeFailures == 0)
        await relay.client.stop()
    }
}
