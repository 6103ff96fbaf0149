import BMSCore
import Foundation
import Logging
import PulseMQTT
import Synchronization

/// Store-and-forward: every checked sample is written to the buffer, published live, and released on PUBACK.
/// Whatever the broker did not acknowledge is replayed oldest-first, marked historical, once it is back.
final class TelemetryForwarder: Sendable {
    struct Counters: Sendable, Equatable {
        var stored = 0
        var publishedLive = 0
        var replayed = 0
        var bufferFailures = 0
        /// Samples that could not be buffered nor published: lost, and counted.
        var lost = 0
    }

    let siteID: String
    private let buffer: SQLiteTelemetryBuffer
    private let client: MosquittoClient
    /// Replayed messages per second.
    private let drainRate: Double
    private let startedAt = Date()
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var counters = Counters()
        var inFlight: Set<Int64> = []
    }

    /// Live publishes waiting for their PUBACK at most; beyond that the backlog takes over.
    static let maximumLiveInFlight = 1000
    /// Rows younger than this are left to the live path.
    static let liveGraceMilliseconds: Int64 = 2000

    init(siteID: String, buffer: SQLiteTelemetryBuffer, client: MosquittoClient, drainRate: Double = 500, logger: Logger) {
        self.siteID = siteID
        self.buffer = buffer
        self.client = client
        self.drainRate = max(1, drainRate)
        self.logger = logger
    }

    var counters: Counters { state.withLock { $0.counters } }

    func bufferStats() throws(TelemetryBufferError) -> TelemetryBufferStats { try buffer.stats() }

    /// Forwards one poller's samples until its stream ends.
    func forward(_ updates: AsyncStream<PollUpdate>, firmwareVersion: String?) async {
        await withTaskGroup(of: Void.self) { group in
            for await update in updates {
                guard let stored = store(update, firmwareVersion: firmwareVersion) else { continue }
                let admitted = state.withLock { state -> Bool in
                    guard state.inFlight.count < Self.maximumLiveInFlight else { return false }
                    state.inFlight.insert(stored.id)
                    return true
                }
                guard admitted else { continue }
                group.addTask { await self.publishLive(stored) }
            }
        }
    }

    private func store(_ update: PollUpdate, firmwareVersion: String?) -> StoredTelemetry? {
        guard update.fresh else { return nil }
        let snapshot = update.snapshot
        let verdict = update.verdict
        let siteID = siteID
        let uptime = Date().timeIntervalSince(startedAt)
        guard let site = try? TopicIdentifier(siteID), let device = try? TopicIdentifier(snapshot.deviceID) else { return nil }
        let topic = MQTTTopic.device(site: site, device: device, .telemetry).path
        do {
            let stored = try buffer.append(deviceID: snapshot.deviceID, topic: topic, at: snapshot.takenAt) { sequence in
                guard let message = TelemetryMessage(
                    snapshot: snapshot, verdict: verdict, siteID: siteID, sequenceNumber: sequence,
                    firmwareVersion: firmwareVersion, uptimeSeconds: uptime)
                else { throw TelemetryBufferError(operation: "encode", reason: "no fresh voltage and current", isStorageFull: false) }
                return Array(try WireCoding.encode(message))
            }
            state.withLock { $0.counters.stored += 1 }
            return stored
        } catch {
            state.withLock {
                $0.counters.bufferFailures += 1
                $0.counters.lost += 1
            }
            logger.error("Sample not buffered", metadata: ["pack.id": "\(snapshot.deviceID)", "error": "\(error)"])
            return nil
        }
    }

    private func publishLive(_ stored: StoredTelemetry) async {
        defer { state.withLock { _ = $0.inFlight.remove(stored.id) } }
        do {
            try await client.publish(stored.topic, payload: stored.payload, qos: .atLeastOnce)
            try buffer.release([stored.id])
            state.withLock { $0.counters.publishedLive += 1 }
        } catch {
            // Not acknowledged (broker away, or a release error): the row stays and the drainer replays it.
            logger.debug("Live publish deferred", metadata: ["pack.id": "\(stored.deviceID)", "error": "\(error)"])
        }
    }

    /// Replays the backlog oldest-first while connected, at `drainRate`, until cancelled.
    func drain() async {
        let batchSize = 100
        var lastPrune = ContinuousClock.now
        var droppedSeen = (try? buffer.stats().dropped) ?? 0
        while !Task.isCancelled {
            // Once a minute: enforce the age bound, and raise the alarm if anything was dropped.
            if ContinuousClock.now - lastPrune > .seconds(60) {
                lastPrune = ContinuousClock.now
                _ = try? buffer.pruneExpired(now: Timestamp(Date()))
                if let dropped = try? buffer.stats().dropped, dropped > droppedSeen {
                    logger.critical(
                        "Telemetry buffer full or too old: samples dropped, oldest first",
                        metadata: ["buffer.dropped_since_last": "\(dropped - droppedSeen)", "buffer.dropped_total": "\(dropped)"])
                    droppedSeen = dropped
                }
            }
            do {
                try await client.waitUntilConnected()
            } catch {
                if case .cancelled = error { return }
                if case .stopped = error { return }
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let exclude = state.withLock { $0.inFlight }
            let cutoff = Timestamp(Date()).millisecondsSinceEpoch - Self.liveGraceMilliseconds
            let batch: [StoredTelemetry]
            do {
                batch = try buffer.oldest(limit: batchSize, excluding: exclude).filter { $0.createdAt.millisecondsSinceEpoch < cutoff }
            } catch {
                logger.error("Backlog read failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if batch.isEmpty {
                // Nothing old enough to replay: look again shortly (new rows go out live).
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            let started = ContinuousClock.now
            let released = await withTaskGroup(of: Int64?.self) { group in
                for row in batch {
                    group.addTask { await self.replay(row) ? row.id : nil }
                }
                return await group.reduce(into: [Int64]()) { if let id = $1 { $0.append(id) } }
            }
            do {
                try buffer.release(released)
                state.withLock { $0.counters.replayed += released.count }
            } catch {
                logger.error("Backlog release failed", metadata: ["error": "\(error)"])
            }
            // Pace the replay: a batch of n rows takes at least n / drainRate seconds.
            let budget = Duration.milliseconds(Int64(Double(batch.count) / drainRate * 1000))
            let spent = ContinuousClock.now - started
            if spent < budget { try? await Task.sleep(for: budget - spent) }
        }
    }

    /// Publishes one stored message marked historical; true once the broker acknowledged it.
    private func replay(_ row: StoredTelemetry) async -> Bool {
        var payload = row.payload
        if var message = try? WireCoding.decode(TelemetryMessage.self, from: row.payload) {
            message.isHistorical = true
            if let encoded = try? WireCoding.encode(message) { payload = Array(encoded) }
        }
        do {
            try await client.publish(row.topic, payload: payload, qos: .atLeastOnce)
            return true
        } catch {
            return false
        }
    }
}
