import BMSCore
import Testing

@testable import CloudRelay

@Suite("Live hub: backpressure")
struct LiveHubBackpressureTests {
    @Test func slowClientLosesOldestTelemetryFirstKeepsEveryAlertAndLearnsHowManyWereDropped() async throws {
        let (hub, _) = LiveSamples.hub(capacity: 8)
        let slow = hub.connect(clientID: "slow", principal: LiveSamples.everySite)
        let fast = hub.connect(clientID: "fast", principal: LiveSamples.everySite)
        var fastReceived = LiveSamples.Delivered()
        for client in [slow, fast] {
            #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
            #expect(hub.handle(text: #"{"type":"subscribe","topic":"alerts"}"#, from: client).isEmpty)
        }
        var alerts = 0
        for second in 0..<50 {
            hub.publish(telemetry: LiveSamples.sample("p1", second: second), receivedAt: StorageSamples.start)
            if second % 10 == 0 {
                hub.publish(alert: LiveSamples.alert("a\(second)", severity: .alarm))
                alerts += 1
            }
            #expect(slow.queuedCount <= 8 + alerts)
            fastReceived.append(await LiveSamples.drain(fast))
        }
        #expect(fastReceived.telemetry.count == 50)
        #expect(fastReceived.telemetry.allSatisfy { $0.metadata.droppedMessages == nil })
        #expect(fastReceived.alerts.count == 5)

        let slowReceived = await LiveSamples.drain(slow)
        #expect(slowReceived.alerts.map(\.alertID) == ["a0", "a10", "a20", "a30", "a40"])
        // Five alerts took five of the eight places; the three newest samples kept the rest.
        let kept = slowReceived.telemetry.map(\.timestamp)
        #expect(kept == (47..<50).map { StorageSamples.at(seconds: Int64($0)) })
        #expect(slow.droppedTotal == 47)
        #expect(slowReceived.telemetry.first?.metadata.droppedMessages == 47)
        #expect(slowReceived.telemetry.dropFirst().allSatisfy { $0.metadata.droppedMessages == nil })
        #expect(slow.closeReason == nil)  // no time passed
    }

    @Test func clientBehindForLongerThanTheLimitIsClosedWhileAFastOneGetsEverything() async throws {
        let (hub, time) = LiveSamples.hub(capacity: 16, slowLimit: .seconds(10))
        let slow = hub.connect(clientID: "slow", principal: LiveSamples.everySite)
        let fast = hub.connect(clientID: "fast", principal: LiveSamples.everySite)
        for client in [slow, fast] {
            #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        }
        var fastCount = 0
        var closedAt: Timestamp?
        // 15 s of a 10 Hz pack; the slow client's queue is full from the sample at 1.5 s on.
        for tenth in 0..<150 {
            let message = LiveSamples.sample("p1", milliseconds: Int64(tenth) * 100)
            hub.publish(telemetry: message, receivedAt: time.now)
            if tenth % 10 == 0 { hub.tick(now: time.now) }
            if closedAt == nil, slow.closeReason != nil { closedAt = time.now }
            #expect(slow.queuedCount <= 16)
            fastCount += await LiveSamples.drain(fast).telemetry.count
            time.advance(milliseconds: 100)
        }
        #expect(fastCount == 150)
        #expect(fast.closeReason == nil)

        let closed = try #require(closedAt)
        let since = StorageSamples.start.adding(milliseconds: 1500)
        #expect(closed.millisecondsSince(since) >= 10_000)
        #expect(closed.millisecondsSince(since) < 10_200)
        let reason = try #require(slow.closeReason)
        #expect(reason.hasPrefix("too slow: "))
        #expect(reason.hasSuffix(" messages dropped"))
        #expect(slow.queuedCount == 0)
        #expect(await slow.next() == .close(reason: reason))
        #expect(await slow.next() == nil)
    }

    @Test func clientThatCatchesUpIsNotClosed() async {
        let (hub, time) = LiveSamples.hub(capacity: 8, slowLimit: .seconds(10))
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"telemetry"}"#, from: client).isEmpty)
        for second in 0..<30 {
            for device in ["p1", "p2", "p3"] {
                hub.publish(telemetry: LiveSamples.sample(device, second: second), receivedAt: time.now)
            }
            // Full and dropping within 3 s, it catches up every 5 s.
            if second % 5 == 4 { _ = await LiveSamples.drain(client) }
            hub.tick(now: time.now)
            time.advance(milliseconds: 1000)
        }
        #expect(client.droppedTotal > 0)
        #expect(client.closeReason == nil)
    }

    @Test func queuedFleetStatusIsReplacedByANewerOne() async throws {
        let (hub, time) = LiveSamples.hub(capacity: 8)
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        let subscribe = #"{"type":"subscribe","topic":"fleet_status","filters":{"site_id":"site_001","update_interval":1000}}"#
        #expect(hub.handle(text: subscribe, from: client).isEmpty)
        for _ in 0..<3 {
            hub.publish(fleet: LiveSamples.fleet("site_001", at: time.now))
            hub.tick(now: time.now)
            time.advance(milliseconds: 1000)
        }
        #expect(client.queuedCount == 1)
        let pushed = await LiveSamples.drain(client).fleet
        #expect(pushed.map(\.timestamp) == [StorageSamples.start.adding(milliseconds: 2000)])
    }

    /// Whatever the capacity, a client that never reads holds at most `capacity` messages beyond its alerts.
    @Test(arguments: [1, 4, 256])
    func memoryIsBoundedByTheCapacity(capacity: Int) async {
        let (hub, time) = LiveSamples.hub(capacity: capacity, slowLimit: .seconds(3600))
        let client = hub.connect(clientID: "dash", principal: LiveSamples.everySite)
        for topic in [#""telemetry""#, #""alerts""#] {
            #expect(hub.handle(text: #"{"type":"subscribe","topic":\#(topic)}"#, from: client).isEmpty)
        }
        #expect(hub.handle(text: #"{"type":"subscribe","topic":"fleet_status","filters":{"site_id":"site_001"}}"#, from: client).isEmpty)
        var alerts = 0
        for second in 0..<2000 {
            for device in ["p1", "p2", "p3"] {
                hub.publish(telemetry: LiveSamples.sample(device, second: second), receivedAt: time.now)
            }
            if second % 97 == 0 {
                hub.publish(alert: LiveSamples.alert("a\(second)", severity: .warning))
                alerts += 1
            }
            hub.publish(fleet: LiveSamples.fleet("site_001", at: time.now))
            hub.tick(now: time.now)
            #expect(client.queuedCount <= capacity + alerts)
            time.advance(milliseconds: 1000)
        }
        #expect(client.closeReason == nil)
        #expect(client.droppedTotal >= 3 * 2000 - capacity)
        let delivered = await LiveSamples.drain(client)
        #expect(delivered.alerts.count == alerts)
    }
}
