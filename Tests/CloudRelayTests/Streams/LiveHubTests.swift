import BMSCore
import Foundation
import NIOCore
import Testing

@testable import CloudRelay

@Suite("Live hub: subscriptions")
struct LiveHubSubscriptionTests {
    @Test func telemetryCarriesTheSpecsDataAndMetadata() async throws {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)

        var message = StorageSamples.telemetry(
            "battery_pack_001", sequence: 1, at: StorageSamples.start,
            alarms: AlarmSummary(activeCount: 1, flags: ["high_temp_warning"], details: []), cells: 4)
        message.status.communicationQuality = 0.98
        hub.publish(telemetry: message, receivedAt: StorageSamples.start.adding(milliseconds: 85))

        let sample = try #require(await LiveSamples.drain(client).telemetry.first)
        #expect(sample.siteID == "site_001")
        #expect(sample.deviceID == "battery_pack_001")
        #expect(sample.timestamp == StorageSamples.start)
        #expect(sample.data.voltage == 51.2)
        #expect(sample.data.current == -10)
        #expect(sample.data.power == -512)
        #expect(sample.data.soc == 60)
        #expect(sample.data.soh == 95)
        #expect(sample.data.cellVoltages == message.measurements.cells?.voltages)
        #expect(sample.data.cellTemperatures == message.measurements.cells?.temperatures)
        #expect(sample.data.alarmFlags == ["high_temp_warning"])
        #expect(sample.metadata.latencyMilliseconds == 85)
        #expect(sample.metadata.dataQuality == 0.98)
        #expect(sample.metadata.droppedMessages == nil)

        let text = String(decoding: try WireCoding.encode(WebSocketServerMessage.telemetry(sample)), as: UTF8.self)
        #expect(text.contains(#""type":"telemetry""#))
        #expect(text.contains(#""latency_ms":85"#))
        #expect(text.contains(#""cell_voltages":["#))
    }

    @Test func siteAndDeviceFilters() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"telemetry","filters":{"site_id":"site_001","device_ids":["p1","p2"]}}"#
        #expect(hub.handle(text: subscribe, from: client).isEmpty)
        for (device, site) in [("p1", "site_001"), ("p3", "site_001"), ("p1", "site_002"), ("p2", "site_001")] {
            hub.publish(telemetry: LiveSamples.sample(device, site: site, second: 0), receivedAt: StorageSamples.start)
        }
        let delivered = await LiveSamples.drain(client).telemetry
        #expect(delivered.map { "\($0.siteID)/\($0.deviceID)" } == ["site_001/p1", "site_001/p2"])
    }

    /// A batch from the ingest reaches each client filtered and in order, each sample encoded once per metrics
    /// filter: clients with the same filter share one encoding (the same bytes in memory), others get their own
    /// (the drain checks that every shared encoding decodes to exactly the client's message).
    @Test func aBatchIsFilteredPerClientInOrderAndEncodedOncePerFilter() async throws {
        let (hub, _) = LiveSamples.hub()
        let filters = [
            ("all-1", #"{}"#), ("all-2", #"{}"#), ("soc-1", #"{"metrics":["soc"]}"#),
            ("soc-2", #"{"metrics":["soc"]}"#), ("p2", #"{"device_ids":["p2"]}"#), ("site-2", #"{"site_id":"site_002"}"#),
        ]
        var clients: [String: LiveClient] = [:]
        for (id, filter) in filters {
            let client = hub.connect(clientID: id, principal: LiveSamples.everySite)
            #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry","filters":\#(filter)}"#, from: client).isEmpty)
            clients[id] = client
        }
        let idle = hub.connect(clientID: "idle", principal: LiveSamples.everySite)  // subscribed to nothing
        let batch = [("p1", "site_001"), ("p2", "site_001"), ("p9", "site_002"), ("p2", "site_001")].enumerated().map {
            LiveSamples.sample($0.element.0, site: $0.element.1, milliseconds: Int64($0.offset) * 1000)
        }
        hub.publish(telemetry: batch, receivedAt: StorageSamples.start)

        func encodings(_ id: String) -> [ByteBuffer?] {
            clients[id].map { $0.ready(limit: 100) }?.map { outbound -> ByteBuffer? in
                guard case .message(_, let encoded) = outbound else { return nil }
                return encoded
            } ?? []
        }
        let all1 = encodings("all-1"), all2 = encodings("all-2"), soc1 = encodings("soc-1"), soc2 = encodings("soc-2")
        #expect(all1.count == 4 && soc1.count == 4)
        #expect(all1.allSatisfy { $0 != nil })
        // One encoding shared, not equal bytes encoded twice: the same storage.
        func storage(_ buffers: [ByteBuffer?]) -> [UInt?] {
            buffers.map { buffer in buffer?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        }
        #expect(storage(all1) == storage(all2))
        #expect(storage(soc1) == storage(soc2))
        #expect(zip(all1, soc1).allSatisfy { $0 != $1 })
        let p2 = await LiveSamples.drain(try #require(clients["p2"])).telemetry
        #expect(p2.map(\.timestamp) == [batch[1].timestamp, batch[3].timestamp])
        #expect(await LiveSamples.drain(try #require(clients["site-2"])).telemetry.map(\.deviceID) == ["p9"])
        #expect(idle.queuedCount == 0)
    }

    @Test func metricsFilterKeepsThoseMetricsTheirCellArraysAndTheAlarmFlags() async throws {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"telemetry","filters":{"metrics":["voltage","soc"]}}"#
        #expect(hub.handle(text: subscribe, from: client).isEmpty)
        let message = StorageSamples.telemetry(
            "p1", sequence: 1, at: StorageSamples.start,
            alarms: AlarmSummary(activeCount: 1, flags: ["cell_overvoltage"], details: []), cells: 3)
        hub.publish(telemetry: message, receivedAt: StorageSamples.start)

        let data = try #require(await LiveSamples.drain(client).telemetry.first).data
        #expect(data.voltage == 51.2)
        #expect(data.soc == 60)
        #expect(data.cellVoltages?.count == 3)
        #expect(data.current == nil && data.power == nil && data.temperature == nil && data.soh == nil)
        #expect(data.cellTemperatures == nil)
        #expect(data.alarmFlags == ["cell_overvoltage"])
    }

    /// 10 s of two 10 Hz packs, thinned per device and per subscription.
    @Test(arguments: [("1Hz", 10), ("0.2Hz", 2), ("2Hz", 20), ("10Hz", 100), ("100Hz", 100)])
    func sampleRateDecimationByCounting(rate: String, expected: Int) async {
        let (hub, _) = LiveSamples.hub(capacity: 1000)
        let thinned = hub.connect(clientID: "thinned", principal: LiveSamples.everySite)
        let everything = hub.connect(clientID: "everything", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"telemetry","filters":{"sample_rate":"\#(rate)"}}"#
        #expect(hub.handle(text: subscribe, from: thinned).isEmpty)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: everything).isEmpty)
        for tenth in 0..<100 {
            for device in ["p1", "p2"] {
                let message = LiveSamples.sample(device, milliseconds: Int64(tenth) * 100)
                hub.publish(telemetry: message, receivedAt: message.timestamp)
            }
        }
        let delivered = await LiveSamples.drain(thinned).telemetry
        #expect(delivered.filter { $0.deviceID == "p1" }.count == expected)
        #expect(delivered.filter { $0.deviceID == "p2" }.count == expected)
        #expect(await LiveSamples.drain(everything).telemetry.count == 200)
    }

    @Test func decimationToleratesJitterAndNeverRepeatsASample() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry","filters":{"sample_rate":"1Hz"}}"#, from: client).isEmpty)
        // A 1 Hz pack whose stamps wander a few ms either way still streams every sample at "1Hz".
        for second in 0..<10 {
            let message = LiveSamples.sample("p1", milliseconds: Int64(second) * 1000 + (second % 2 == 1 ? -3 : 2))
            hub.publish(telemetry: message, receivedAt: message.timestamp)
            hub.publish(telemetry: message, receivedAt: message.timestamp)  // a duplicate delivery
        }
        #expect(await LiveSamples.drain(client).telemetry.count == 10)
    }

    /// A 1 Hz pack stamped by a busy gateway: one sample 600 ms into its second, the next at the top of the
    /// following one (400 ms apart), alternating. Every sample still fills its slot at "1Hz": the tolerance
    /// follows the pack's average period, not its last interval. At "0.5Hz" the rate is still never exceeded.
    @Test(arguments: [("1Hz", 20), ("0.5Hz", 10)])
    func decimationToleratesAlternatingLateAndPromptSamples(rate: String, expected: Int) async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry","filters":{"sample_rate":"\#(rate)"}}"#, from: client).isEmpty)
        for second in 0..<20 {
            let offset: Int64 = second == 0 ? 300 : (second % 2 == 1 ? 600 : 0)
            let message = LiveSamples.sample("p1", milliseconds: Int64(second) * 1000 + offset)
            hub.publish(telemetry: message, receivedAt: message.timestamp)
        }
        #expect(await LiveSamples.drain(client).telemetry.count == expected)
    }

    @Test func historicalSamplesAreNotLive() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        var replayed = LiveSamples.sample("p1", second: 0)
        replayed.isHistorical = true
        hub.publish(telemetry: replayed, receivedAt: StorageSamples.start)
        #expect(client.queuedCount == 0)
    }

    @Test(arguments: [(#","update_interval":5000"#, 4), ("", 4), (#","update_interval":2000"#, 10)])
    func fleetStatusIsPushedAtItsInterval(interval: String, expected: Int) async {
        let (hub, time) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"fleet_status","filters":{"site_id":"site_001"\#(interval)}}"#
        #expect(hub.handle(text: subscribe, from: client).isEmpty)
        hub.tick(now: time.now)
        #expect(client.queuedCount == 0)  // nothing known of the site yet

        hub.publish(fleet: LiveSamples.fleet("site_001", at: time.now))
        hub.publish(fleet: LiveSamples.fleet("site_002", at: time.now))
        var pushed: [FleetStatus] = []
        for second in 0..<20 {
            if second == 7 { hub.publish(fleet: LiveSamples.fleet("site_001", at: time.now)) }
            hub.tick(now: time.now)
            pushed += await LiveSamples.drain(client).fleet
            time.advance(milliseconds: 1000)
        }
        #expect(pushed.count == expected)
        #expect(pushed.allSatisfy { $0.siteID == "site_001" })
        #expect(pushed.last?.timestamp == StorageSamples.start.adding(milliseconds: 7000))
    }

    @Test func alertsFilteredBySiteDeviceAndSeverity() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"alerts","filters":{"site_id":"site_001","device_ids":["p1"],"min_severity":"alarm"}}"#
        #expect(hub.handle(text: subscribe, from: client).isEmpty)
        hub.publish(alert: LiveSamples.alert("a1", severity: .warning))
        hub.publish(alert: LiveSamples.alert("a2", severity: .alarm))
        hub.publish(alert: LiveSamples.alert("a3", site: "site_002", severity: .critical))
        hub.publish(alert: LiveSamples.alert("a4", device: "p2", severity: .critical))
        hub.publish(alert: LiveSamples.alert("a5", severity: .critical))
        #expect(await LiveSamples.drain(client).alerts.map(\.alertID) == ["a2", "a5"])
    }

    @Test func clientsOnlyEverSeeTheirOwnSites() async {
        let (hub, time) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.siteOne)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"alerts"}"#, from: client).isEmpty)
        for forbidden in [
            #"{"type":"subscribe","topic":"telemetry","filters":{"site_id":"site_002"}}"#,
            #"{"type":"subscribe","topic":"fleet_status","filters":{"site_id":"site_002"}}"#,
            #"{"type":"subscribe","topic":"alerts","filters":{"site_id":"site_002"}}"#,
        ] {
            let error = LiveSamples.error(hub.handle(text: forbidden, from: client))
            #expect(error?.code.rawValue == "SITE_FORBIDDEN")
            #expect(error?.details?["site_id"] == "site_002")
        }
        hub.publish(telemetry: LiveSamples.sample("p1", site: "site_001", second: 0), receivedAt: StorageSamples.start)
        hub.publish(telemetry: LiveSamples.sample("p9", site: "site_002", second: 0), receivedAt: StorageSamples.start)
        hub.publish(alert: LiveSamples.alert("a1", site: "site_001", severity: .alarm))
        hub.publish(alert: LiveSamples.alert("a2", site: "site_002", severity: .alarm))
        hub.publish(fleet: LiveSamples.fleet("site_002", at: time.now))
        hub.tick(now: time.now)

        let delivered = await LiveSamples.drain(client)
        // The refused subscriptions left the earlier ones in place.
        #expect(delivered.telemetry.map(\.siteID) == ["site_001"])
        #expect(delivered.alerts.map(\.alertID) == ["a1"])
        #expect(delivered.fleet.isEmpty)
    }

    @Test func unsubscribeStopsTheTopicAndForgetsWhatIsQueued() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"alerts"}"#, from: client).isEmpty)
        for second in 0..<3 {
            hub.publish(telemetry: LiveSamples.sample("p1", second: second), receivedAt: StorageSamples.start)
        }
        hub.publish(alert: LiveSamples.alert("a1", severity: .alarm))
        #expect(client.queuedCount == 4)

        #expect(hub.handle(text: #"{"type":"unsubscribe","topic":"telemetry"}"#, from: client).isEmpty)
        #expect(client.queuedCount == 1)
        hub.publish(telemetry: LiveSamples.sample("p1", second: 3), receivedAt: StorageSamples.start)
        hub.publish(alert: LiveSamples.alert("a2", severity: .alarm))
        let delivered = await LiveSamples.drain(client)
        #expect(delivered.telemetry.isEmpty)
        #expect(delivered.alerts.map(\.alertID) == ["a1", "a2"])

        #expect(hub.handle(text: #"{"type":"unsubscribe","topic":"alerts"}"#, from: client).isEmpty)
        hub.publish(alert: LiveSamples.alert("a3", severity: .alarm))
        #expect(client.queuedCount == 0)
        // Unsubscribing from a topic not subscribed to is not an error.
        #expect(hub.handle(text: #"{"type":"unsubscribe","topic":"fleet_status"}"#, from: client).isEmpty)
    }
}

@Suite("Live hub: client messages")
struct LiveHubClientMessageTests {
    @Test(arguments: [
        ("{", ""),
        ("not json", ""),
        (#"["subscribe"]"#, ""),
        (#"{"type":"publish","topic":"telemetry"}"#, "type"),
        (#"{"type":"subscribe","topic":"weather"}"#, "topic"),
        (#"{"type":"subscribe","topic":"telemetry","filters":{"sample_rate":"fast"}}"#, "filters.sample_rate"),
        (#"{"type":"subscribe","topic":"telemetry","filters":{"sample_rate":"0Hz"}}"#, "filters.sample_rate"),
        (#"{"type":"subscribe","topic":"telemetry","filters":{"metrics":["voltage","humidity"]}}"#, "filters.metrics[1]"),
        (#"{"type":"subscribe","topic":"telemetry","filters":{"device_ids":[]}}"#, "filters.device_ids"),
        (#"{"type":"subscribe","topic":"fleet_status"}"#, "filters"),
        (#"{"type":"subscribe","topic":"fleet_status","filters":{"site_id":"site_001","update_interval":0}}"#, "filters.update_interval"),
        (#"{"type":"subscribe","topic":"alerts","filters":{"min_severity":"dire"}}"#, "filters.min_severity"),
    ])
    func invalidMessageIsAnsweredWithAnErrorAndTheConnectionStaysOpen(text: String, field: String) async throws {
        let (hub, time) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let replies = hub.handle(text: text, from: client)
        let error = try #require(LiveSamples.error(replies))
        #expect(replies.count == 1)
        #expect(error.code == .validationError)
        #expect(error.timestamp == time.now)
        #expect(error.traceID.hasPrefix("trace_"))
        let fieldError = try #require(error.details?["field_errors"]?.arrayValue?.first)
        #expect(fieldError["field"]?.stringValue == field)
        #expect(fieldError["message"]?.stringValue?.isEmpty == false)

        // Still connected: a valid subscription works.
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        hub.publish(telemetry: LiveSamples.sample("p1", second: 0), receivedAt: StorageSamples.start)
        #expect(await LiveSamples.drain(client).telemetry.count == 1)
    }

    @Test func errorMessageHasTheSpecsErrorShape() throws {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let replies = hub.handle(text: #"{"type":"subscribe","topic":"weather"}"#, from: client)
        let reply = try #require(replies.first)
        let tree = try WireCoding.decodeTree(from: WireCoding.encode(reply))
        #expect(tree["type"] == "error")
        #expect(tree["code"] == "VALIDATION_ERROR")
        #expect(tree["message"]?.stringValue?.contains("weather") == true)
        #expect(tree["timestamp"]?.stringValue == StorageSamples.start.rfc3339)
        #expect(tree["trace_id"]?.stringValue != nil)
        #expect(try WireCoding.decode(WebSocketServerMessage.self, from: tree) == reply)
    }

    @Test func aDisconnectedOrReplacedClientIsNotServed() async {
        let (hub, _) = LiveSamples.hub()
        let first = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let second = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(await first.next() == .close(reason: "replaced by a newer connection with client id 'dash'"))
        #expect(await first.next() == nil)
        #expect(LiveSamples.error(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: first))?.code.rawValue == "NOT_CONNECTED")

        // The replaced connection's late disconnect leaves its successor in place.
        hub.disconnect(first)
        #expect(hub.connectionCount == 1)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: second).isEmpty)
        hub.publish(telemetry: LiveSamples.sample("p1", second: 0), receivedAt: StorageSamples.start)
        #expect(await LiveSamples.drain(second).telemetry.count == 1)
        hub.disconnect(second)
        #expect(hub.connectionCount == 0)
    }

    @Test func nextWaitsForAMessageAndEndsOnDisconnectOrCancellation() async {
        let (hub, _) = LiveSamples.hub()
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"alerts"}"#, from: client).isEmpty)
        let alert = LiveSamples.alert("a1", severity: .alarm)
        async let waited = client.next()
        hub.publish(alert: alert)
        #expect(await waited == .message(.alert(alert)))

        let cancelled = Task { await client.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)

        async let ended = client.next()
        hub.disconnect(client)
        #expect(await ended == nil)
        #expect(await client.next() == nil)
    }
}
