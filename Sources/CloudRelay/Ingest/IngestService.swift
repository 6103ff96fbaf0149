import BMSCore
import Foundation
import Logging
import NIOPosix
import PulseMQTT
import ServiceLifecycle
import Synchronization

/// The relay's MQTT side: subscribes to every site's telemetry, statuses, command responses, power
/// allocations and alerts, stores them, turns alarm transitions into alerts (stored and published on
/// `pulsebms/{site}/fleet/alerts`, with the fleet summary on `pulsebms/{site}/fleet/summary`), and sends
/// commands and power allocations down.
///
/// Messages are taken off the client as they arrive and written in batches: whatever queued while the last
/// batch was being written goes in the next transaction, so the store keeps up under load and a lone message
/// is written at once. A message that does not decode is counted and logged, never dropped silently.
final class IngestService: Service, CommandSender {
    let client: MosquittoClient
    let store: any RelayStore
    let metrics: RequestMetrics
    let logger: Logger
    /// MQTT 5 shared-subscription group, so several relays split the ingest.
    let shareGroup: String?
    let offlineAfter: Duration
    /// The live streams; every stored sample, alert and fleet summary goes to them.
    let hub: LiveHub?

    private let pending = Mutex<[MQTTMessage]>([])
    /// Most messages written in one transaction.
    static let maximumBatch = 1000
    /// Most messages waiting for the store before the client is no longer drained.
    static let maximumPending = 5_000
    /// Most messages the MQTT client holds for this service before it stops reading from the broker. With
    /// `maximumPending`, this bounds what the relay has received (and libmosquitto acknowledged) but not yet
    /// stored: behind that, the broker keeps the messages in the relay's session.
    static let clientBufferLimit = 2_000
    private let tracker = Mutex(AlertTracker())
    private let counters = Mutex(Counters())

    struct Counters: Sendable, Equatable {
        var received = 0
        var stored = 0
        var duplicates = 0
        var malformed = 0
        var storeFailures = 0
    }

    init(
        client: MosquittoClient, store: any RelayStore, metrics: RequestMetrics, logger: Logger, shareGroup: String?,
        offlineAfter: Duration, hub: LiveHub? = nil
    ) {
        self.hub = hub
        self.client = client
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.shareGroup = shareGroup
        self.offlineAfter = offlineAfter
    }

    var snapshot: Counters { counters.withLock { $0 } }
    var isConnected: Bool { client.isConnected }

    func send(_ message: CommandMessage, siteID: String, deviceID: String) async throws {
        let topic = MQTTTopic.device(site: try TopicIdentifier(siteID), device: try TopicIdentifier(deviceID), .commands)
        try await client.publish(topic.path, payload: Array(try WireCoding.encode(message)), qos: .atLeastOnce)
    }

    func send(_ allocation: PowerAllocationMessage, siteID: String) async throws {
        let topic = MQTTTopic.coordinator(site: try TopicIdentifier(siteID), .allocation)
        try await client.publish(topic.path, payload: Array(try WireCoding.encode(allocation)), qos: .atLeastOnce, retain: false)
    }

    func run() async throws {
        await restoreAlerts()
        client.start()
        let filters = try TopicFilter.relaySubscriptions.map { filter throws -> String in
            try shareGroup.map { try filter.shared(group: $0).rawValue } ?? filter.rawValue
        }
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [client, logger] in
                for await event in client.connectionEvents {
                    guard case .connected = event else { continue }
                    do {
                        for filter in filters { try await client.subscribe(filter, qos: .atLeastOnce) }
                    } catch {
                        logger.warning("Subscribing failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask { [self] in
                for await message in client.messages {
                    // Backpressure: while the store is behind, stop taking messages off the client (which then
                    // stops reading from the broker) instead of growing this queue without bound.
                    while pending.withLock({ $0.count }) >= Self.maximumPending, !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    pending.withLock { $0.append(message) }
                    metrics.recordMessages(1)
                    wake.yield()
                }
                wake.finish()
            }
            group.addTask { [self] in
                for await _ in wakeups {
                    while true {
                        let batch = pending.withLock { queue -> [MQTTMessage] in
                            let count = min(queue.count, Self.maximumBatch)
                            defer { queue.removeFirst(count) }
                            return Array(queue.prefix(count))
                        }
                        if batch.isEmpty { break }
                        await process(batch)
                    }
                }
            }
            group.addTask { [client] in
                try? await gracefulShutdown()
                await client.stop()
            }
            if let hub {
                // Fleet-status subscribers get their summaries on their own intervals; slow clients are closed.
                group.addTask {
                    await cancelWhenGracefulShutdown {
                        while !Task.isCancelled {
                            await self.refreshFleetStatuses(of: hub)
                            hub.tick(now: Timestamp(Date()))
                            try? await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
        }
    }

    // MARK: - Processing

    /// Decodes and stores one batch; telemetry goes in one transaction.
    func process(_ batch: [MQTTMessage]) async {
        var telemetry: [(site: String, message: TelemetryMessage)] = []
        var others: [(MQTTTopic, MQTTMessage)] = []
        for message in batch {
            guard let topic = try? MQTTTopic(parsing: message.topic) else {
                reject(message, reason: "unknown topic")
                continue
            }
            if case .device(let site, let device, .telemetry) = topic {
                do {
                    let decoded = try WireCoding.decode(TelemetryMessage.self, from: message.payload)
                    // The topic is what the broker's ACL vouches for: a payload naming another pack is refused.
                    guard decoded.deviceInfo.deviceID == device.rawValue, decoded.deviceInfo.siteID == site.rawValue else {
                        reject(message, reason: "device_info names \(decoded.deviceInfo.siteID)/\(decoded.deviceInfo.deviceID), not the topic's")
                        continue
                    }
                    telemetry.append((site.rawValue, decoded))
                } catch {
                    reject(message, reason: "\(error)")
                }
            } else {
                others.append((topic, message))
            }
        }
        counters.withLock { $0.received += batch.count }
        if !telemetry.isEmpty { await store(telemetry) }
        for (topic, message) in others { await handle(topic, message) }
    }

    private func store(_ telemetry: [(site: String, message: TelemetryMessage)]) async {
        let store = store
        let messages = telemetry.map(\.message)
        let now = Timestamp(Date())
        do {
            let outcome = try await NIOThreadPool.singleton.runIfActive { try store.ingest(messages, receivedAt: now) }
            counters.withLock {
                $0.stored += outcome.inserted
                $0.duplicates += outcome.duplicates
                $0.malformed += outcome.rejected
            }
            if outcome.rejected > 0 {
                logger.warning("Telemetry with non-finite values refused", metadata: ["count": "\(outcome.rejected)"])
            }
        } catch {
            counters.withLock { $0.storeFailures += messages.count }
            logger.error("Storing telemetry failed", metadata: ["count": "\(messages.count)", "error": "\(error)"])
            return
        }
        if let hub {
            hub.publish(telemetry: messages, receivedAt: now)
        }
        // Alerts follow the newest sample of each device, whatever order the batch arrived in.
        for (site, message) in telemetry.sorted(by: { $0.message.timestamp < $1.message.timestamp }) {
            let events = tracker.withLock {
                $0.update(siteID: site, deviceID: message.deviceInfo.deviceID, timestamp: message.timestamp, alarms: message.alarms)
            }
            for event in events { await apply(event, site: site) }
        }
    }

    private func apply(_ event: AlertTracker.Event, site: String) async {
        let store = store
        do {
            switch event {
            case .raised(let alert):
                let code = alert.data["code"]?.stringValue ?? alert.alertID
                let upsert = try await NIOThreadPool.singleton.runIfActive { try store.upsertAlert(alert, code: code) }
                // The live streams get it as it stands (acknowledged, actions taken); the broker the raised alert.
                hub?.publish(alert: upsert.alert.current)
                try await publish(alert, site: site)
            case .resolved(_, let deviceID, let code, let time):
                let resolved = try await NIOThreadPool.singleton.runIfActive {
                    try store.resolveAlert(deviceID: deviceID, code: code, at: time)
                }
                if let resolved { hub?.publish(alert: resolved.current) }
            }
            await publishFleetSummary(site: site)
        } catch {
            logger.error("Alert handling failed", metadata: ["site": "\(site)", "error": "\(error)"])
        }
    }

    private func publish(_ alert: Alert, site: String) async throws {
        let message = WebSocketServerMessage.alert(alert)
        let topic = MQTTTopic.fleet(site: try TopicIdentifier(site), .alerts)
        try await client.publish(topic.path, payload: Array(try WireCoding.encode(message)), qos: .atLeastOnce)
    }

    /// Takes up the alerts left open by the last run, before any message is processed.
    func restoreAlerts() async {
        let store = store
        do {
            let open = try await NIOThreadPool.singleton.runIfActive { try store.unresolvedAlerts() }
            tracker.withLock { tracker in
                tracker.restore(
                    open.map { ($0.alert.deviceID, $0.code, $0.alert.alertID, $0.alert.severity, $0.alert.timestamp, $0.updatedAt) })
            }
            if !open.isEmpty { logger.info("Open alerts taken up", metadata: ["count": "\(open.count)"]) }
        } catch {
            logger.error("Open alerts could not be read; they resolve once their packs alarm again", metadata: ["error": "\(error)"])
        }
    }

    /// Rebuilds the fleet status of every site a client watches, so each push carries the packs' current
    /// state, their alerts' acknowledgements and the allocation in force.
    private func refreshFleetStatuses(of hub: LiveHub) async {
        let store = store
        for site in hub.watchedFleetSites {
            guard let fleet = try? await NIOThreadPool.singleton.runIfActive({ try store.fleetSummary(siteID: site) }) else { continue }
            hub.publish(fleet: fleet.fleetStatus(now: Timestamp(Date()), offlineAfter: offlineAfter))
        }
    }

    private func publishFleetSummary(site: String) async {
        let store = store
        guard let fleet = try? await NIOThreadPool.singleton.runIfActive({ try store.fleetSummary(siteID: site) }),
            let identifier = try? TopicIdentifier(site)
        else { return }
        let status = fleet.fleetStatus(now: Timestamp(Date()), offlineAfter: offlineAfter)
        hub?.publish(fleet: status)
        guard let payload = try? WireCoding.encode(status) else { return }
        try? await client.publish(MQTTTopic.fleet(site: identifier, .summary).path, payload: Array(payload), qos: .atLeastOnce, retain: true)
    }

    private func handle(_ topic: MQTTTopic, _ message: MQTTMessage) async {
        let store = store
        let now = Timestamp(Date())
        do {
            switch topic {
            case .device(let site, let device, .status):
                let status = try WireCoding.decode(DeviceStatusMessage.self, from: message.payload)
                guard status.descriptor.deviceID == device.rawValue, status.descriptor.siteID == site.rawValue else {
                    reject(message, reason: "the descriptor names another pack than the topic")
                    return
                }
                _ = try await NIOThreadPool.singleton.runIfActive { try store.recordDeviceStatus(status, receivedAt: now) }
            case .coordinator(let site, .status):
                let status = try WireCoding.decode(AgentStatusMessage.self, from: message.payload)
                try await NIOThreadPool.singleton.runIfActive { try store.recordAgentStatus(siteID: site.rawValue, status, receivedAt: now) }
            case .coordinator(let site, .allocation):
                // Forwarded by this relay's API or published by another coordinator; kept newest per site. Held to
                // the rules the API holds it to, so that one dated years ahead cannot hide every later allocation.
                let tree = try WireCoding.decodeTree(from: message.payload)
                let problems = PowerAllocationMessage.fieldErrors(in: tree)
                guard problems.isEmpty else {
                    reject(message, reason: problems.map { "\($0.field): \($0.message)" }.joined(separator: "; "))
                    return
                }
                let allocation = try WireCoding.decode(PowerAllocationMessage.self, from: tree)
                guard allocation.siteID == site.rawValue else {
                    reject(message, reason: "an allocation for site \(allocation.siteID) on \(site.rawValue)'s topic")
                    return
                }
                do {
                    _ = try RelayAPI.checkWindow(of: allocation, now: now)
                } catch {
                    reject(message, reason: "allocation \(allocation.allocationID): \(error.message)")
                    return
                }
                let newer = try await NIOThreadPool.singleton.runIfActive { try store.recordAllocation(allocation, receivedAt: now) }
                if newer { await publishFleetSummary(site: site.rawValue) }
            case .device(_, let device, .responses):
                let response = try WireCoding.decode(CommandResponseMessage.self, from: message.payload)
                guard response.deviceID == device.rawValue else {
                    reject(message, reason: "a response for \(response.deviceID) on \(device.rawValue)'s topic")
                    return
                }
                _ = try await NIOThreadPool.singleton.runIfActive { try store.updateCommandStatus(from: response) }
            case .fleet(_, .alerts):
                // Alerts raised by another relay sharing the subscription: stored once (upsert by id).
                guard case .alert(let alert) = try WireCoding.decode(WebSocketServerMessage.self, from: message.payload) else { return }
                let code = alert.data["code"]?.stringValue ?? alert.alertID
                _ = try await NIOThreadPool.singleton.runIfActive {
                    // An echo older than what is stored (this relay's own raise arriving after the escalation it
                    // also published) must not take the severity back down.
                    if let known = try store.alert(id: alert.alertID), known.updatedAt >= alert.timestamp { return }
                    _ = try store.upsertAlert(alert, code: code)
                }
            default:
                break  // the relay's own publications and topics it does not consume
            }
        } catch let error as WireDecodingError {
            reject(message, reason: error.description)
        } catch RelayStoreError.conflict {
            // An alert echoed back (our own, or another relay's) that this store has already resolved.
        } catch {
            counters.withLock { $0.storeFailures += 1 }
            logger.error("Handling an MQTT message failed", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
        }
    }

    private func reject(_ message: MQTTMessage, reason: String) {
        counters.withLock { $0.malformed += 1 }
        logger.warning("Malformed MQTT message", metadata: ["topic": "\(message.topic)", "bytes": "\(message.payload.count)", "reason": "\(reason)"])
    }
}
