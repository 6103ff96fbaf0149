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
