import BMSCore
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: alerts")
struct AlertStorageTests {
    private let t0 = StorageSamples.start

    private func alert(
        _ id: String, device: String = "pack_a", site: String = "site_001", severity: Severity = .warning,
        after seconds: Int64 = 0, message: String = "Cell temperature above warning threshold"
    ) -> Alert {
        Alert(
            timestamp: t0.adding(milliseconds: seconds * 1000), alertID: id, severity: severity, category: .temperature,
            siteID: site, deviceID: device, title: "High Cell Temperature", message: message,
            data: ["current_temperature": 57.2, "threshold": 55.0, "cell_number": 42],
            actions: [
                AlertAction(actionID: "acknowledge", label: "Acknowledge"),
                AlertAction(actionID: "reduce_power", label: "Reduce Power", parameters: ["power_reduction_percent": 50]),
            ])
    }

    @Test func oneOpenAlertPerDeviceAndCodeThroughItsLifecycle() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let raised = try store.upsertAlert(alert("alert_1"), code: "TEMP_001")
        #expect(raised.change == .raised && raised.alert.alert == alert("alert_1") && raised.alert.status == .active)

        // The same alarm again: the open alert is refreshed, keeping its id and raise time.
        let refreshed = try store.upsertAlert(alert("alert_other_id", after: 5, message: "still hot"), code: "TEMP_001")
        #expect(refreshed.change == .updated)
        #expect(refreshed.alert.alert.alertID == "alert_1" && refreshed.alert.alert.timestamp == t0)
        #expect(refreshed.alert.alert.message == "still hot" && refreshed.alert.updatedAt == t0.adding(milliseconds: 5000))

        let acknowledged = try store.acknowledgeAlert(id: "alert_1", by: "key_ops", at: t0.adding(milliseconds: 6000))
        #expect(acknowledged.status == .acknowledged && acknowledged.acknowledgedBy == "key_ops")
        // Twice keeps the first acknowledgement.
        #expect(try store.acknowledgeAlert(id: "alert_1", by: "key_other", at: t0.adding(milliseconds: 7000)) == acknowledged)
        #expect(storeError { try store.acknowledgeAlert(id: "alert_zz", by: "x", at: t0) } == .notFound("alert 'alert_zz'"))

        // Worse again: needs attention again.
        let escalated = try store.upsertAlert(alert("alert_1", severity: .critical, after: 8), code: "TEMP_001")
        #expect(escalated.change == .severityChanged(from: .warning))
        #expect(escalated.alert.status == .active && escalated.alert.acknowledgedBy == nil)
        // Easing keeps an acknowledgement.
        _ = try store.acknowledgeAlert(id: "alert_1", by: "key_ops", at: t0.adding(milliseconds: 9000))
        let eased = try store.upsertAlert(alert("alert_1", severity: .alarm, after: 10), code: "TEMP_001")
        #expect(eased.change == .severityChanged(from: .critical) && eased.alert.status == .acknowledged)

        let resolved = try #require(try store.resolveAlert(deviceID: "pack_a", code: "TEMP_001", at: t0.adding(milliseconds: 11_000)))
        #expect(resolved.status == .resolved && resolved.resolvedAt == t0.adding(milliseconds: 11_000))
        #expect(try store.resolveAlert(deviceID: "pack_a", code: "TEMP_001", at: t0.adding(milliseconds: 12_000)) == nil)

        // The alarm comes back: a new alert, whose id must be new.
        #expect(storeError { try store.upsertAlert(alert("alert_1", after: 20), code: "TEMP_001") } == .conflict("alert 'alert_1'"))
        let again = try store.upsertAlert(alert("alert_2", after: 20), code: "TEMP_001")
        #expect(again.change == .raised && again.alert.alert.alertID == "alert_2")
    }

    @Test func filtersAndOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.upsertAlert(alert("a1", device: "pack_a", severity: .warning, after: 1), code: "TEMP_001")
        _ = try store.upsertAlert(alert("a2", device: "pack_a", severity: .critical, after: 2), code: "VOLT_001")
        _ = try store.upsertAlert(alert("a3", device: "pack_b", severity: .warning, after: 3), code: "TEMP_001")
        _ = try store.upsertAlert(alert("a4", device: "pack_c", site: "site_002", severity: .warning, after: 4), code: "TEMP_001")
        _ = try store.acknowledgeAlert(id: "a3", by: "ops", at: t0.adding(milliseconds: 5000))
        _ = try store.resolveAlert(deviceID: "pack_a", code: "VOLT_001", at: t0.adding(milliseconds: 6000))

        func ids(_ filter: AlertFilter) throws -> [String] { try store.alerts(filter).items.map(\.alert.alertID) }
        #expect(try ids(AlertFilter()) == ["a4", "a3", "a2", "a1"])
        #expect(try store.alerts(AlertFilter(limit: 2)) == AlertPage(items: try store.alerts(AlertFilter()).items.prefix(2).map { $0 }, total: 4))
        #expect(try ids(AlertFilter(siteID: "site_001")) == ["a3", "a2", "a1"])
        #expect(try ids(AlertFilter(deviceID: "pack_a")) == ["a2", "a1"])
        #expect(try ids(AlertFilter(severity: .warning)) == ["a4", "a3", "a1"])
        #expect(try ids(AlertFilter(status: .active)) == ["a4", "a1"])
        #expect(try ids(AlertFilter(status: .acknowledged)) == ["a3"])
        #expect(try ids(AlertFilter(status: .resolved)) == ["a2"])
        #expect(try ids(AlertFilter(allowedSites: ["site_002"])) == ["a4"])
        #expect(try ids(AlertFilter(siteID: "site_001", allowedSites: ["site_002"])).isEmpty)
        #expect(try ids(AlertFilter(allowedSites: [])).isEmpty)
        #expect(try store.alerts(AlertFilter(severity: .warning, status: .active)).total == 2)
    }
}
