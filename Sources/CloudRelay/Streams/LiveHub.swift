import BMSCore
import Foundation
import NIOCore
import Synchronization

/// The live streams of `/ws/{client_id}`, independent of the transport: who is connected, what each client
/// subscribed to, and what each is sent.
///
/// The MQTT ingest calls `publish(telemetry:receivedAt:)` for every sample, and the alert and fleet paths call
/// `publish(alert:)` and `publish(fleet:)`; a periodic task calls `tick(now:)` to push fleet statuses and to close
/// clients that stay behind. None of these waits for a client: each message is filtered, thinned and put on the
/// bounded queue of every client that wants it (see `OutboundQueue` for the policy), all under one short lock.
/// A connection's own task drains its `LiveClient` with `next()` and writes to the socket.
///
/// A client only ever receives data of the sites its principal may see: subscribing to another site is refused,
/// and a subscription without a site filter streams only the principal's own sites.
final class LiveHub: Sendable {
    struct Configuration: Sendable {
        /// Messages queued per client before its oldest telemetry is dropped.
        var queueCapacity: Int
        /// How long a client may stay behind (queue full, not yet drained to half) before it is closed.
        var slowClientLimit: Duration
        /// The push interval of a fleet_status subscription that names no `update_interval`, in ms.
        var defaultFleetIntervalMilliseconds: Int
        /// The `update_interval` values accepted, in ms.
        var fleetIntervalRange: ClosedRange<Int>
        /// How long the socket may take to accept one batch of frames before the connection is dropped (a peer
        /// that stops reading altogether).
        var writeDeadline: Duration
        /// How often a connection's credentials are checked again: a socket whose token has expired or whose
        /// API key was revoked (or lost its role) is closed.
        var credentialCheckInterval: Duration

        init(
            queueCapacity: Int = 256, slowClientLimit: Duration = .seconds(10),
            defaultFleetIntervalMilliseconds: Int = 5000, fleetIntervalRange: ClosedRange<Int> = 100...3_600_000,
            writeDeadline: Duration = .seconds(10), credentialCheckInterval: Duration = .seconds(30)
        ) {
            self.credentialCheckInterval = credentialCheckInterval
            self.queueCapacity = queueCapacity
            self.slowClientLimit = slowClientLimit
            self.writeDeadline = writeDeadline
            self.defaultFleetIntervalMilliseconds = defaultFleetIntervalMilliseconds
            self.fleetIntervalRange = fleetIntervalRange
        }
    }

    let configuration: Configuration
    /// The relay's clock: timestamps of error messages, and when a client fell behind.
    let now: @Sendable () -> Timestamp
    private let state = Mutex(State())

    private struct State {
        var connections: [String: Connection] = [:]
        /// The newest fleet status of each site, pushed by `tick(now:)`.
        var latestFleet: [String: FleetStatus] = [:]
    }

    private struct Connection {
        let client: LiveClient
        var subscriptions = LiveSubscriptions()
    }

    init(configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }) {
        self.configuration = configuration
        self.now = now
    }

    // MARK: - Connections

    /// Registers a connection. A connection already registered under `clientID` is closed ("replaced").
    func connect(clientID: String, principal: Principal) -> LiveClient {
        let client = LiveClient(
            clientID: clientID, principal: principal, capacity: configuration.queueCapacity,
            slowLimit: configuration.slowClientLimit)
        let replaced = state.withLock { $0.connections.updateValue(Connection(client: client), forKey: clientID)?.client }
        replaced?.close(reason: "replaced by a newer connection with client id '\(clientID)'")
        return client
    }

    /// Forgets a connection (its socket is gone) and ends its `next()` loop. Identity-checked, so the late
    /// disconnect of a replaced connection leaves its successor alone.
    func disconnect(_ client: LiveClient) {
        state.withLock { state in
            if state.connections[client.clientID]?.client === client { state.connections[client.clientID] = nil }
        }
        client.finish()
    }

    /// Connections registered now.
    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// The client ids connected now, sorted.
    var connectedClientIDs: [String] { state.withLock { $0.connections.keys.sorted() } }

    /// How many clients subscribe to `topic` now.
    func watchers(of topic: StreamTopic) -> Int {
        state.withLock { state in
            state.connections.values.filter { connection in
                switch topic {
                case .telemetry: connection.subscriptions.telemetry != nil
                case .fleetStatus: connection.subscriptions.fleet != nil
                case .alerts: connection.subscriptions.alerts != nil
                }
            }.count
        }
    }

    /// The sites some client has a fleet_status subscription for.
    var watchedFleetSites: Set<String> {
        state.withLock { state in Set(state.connections.values.compactMap { $0.subscriptions.fleet?.siteID }) }
    }

    // MARK: - Client messages

    /// Applies a message the client sent and returns what to send back at once: nothing when it is applied, an
    /// `error` message when it is refused (malformed, unknown, invalid filters, another site). The connection
    /// stays open either way.
    func handle(text: String, from client: LiveClient) -> [WebSocketServerMessage] {
        do throws(LiveRequestError) {
            try apply(try Self.decode(text), from: client)
            return []
        } catch {
            return [.error(error.body(at: now(), traceID: TraceID.make()))]
        }
    }

    /// The alert action `text` asks for, if it is a well-formed `alert_action` message; anything else is the
    /// hub's to handle (and to refuse).
    static func alertAction(in text: String) -> AlertActionRequest? {
        guard case .alertAction(let request)? = try? decode(text) else { return nil }
        return request
    }

    private static func decode(_ text: String) throws(LiveRequestError) -> WebSocketClientMessage {
        do throws(WireDecodingError) {
            return try WireCoding.decode(WebSocketClientMessage.self, from: Array(text.utf8))
        } catch {
            throw .malformed(error)
        }
    }

    private func apply(_ message: WebSocketClientMessage, from client: LiveClient) throws(LiveRequestError) {
        switch message {
        case .subscribe(let subscription):
            try subscription.validate(for: client.principal, configuration: configuration)
            let defaultInterval = Int64(configuration.defaultFleetIntervalMilliseconds)
            try withConnection(of: client) { subscriptions in
                switch subscription {
                case .telemetry(let filters):
                    subscriptions.telemetry = TelemetrySubscription(filters)
                case .fleetStatus(let filters):
                    subscriptions.fleet = FleetSubscription(
                        siteID: filters.siteID,
                        intervalMilliseconds: filters.updateIntervalMilliseconds.map { Int64($0) } ?? defaultInterval)
                case .alerts(let filters):
                    subscriptions.alerts = filters
                }
            }
        case .alertAction:
            throw .actionUnavailable
        case .unsubscribe(let topic):
            try withConnection(of: client) { subscriptions in
                subscriptions.remove(topic)
                // Under the hub's lock, so nothing of the topic is queued after this.
                client.removeQueued(of: topic)
            }
        }
    }

    private func withConnection(
        of client: LiveClient, _ body: (inout LiveSubscriptions) -> Void
    ) throws(LiveRequestError) {
        let connected = state.withLock { state in
            guard state.connections[client.clientID]?.client === client else { return false }
            body(&state.connections[client.clientID, default: Connection(client: client)].subscriptions)
            return true
        }
        guard connected else { throw .notConnected(clientID: client.clientID) }
    }

    // MARK: - Publishing

    /// Streams an ingested sample to the telemetry subscriptions it passes. Replayed (`is_historical`) samples
    /// are not live and are not streamed.
    func publish(telemetry message: TelemetryMessage, receivedAt: Timestamp) {
        publish(telemetry: [message], receivedAt: receivedAt)
    }

    /// Streams a batch of ingested samples, in order, to the telemetry subscriptions each passes: every client
    /// gets its share of the batch in one go (one wake-up of its sending task, not one per sample), and each
    /// sample is encoded once per distinct metrics filter, not once per client — with a thousand clients
    /// watching, per-client encoding and wake-ups would otherwise be most of the relay's work.
    func publish(telemetry messages: [TelemetryMessage], receivedAt: Timestamp) {
        let live = messages.filter { $0.isHistorical != true }
        guard !live.isEmpty else { return }
        let samples = live.map { LiveTelemetry($0, receivedAt: receivedAt) }
        var encodings: [Set<TelemetryMetric>?: [OutboundQueue.Item?]] = [:]
        let time = now()
        state.withLock { state in
            var index = state.connections.values.startIndex
            while index != state.connections.values.endIndex {
                defer { state.connections.values.formIndex(after: &index) }
                guard state.connections.values[index].subscriptions.telemetry != nil else { continue }
                let client = state.connections.values[index].client
                let metrics = state.connections.values[index].subscriptions.telemetry?.metrics
                var items: [OutboundQueue.Item] = []
                for (position, message) in live.enumerated() {
                    guard client.principal.canAccess(site: message.deviceInfo.siteID),
                        state.connections.values[index].subscriptions.telemetry?.admit(message) == true
                    else { continue }
                    if let known = encodings[metrics]?[position] {
                        items.append(known)
                    } else {
                        let item = Self.encodedItem(.telemetry(samples[position].keeping(metrics)))
                        encodings[metrics, default: Array(repeating: nil, count: live.count)][position] = item
                        items.append(item)
                    }
                }
                if !items.isEmpty { client.enqueue(contentsOf: items, at: time) }
            }
        }
    }

    /// `message` with its JSON text, to be written as is to every client it goes to; without it (a value JSON
    /// cannot carry) when encoding fails, and the writer skips it.
    static func encodedItem(_ message: WebSocketServerMessage) -> OutboundQueue.Item {
        guard let data = try? WireCoding.encode(message) else { return OutboundQueue.Item(message) }
        return OutboundQueue.Item(message, encoded: ByteBuffer(bytes: data))
    }

    /// Streams an alert to the alert subscriptions it passes.
    func publish(alert: Alert) {
        let time = now()
        state.withLock { state in
            for connection in state.connections.values
            where connection.client.principal.canAccess(site: alert.siteID)
                && connection.subscriptions.alerts?.admits(alert) == true
            {
                connection.client.enqueue(.alert(alert), at: time)
            }
        }
    }

    /// Remembers a site's newest fleet status; `tick(now:)` pushes it at each subscription's interval.
    func publish(fleet status: FleetStatus) {
        state.withLock { state in
            if let known = state.latestFleet[status.siteID], known.timestamp > status.timestamp { return }
            state.latestFleet[status.siteID] = status
        }
    }

    /// Pushes the newest fleet status of its site to each fleet subscription whose interval has passed at relay
    /// time `now` (at once after subscribing), and closes clients that have been behind for too long.
    func tick(now: Timestamp) {
        state.withLock { state in
            var index = state.connections.values.startIndex
            while index != state.connections.values.endIndex {
                defer { state.connections.values.formIndex(after: &index) }
                let client = state.connections.values[index].client
                if let fleet = state.connections.values[index].subscriptions.fleet, fleet.isDue(at: now),
                    client.principal.canAccess(site: fleet.siteID), let status = state.latestFleet[fleet.siteID]
                {
                    state.connections.values[index].subscriptions.fleet?.lastSent = now
                    client.enqueue(.fleetStatus(status), at: now)
                }
                client.checkProgress(at: now)
            }
        }
    }
}
