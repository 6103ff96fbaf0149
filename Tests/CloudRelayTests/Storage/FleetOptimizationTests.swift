import BMSCore
import Foundation
import Testing
import TestSupport

@testable import CloudRelay

/// The `optimization` block of `fleet_status`: present while the site's newest allocation is in force, absent
/// from its end on and once the agent reports that allocation's fallback.
@Suite("Fleet status optimization")
struct FleetOptimizationTests {
    static let t0 = StorageSamples.start
    /// Ten minutes from `t0`.
    static let end = t0.adding(milliseconds: 600_000)

    static func fleet(applied: AppliedAllocation? = nil) -> StoredFleet {
        let allocation = AllocationSamples.allocation("alloc_1", at: t0, minutes: 10, method: "RL_v2.1", efficiency: 0.87)
        let agent = AgentStatusMessage(
            timestamp: t0, siteID: "site_001", status: .online, agentVersion: "1.0", deviceIDs: ["pack_001"], allocation: applied)
        return StoredFleet(
            siteID: "site_001", agent: StoredAgentStatus(siteID: "site_001", message: agent, receivedAt: t0), devices: [],
            allocation: StoredAllocation(message: allocation, expiresAt: end, receivedAt: t0))
    }

    static func applied(_ id: String, fallback: Bool) -> AppliedAllocation {
        AppliedAllocation(allocationID: id, appliedAt: t0, expiresAt: end, fallbackActive: fallback, devices: [])
    }

    /// Milliseconds from the allocation's end → whether the block is present: up to the last millisecond before
    /// the end, and not at the end itself.
    static let boundary: [(Int64, Bool)] = [(-600_001, true), (-600_000, true), (-1, true), (0, false), (1, false), (86_400_000, false)]

    @Test(arguments: boundary)
    func presentUntilTheEnd(offset: Int64, present: Bool) {
        let status = Self.fleet().fleetStatus(now: Self.end.adding(milliseconds: offset), offlineAfter: .seconds(60))
        #expect((status.optimization != nil) == present)
        if present {
            #expect(status.optimization == OptimizationStatus(activePolicy: "RL_v2.1", performanceScore: 0.87, nextUpdate: Self.end))
        }
    }

    /// What the agent reports → whether the block is present. Only a fallback of this very allocation ends it; a
    /// report about another (older) allocation does not.
    static let reports: [(String?, Bool, Bool)] = [
        (nil, false, true), ("alloc_1", false, true), ("alloc_1", true, false), ("alloc_0", true, true), ("alloc_0", false, true),
    ]

    @Test(arguments: reports)
    func agentFallbackEndsIt(appliedID: String?, fallbackActive: Bool, present: Bool) {
        let applied = appliedID.map { Self.applied($0, fallback: fallbackActive) }
        let status = Self.fleet(applied: applied).fleetStatus(now: Self.t0.adding(milliseconds: 1000), offlineAfter: .seconds(60))
        #expect((status.optimization != nil) == present)
    }

    /// An agent that is gone (its Last Will says offline) holds no allocation, however recent.
    @Test(arguments: [(AgentLinkStatus.online, true), (.offline, false)])
    func anOfflineAgentHoldsNone(status: AgentLinkStatus, present: Bool) {
        var fleet = Self.fleet(applied: Self.applied("alloc_1", fallback: false))
        fleet.agent?.message.status = status
        #expect((fleet.fleetStatus(now: Self.t0.adding(milliseconds: 1000), offlineAfter: .seconds(60)).optimization != nil) == present)
    }

    /// Without an allocation the block is absent, and its key is left out of the JSON.
    @Test func absentWithoutAnAllocationAndOmittedFromJSON() throws {
        var fleet = Self.fleet()
        fleet.allocation = nil
        let status = fleet.fleetStatus(now: Self.t0, offlineAfter: .seconds(60))
        #expect(status.optimization == nil)
        let tree = try WireCoding.decodeTree(from: try WireCoding.encode(status))
        #expect(tree.objectValue?.keys.contains("optimization") == false)
        #expect(tree["site_id"]?.stringValue == "site_001")
    }

    /// Through the store: the recorded allocation reaches the fleet status with its end as `next_update`.
    @Test func recordedAllocationReachesTheFleetStatus() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        _ = try fixture.store.register(StorageSamples.registration("pack_001"), at: Self.t0)
        let allocation = AllocationSamples.allocation("alloc_7", at: Self.t0, minutes: 15)
        #expect(try fixture.store.recordAllocation(allocation, receivedAt: Self.t0))
        let fleet = try fixture.store.fleetSummary(siteID: "site_001")
        let end = Self.t0.adding(milliseconds: 900_000)
        let during = fleet.fleetStatus(now: end.adding(milliseconds: -1), offlineAfter: .seconds(60)).optimization
        #expect(during == OptimizationStatus(activePolicy: "RL", performanceScore: 0.94, nextUpdate: end))
        let tree = try WireCoding.decodeTree(from: try WireCoding.encode(fleet.fleetStatus(now: Self.t0, offlineAfter: .seconds(60))))
        #expect(tree["optimization"]?["next_update"]?.stringValue == end.rfc3339)
        #expect(tree["optimization"]?["active_policy"]?.stringValue == "RL")
        #expect(fleet.fleetStatus(now: end, offlineAfter: .seconds(60)).optimization == nil)
    }
}
