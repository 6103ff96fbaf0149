import ArgumentParser
import BMSCore
import Foundation
import Logging
import PulseMQTT

/// `pulsebms-agent bench-forward`: the broker's own QoS 1 ceiling, then samples/s through
/// snapshot → SQLite → PUBACK, then the drain rate of a large backlog — all against one broker in one run.
/// A benchmark for scripts/bench.sh, not an operating command.
struct BenchForwardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-forward", abstract: "Measure store-and-forward throughput (benchmark).", shouldDisplay: false)

    @Option(help: "Broker port on 127.0.0.1.")
    var port: Int

    @Option(name: .customLong("state-dir"), help: "Where the benchmark's buffer is created.")
    var stateDirectory: String

    @Option(help: "Samples for the ceiling and the live pipeline.")
    var samples = 20_000

    @Option(help: "Rows in the backlog to drain.")
    var backlog = 1_000_000

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let message = Self.message(sequence: 1)
        let payload = Array(try WireCoding.encode(message))

        // 1. The broker's QoS 1 ceiling: the same payloads, 200 in flight, no storage.
        let ceilingClient = try MosquittoClient(options: MQTTClientOptions(port: port, clientID: "bench-ceiling", cleanStart: true), logger: logger)
        ceilingClient.start()
        try await ceilingClient.waitUntilConnected()
        let ceiling = try await Self.rate(count: samples) { index in
            try await ceilingClient.publish("pulsebms/bench/ceiling/telemetry", payload: payload, qos: .atLeastOnce)
        }
        await ceilingClient.stop()
        print(String(format: "bench-forward: broker QoS 1 ceiling %.0f msg/s (%d-byte telemetry, 200 in flight)", ceiling, payload.count))

        // 2. The live pipeline: sequence + SQLite insert + publish + PUBACK + delete, per sample.
        let buffer = try SQLiteTelemetryBuffer(path: "\(stateDirectory)/bench-live.sqlite")
        let client = try MosquittoClient(options: MQTTClientOptions(port: port, clientID: "bench-agent", cleanStart: true), logger: logger)
        client.start()
        try await client.waitUntilConnected()
        let forwarder = TelemetryForwarder(siteID: "bench", buffer: buffer, client: client, logger: logger)
        let limits = SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100)
        let snapshot = Self.snapshot()
        var monitor = SafetyMonitor(limits: limits)
        let update = PollUpdate(snapshot: snapshot, verdict: monitor.evaluate(SafetyInput(snapshot)), fresh: true)
        let (stream, continuation) = AsyncStream.makeStream(of: PollUpdate.self, bufferingPolicy: .unbounded)
        let started = ContinuousClock.now
        let forwarding = Task { await forwarder.forward(stream, firmwareVersion: nil) }
        for _ in 0..<samples { continuation.yield(update) }
        continuation.finish()
        await forwarding.value
        let live = Double(forwarder.counters.publishedLive) / Self.seconds(ContinuousClock.now - started)
        print(String(format: "bench-forward: live pipeline %.0f samples/s (stored %d, acknowledged %d)",
                     live, forwarder.counters.stored, forwarder.counters.publishedLive))

        // 3. A backlog: rows written while "offline", then drained as fast as the broker acknowledges.
        let backlogBuffer = try SQLiteTelemetryBuffer(path: "\(stateDirectory)/bench-backlog.sqlite", maximumRows: backlog + 1)
        let fillStart = ContinuousClock.now
        var filled = 0
        while filled < backlog {
            let batch = min(10_000, backlog - filled)
            filled += try backlogBuffer.appendBatch(
                deviceID: "pack", topic: "pulsebms/bench/pack/telemetry", at: Timestamp(millisecondsSinceEpoch: 0), count: batch
            ) { _ in payload }.count
        }
        let fill = Double(backlog) / Self.seconds(ContinuousClock.now - fillStart)
        print(String(format: "bench-forward: backlog written at %.0f rows/s (10,000 per transaction)", fill))
        let drainer = TelemetryForwarder(siteID: "bench", buffer: backlogBuffer, client: client, drainRate: 1_000_000, logger: logger)
        let drainStart = ContinuousClock.now
        let draining = Task { await drainer.drain() }
        while try backlogBuffer.stats().depth > 0 {
            try await Task.sleep(for: .milliseconds(200))
        }
        draining.cancel()
        let drain = Double(backlog) / Self.seconds(ContinuousClock.now - drainStart)
        print(String(format: "bench-forward: backlog of %d drained at %.0f msg/s (replayed %d)", backlog, drain, drainer.counters.replayed))
        await client.stop()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Publishes `count` times with 200 in flight and returns the rate.
    static func rate(count: Int, _ publish: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 200 { try await group.next() }
                group.addTask { try await publish(index) }
            }
            try await group.waitForAll()
        }
        return Double(count) / seconds(ContinuousClock.now - started)
    }

    static func snapshot() -> PackSnapshot {
        let time = Timestamp(Date())
        return PackSnapshot(
            deviceID: "pack", takenAt: time, voltage: Measured(52.8, at: time), current: Measured(-20, at: time),
            power: Measured(-1056, at: time), temperature: Measured(25, at: time), soc: Measured(60, at: time),
            soh: Measured(98, at: time), cellVoltages: (0..<16).map { Measured(3.3 + Double($0) / 1000, at: time) },
            cellTemperatures: (0..<4).map { Measured(25 + Double($0), at: time) },
            balancing: (0..<16).map { _ in Measured(false, at: time) })
    }

    static func message(sequence: UInt64) -> TelemetryMessage {
        let snapshot = snapshot()
        var monitor = SafetyMonitor(limits: SafetyLimits(defaultsFor: .lfp, nominalCapacityAmpHours: 100))
        let verdict = monitor.evaluate(SafetyInput(snapshot))
        return TelemetryMessage(snapshot: snapshot, verdict: verdict, siteID: "bench", sequenceNumber: sequence, uptimeSeconds: 1)
            ?? TelemetryMessage(
                timestamp: snapshot.takenAt, sequenceNumber: sequence, deviceInfo: DeviceInfo(deviceID: "pack", siteID: "bench"),
                measurements: Measurements(pack: PackMeasurements(voltage: 0, current: 0, power: nil, temperature: nil, soc: nil, soh: nil)),
                status: RuntimeStatus(operationalState: .idle, communicationQuality: 1, uptimeSeconds: 1), alarms: .none)
    }
}
