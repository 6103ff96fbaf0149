import BMSCore
import GRDB
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: devices, sites and the file")
struct DeviceStorageTests {
    private let t0 = StorageSamples.start

    @Test func theFileIsWALWithNormalSyncAndSurvivesAReopen() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.store.ping()
        let (journal, synchronous) = try fixture.store.database.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 1)  // NORMAL
        #expect(fixture.store.path.hasSuffix("/relay.sqlite"))
        _ = try fixture.store.register(StorageSamples.registration("pack_a"), at: t0)
        let reopened = try fixture.reopen()  // migrations already applied: a no-op
        #expect(try reopened.device(id: "pack_a")?.registration == StorageSamples.registration("pack_a"))
    }

    @Test func registerThenConflictThenRead() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        var registration = StorageSamples.registration("pack_a")
        registration.safetyConstraints = SafetyConstraints(maxCellVoltage: 3.6)
        let stored = try store.register(registration, at: t0)
        #expect(stored.registration == registration)
        #expect(stored.createdAt == t0 && stored.updatedAt == t0 && !stored.isAutoRegistered)
        #expect(stored.state == DeviceLatestState())
        #expect(storeError { try store.register(registration, at: t0) } == .conflict("device 'pack_a'"))
        #expect(try store.device(id: "pack_a") == stored)
        #expect(try store.device(id: "pack_zz") == nil)
        // Never heard from: offline, no last_seen, no values.
        #expect(stored.currentStatus(now: t0, offlineAfter: .seconds(60)) == DeviceCurrentStatus(status: .offline))
    }

    @Test func listFiltersBySiteAndPages() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        for index in [4, 2, 0, 3, 1] { _ = try store.register(StorageSamples.registration("a_\(index)", site: "site_a"), at: t0) }
        for index in 0..<2 { _ = try store.register(StorageSamples.registration("b_\(index)", site: "site_b"), at: t0) }

        let first = try store.devices(siteID: "site_a", limit: 2, offset: 0)
        #expect(first.items.map(\.deviceID) == ["a_0", "a_1"] && first.total == 5)
        let last = try store.devices(siteID: "site_a", limit: 2, offset: 4)
        #expect(last.items.map(\.deviceID) == ["a_4"] && last.total == 5)
        #expect(try store.devices(siteID: "site_a", limit: 2, offset: 9).items.isEmpty)
        #expect(try store.devices(siteID: nil, limit: 100, offset: 0).total == 7)
        let limited = try store.devices(siteID: nil, allowedSites: ["site_b"], limit: 100, offset: 0)
        #expect(limited.items.map(\.deviceID) == ["b_0", "b_1"] && limited.total == 2)
        #expect(try store.devices(siteID: "site_a", allowedSites: ["site_b"], limit: 100, offset: 0).total == 0)
        #expect(try store.devices(siteID: nil, allowedSites: [], limit: 100, offset: 0).total == 0)
        #expect(try store.deviceIDs(siteID: "site_b") == ["b_0", "b_1"])
        #expect(try store.deviceIDs(siteID: nil).count == 7)
    }

    @Test func patchReplacesFieldsAndDeleteRemovesEverythingOfThePack() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.register(StorageSamples.registration("pack_a"), at: t0)
        _ = try store.ingest([StorageSamples.telemetry("pack_a", sequence: 1, at: t0)], receivedAt: t0)
        let specifications = DeviceSpecifications(
            nominalCapacityAmpHours: 280, nominalVoltageVolts: 51.2, maxChargePowerWatts: 5000, seriesCells: 16,
            parallelCells: 1)
        let later = t0.adding(milliseconds: 5000)
        let patched = try store.update(
            id: "pack_a",
            patch: DevicePatch(
                name: "Renamed", specifications: specifications, safetyConstraints: SafetyConstraints(maxChargeCurrent: 100)),
            at: later)
        #expect(patched.registration.name == "Renamed" && patched.registration.specifications == specifications)
        #expect(patched.registration.safetyConstraints == SafetyConstraints(maxChargeCurrent: 100))
        #expect(patched.updatedAt == later && patched.createdAt == t0)
        #expect(try store.device(id: "pack_a") == patched)
        #expect(try store.update(id: "pack_a", patch: DevicePatch(), at: later).registration == patched.registration)
        #expect(storeError { try store.update(id: "pack_zz", patch: DevicePatch(name: "x"), at: later) } == .notFound("device 'pack_zz'"))

        #expect(try store.delete(id: "pack_a"))
        #expect(try store.delete(id: "pack_a") == false)
        #expect(try store.device(id: "pack_a") == nil)
        let series = try store.telemetry(deviceID: "pack_a", from: t0, to: later, resolution: .raw, metrics: [])
        #expect(series.timestamps.isEmpty)
        #expect(try store.statistics(deviceID: "pack_a", from: t0, to: later, resolution: .hour, metrics: []).voltage == nil)
    }

    @Test func aStatusMessageRegistersAnUnknownPackOnceAndNeverOverwrites() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let descriptor = StorageSamples.registration("pack_new")
        let birth = DeviceStatusMessage(timestamp: t0, status: .online, descriptor: descriptor)
        #expect(try store.recordDeviceStatus(birth, receivedAt: t0))
        let stored = try #require(try store.device(id: "pack_new"))
        #expect(stored.isAutoRegistered && stored.registration == descriptor)
        #expect(stored.state.reportedStatus == .online && stored.state.lastReceivedAt == t0)

        var renamed = descriptor
        renamed.name = "Other name"
        let goodbye = DeviceStatusMessage(timestamp: t0.adding(milliseconds: 10_000), status: .offline, descriptor: renamed)
        #expect(try store.recordDeviceStatus(goodbye, receivedAt: t0.adding(milliseconds: 10_000)) == false)
        // A late, older message changes neither the status nor its time.
        let stale = DeviceStatusMessage(timestamp: t0.adding(milliseconds: 5_000), status: .error, descriptor: descriptor)
        #expect(try store.recordDeviceStatus(stale, receivedAt: t0.adding(milliseconds: 11_000)) == false)
        let after = try #require(try store.device(id: "pack_new"))
        #expect(after.registration.name == descriptor.name)
        #expect(after.state.reportedStatus == .offline)
        #expect(after.state.reportedStatusAt == t0.adding(milliseconds: 10_000))
        #expect(after.state.lastReceivedAt == t0.adding(milliseconds: 11_000))
        #expect(storeError { try store.register(descriptor, at: t0) } == .conflict("device 'pack_new'"))
    }

    @Test(arguments: [
        // agent, seconds since last heard, reported status, reported newer than telemetry, operational state → status
        (.offline, 1, nil, false, .charging, .offline),
        (.online, 61, nil, false, .charging, .offline),
        (.online, 60, nil, false, .charging, .online),
        (.online, 1, .maintenance, true, .charging, .maintenance),
        (.online, 1, .offline, false, .charging, .online),
        (.online, 1, nil, false, .fault, .error),
        (.online, 1, nil, false, .maintenance, .maintenance),
        (.online, 1, nil, false, .offline, .offline),
        (.online, 1, .online, true, nil, .online),
    ] as [(AgentLinkStatus, Int64, DeviceStatus?, Bool, OperationalState?, DeviceStatus)])
    func statusComesFromAgentSilenceStatusMessageAndTelemetry(
        agent: AgentLinkStatus, silentSeconds: Int64, reported: DeviceStatus?, reportedIsNewer: Bool,
        operational: OperationalState?, expected: DeviceStatus
    ) {
        let heard = t0
        var state = DeviceLatestState()
        state.agentStatus = agent
        state.lastReceivedAt = heard
        state.operationalState = operational
        state.telemetryAt = operational == nil ? nil : heard
        state.reportedStatus = reported
        state.reportedStatusAt = reported.map { _ in heard.adding(milliseconds: reportedIsNewer ? 1 : -1) }
        #expect(state.status(now: heard.adding(milliseconds: silentSeconds * 1000), offlineAfter: .seconds(60)) == expected)
    }

    @Test func fleetSummaryAddsTheSitesPacks() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.register(StorageSamples.registration("pack_a", capacity: 100), at: t0)
        _ = try store.register(StorageSamples.registration("pack_b", capacity: 200), at: t0)
        _ = try store.register(StorageSamples.registration("pack_c", capacity: 50), at: t0)  // never heard from
        _ = try store.register(StorageSamples.registration("pack_other", site: "site_002"), at: t0)
        let warning = AlarmDetail(code: "TEMP_001", severity: .warning, message: "hot", data: [:])
        _ = try store.ingest(
            [
                StorageSamples.telemetry("pack_a", sequence: 1, at: t0, pack: StorageSamples.pack(power: -1000, soc: 50, soh: 100)),
                StorageSamples.telemetry(
                    "pack_b", sequence: 1, at: t0, pack: StorageSamples.pack(power: 3000, soc: 80, soh: 90),
                    alarms: StorageSamples.alarms([warning])),
            ], receivedAt: t0)
        let agent = AgentStatusMessage(timestamp: t0, siteID: "site_001", status: .online, agentVersion: "1.0", deviceIDs: ["pack_a", "pack_b"])
        try store.recordAgentStatus(siteID: "site_001", agent, receivedAt: t0)

        let fleet = try store.fleetSummary(siteID: "site_001")
        #expect(fleet.devices.map(\.deviceID) == ["pack_a", "pack_b", "pack_c"])
        #expect(fleet.agent?.message == agent)
        let status = fleet.fleetStatus(now: t0.adding(milliseconds: 1000), offlineAfter: .seconds(60))
        #expect(status.summary.totalDevices == 3 && status.summary.onlineDevices == 2)
        #expect(agree(status.summary.totalCapacity, 350 * 51.2 / 1000))
        #expect(agree(status.summary.availableCapacity, 5.12 * 0.5 + 10.24 * 0.9 * 0.8))
        #expect(status.summary.totalPower == 2000 && status.summary.activeAlarms == 1)
        #expect(agree(status.summary.averageSoC, 65) && agree(status.summary.averageSoH, 95))
        try #require(status.devices.count == 3)
        #expect(status.devices[1] == FleetDeviceStatus(deviceID: "pack_b", status: .online, soc: 80, power: 3000, alarmCount: 1))
        #expect(status.devices[2] == FleetDeviceStatus(deviceID: "pack_c", status: .offline, alarmCount: 0))
        #expect(try store.device(id: "pack_b")?.state.alarmCodes == ["TEMP_001"])

        // The agent's Last Will arrives later than its birth (its own timestamp is older): every pack is offline.
        var will = agent
        will.status = .offline
        will.timestamp = t0.adding(milliseconds: -60_000)
        try store.recordAgentStatus(siteID: "site_001", will, receivedAt: t0.adding(milliseconds: 2000))
        let orphaned = try store.fleetSummary(siteID: "site_001").fleetStatus(now: t0.adding(milliseconds: 2000), offlineAfter: .seconds(60))
        #expect(orphaned.summary.onlineDevices == 0 && orphaned.summary.totalPower == 0)
        #expect(try store.fleetSummary(siteID: "site_002").agent == nil)
    }
}
