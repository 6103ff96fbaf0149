import BMSCore
import Foundation
import Testing
import TestSupport

@testable import CloudRelay

/// Power allocations in the spec's shape, for the storage, fleet status, ingest and API tests.
enum AllocationSamples {
    static func allocation(
        _ id: String, site: String = "site_001", at time: Timestamp = StorageSamples.start, minutes: Double = 60,
        method: String = "RL", efficiency: Double = 0.94, devices: [String] = ["pack_001"]
    ) -> PowerAllocationMessage {
        PowerAllocationMessage(
            timestamp: time, allocationID: id, siteID: site,
            demand: PowerDemand(totalPowerTarget: -10_000 * Double(devices.count), durationMinutes: minutes, flexibility: 0.1, priority: .high),
            allocation: PowerAllocation(
                optimizationMethod: method, totalAllocated: -10_000 * Double(devices.count), efficiencyScore: efficiency,
                devices: devices.map { DeviceAllocation(deviceID: $0, allocatedPower: -10_000, confidence: 0.95, constraintsActive: []) }),
            forecasts: AllocationForecasts(
                degradationImpact: Dictionary(uniqueKeysWithValues: devices.map { ($0, 0.001) }), efficiencyPrediction: 0.93,
                completionProbability: 0.97))
    }
}

/// `recordAllocation` keeps each site's newest allocation by the message's own timestamp, whatever order the
/// allocations arrive in (MQTT does not keep order), and `fleetSummary` returns it.
@Suite("Allocation storage")
struct AllocationStorageTests {
    static let t0 = StorageSamples.start

    static let orders: [[Int]] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    /// Three allocations a minute apart, in every arrival order: the last one made is kept, and only an
    /// allocation newer than the stored one reports that it was kept.
    @Test(arguments: orders)
    func newestByTimestampWinsWhateverTheOrder(order: [Int]) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let allocations = (0..<3).map { AllocationSamples.allocation("alloc_\($0)", at: Self.t0.adding(milliseconds: Int64($0) * 60_000)) }
        var newest: Int?
        for (arrival, index) in order.enumerated() {
            let kept = try fixture.store.recordAllocation(allocations[index], receivedAt: Self.t0.adding(milliseconds: Int64(arrival)))
            let expected = newest.map { index > $0 } ?? true
            #expect(kept == expected, "alloc_\(index) arriving after alloc_\(String(describing: newest))")
            newest = max(newest ?? index, index)
        }
        let stored = try #require(try fixture.store.fleetSummary(siteID: "site_001").allocation)
        #expect(stored.message == allocations[2])
        #expect(stored.expiresAt == allocations[2].timestamp.adding(milliseconds: 3_600_000))
    }

    /// Two allocations of the same instant: the greater id is kept in either order; a redelivery changes nothing.
    @Test(arguments: [true, false])
    func sameInstantKeepsTheGreaterIDAndRedeliveryIsANoOp(aFirst: Bool) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let a = AllocationSamples.allocation("alloc_a", at: Self.t0)
        let b = AllocationSamples.allocation("alloc_b", at: Self.t0)
        for message in aFirst ? [a, b] : [b, a] {
            _ = try fixture.store.recordAllocation(message, receivedAt: Self.t0)
        }
        #expect(try fixture.store.fleetSummary(siteID: "site_001").allocation?.message == b)
        #expect(try fixture.store.recordAllocation(b, receivedAt: Self.t0.adding(milliseconds: 5)) == false)
        #expect(try fixture.store.fleetSummary(siteID: "site_001").allocation?.receivedAt == Self.t0)
    }

    /// Sites are independent, and what is stored survives a restart.
    @Test func eachSiteKeepsItsOwnAcrossARestart() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let first = AllocationSamples.allocation("alloc_1", at: Self.t0.adding(milliseconds: 60_000))
        let second = AllocationSamples.allocation("alloc_2", site: "site_002", at: Self.t0, minutes: 0.5)
        #expect(try fixture.store.recordAllocation(first, receivedAt: Self.t0))
        #expect(try fixture.store.recordAllocation(second, receivedAt: Self.t0))
        let reopened = try fixture.reopen()
        #expect(try reopened.fleetSummary(siteID: "site_001").allocation?.message == first)
        let other = try #require(try reopened.fleetSummary(siteID: "site_002").allocation)
        #expect(other.message == second)
        #expect(other.expiresAt == Self.t0.adding(milliseconds: 30_000))
        #expect(try reopened.fleetSummary(siteID: "site_003").allocation == nil)
    }

    /// An allocation without a usable duration is refused and stores nothing (the ingest rejects it first).
    @Test(arguments: [0, -5, Double.infinity, Double.nan, 1e300])
    func unusableDurationIsRefused(minutes: Double) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let allocation = AllocationSamples.allocation("alloc_bad", minutes: minutes)
        let error = storeError { try fixture.store.recordAllocation(allocation, receivedAt: Self.t0) }
        guard case .storage? = error else {
            Issue.record("expected a storage error, got \(String(describing: error))")
            return
        }
        #expect(try fixture.store.fleetSummary(siteID: "site_001").allocation == nil)
    }
}
