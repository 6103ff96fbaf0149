import ArgumentParser
import BMSCore
import Foundation
import Logging
import PulseMQTT
import ServiceLifecycle
import Synchronization

/// `pulsebms-relay bench-ingest` (hidden): against a running broker, the broker's own QoS 1 ceiling (one
/// publisher, one subscriber, nothing stored) and then the relay's ingest rate (the same publisher, the relay's
/// ingest storing every message in SQLite), in one run. Figures only.
struct BenchIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ingest", abstract: "Broker QoS 1 ceiling and relay ingest rate (benchmark).", shouldDisplay: false)

    @Option(name: .customLong("mqtt-port")) var mqttPort: Int
    @Option(name: .customLong("data-dir")) var dataDirectory: String
    @Option var messages = 50_000
    @Option var devices = 100

    func run() async throws {
        let logger = Logger(label: "bench")
        let payloads = (0..<messages).map { index -> (String, [UInt8]) in
            let device = "pack_\(index % devices)"
            let message = TelemetryMessage(
                timestamp: Timestamp(millisecondsSinceEpoch: 1_764_547_200_000 + Int64(index / devices) * 1000),
                sequenceNumber: UInt64(index / devices + 1), deviceInfo: DeviceInfo(deviceID: device, siteID: "bench"),
                measurements: Measurements(pack: PackMeasurements(
                    voltage: 400 + Double(index % 17), current: 20, power: 8000, temperature: 25, soc: 60, soh: 95)),
                status: RuntimeStatus(operationalState: .discharging, communicationQuality: 1, uptimeSeconds: 1), alarms: .none)
            return ("pulsebms/bench/\(device)/telemetry", Array((try? WireCoding.encode(message)) ?? Data()))
        }

        // 1. The broker alone: one subscriber counting.
        let counter = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: mqttPort, clientID: "bench-counter"), logger: logger)
        counter.start()
        try await counter.waitUntilConnected()
        try await counter.subscribe("pulsebms/ceiling/#", qos: .atLeastOnce)
        let publisher = try MosquittoClient(options: MQTTClientOptions(host: "127.0.0.1", port: mqttPort, clientID: "bench-publisher"), logger: logger)
        publisher.start()
        try await publisher.waitUntilConnected()
        let ceilingStart = ContinuousClock.now
        async let counted: Int = {
            var count = 0
            for await _ in counter.messages {
                count += 1
                if count == messages { break }
            }
            return count
        }()
        try await publishAll(payloads.map { ($0.0.replacingOccurrences(of: "pulsebms/bench", with: "pulsebms/ceiling"), $0.1) }, with: publisher)
        _ = await counted
        let ceiling = Double(messages) / Self.seconds(ContinuousClock.now - ceilingStart)
        await counter.stop()

        // 2. The relay's ingest: the same messages, stored.
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteRelayStore(directory: dataDirectory)
        for index in 0..<devices {
            _ = try? store.register(
                DeviceRegistration(
                    deviceID: "pack_\(index)", siteID: "bench", name: "Bench pack \(index)", chemistry: .nmc,
                    specifications: DeviceSpecifications(nominalCapacityAmpHours: 100, nominalVoltageVolts: 400, seriesCells: 96, parallelCells: 1)),
                at: Timestamp(Date()))
        }
        let client = try MosquittoClient(
            options: MQTTClientOptions(host: "127.0.0.1", port: mqttPort, clientID: "bench-relay"), logger: logger)
        let ingest = IngestService(
            client: client, store: store, metrics: RequestMetrics(), logger: logger, shareGroup: nil, offlineAfter: .seconds(300))
        let running = Task { try await ingest.run() }
        try await client.waitUntilConnected()
        // The ingest subscribes once connected: a probe is stored once it has.
        let probe = payloads[0].1
        while ingest.snapshot.stored == 0 {
            try await publisher.publish("pulsebms/bench/probe/telemetry", payload: probe, qos: .atLeastOnce)
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(200))  // late probes settle before the baseline is taken
        let baseline = ingest.snapshot.received
        let ingestStart = ContinuousClock.now
        try await publishAll(payloads, with: publisher)
        while ingest.snapshot.received - baseline < messages || ingest.snapshot.stored < messages {
            try await Task.sleep(for: .milliseconds(5))
        }
        let ingestRate = Double(messages) / Self.seconds(ContinuousClock.now - ingestStart)
        running.cancel()
        await client.stop()
        await publisher.stop()
        print(String(format: "relay bench-ingest: broker QoS 1 ceiling %.0f msg/s; relay ingest %.0f msg/s stored (%d messages, %d devices, %d bytes each)",
                     ceiling, ingestRate, messages, devices, payloads.first?.1.count ?? 0))
    }

    /// Publishes every message at QoS 1 with up to 200 in flight.
    func publishAll(_ payloads: [(String, [UInt8])], with client: MosquittoClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for (topic, payload) in payloads {
                if inFlight >= 200 {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { try await client.publish(topic, payload: payload, qos: .atLeastOnce) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// `pulsebms-relay bench-query` (hidden): fills a store with 1 Hz telemetry of one pack for DAYS days, then
/// times the 30-day hour-resolution query (series and statistics, encoded as the API sends it).
struct BenchQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-query", abstract: "Time a 30-day hour-resolution telemetry query over 1 Hz data (benchmark).",
        shouldDisplay: false)

    @Option(name: .customLong("data-dir")) var dataDirectory: String
    @Option var days = 30

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteRelayStore(directory: dataDirectory)
        let start = Timestamp(millisecondsSinceEpoch: 1_764_547_200_000)
        let total = days * 86_400
        let fillStart = ContinuousClock.now
        var batch: [TelemetryMessage] = []
        batch.reserveCapacity(10_000)
        for second in 0..<total {
            let t = Double(second)
            batch.append(TelemetryMessage(
                timestamp: start.adding(milliseconds: Int64(second) * 1000), sequenceNumber: UInt64(second + 1),
                deviceInfo: DeviceInfo(deviceID: "pack_bench", siteID: "bench"),
                measurements: Measurements(pack: PackMeasurements(
                    voltage: 400 + 10 * sin(t / 600), current: 50 * sin(t / 900), power: 20_000 * sin(t / 900),
                    temperature: 25 + 5 * sin(t / 3600), soc: 50 + 30 * sin(t / 7200), soh: 95)),
                status: RuntimeStatus(operationalState: .idle, communicationQuality: 1, uptimeSeconds: t), alarms: .none))
            if batch.count == 10_000 {
                _ = try store.ingest(batch, receivedAt: start)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try store.ingest(batch, receivedAt: start) }
        let fill = BenchIngestCommand.seconds(ContinuousClock.now - fillStart)
        let end = start.adding(milliseconds: Int64(total) * 1000)
        var timings: [Double] = []
        var points = 0
        for _ in 0..<20 {
            let began = ContinuousClock.now
            let series = try store.telemetry(deviceID: "pack_bench", from: start, to: end, resolution: .hour, metrics: TelemetryMetric.allCases)
            let statistics = try store.statistics(deviceID: "pack_bench", from: start, to: end, resolution: .hour, metrics: TelemetryMetric.allCases)
            let response = TelemetryQueryResponse(
                deviceID: "pack_bench", startTime: start, endTime: end, resolution: .hour, dataPoints: series.timestamps.count,
                metrics: series, statistics: statistics)
            _ = try WireCoding.encode(response)
            timings.append(BenchIngestCommand.seconds(ContinuousClock.now - began) * 1000)
            points = series.timestamps.count
        }
        timings.sort()
        print(String(format: "relay bench-query: %d days of 1 Hz data (%d rows) stored in %.1f s (%.0f rows/s); 30-day hour query (%d points, all metrics, statistics, JSON) p50 %.2f ms, max %.2f ms",
                     days, total, fill, Double(total) / fill, points, timings[timings.count / 2], timings.last ?? 0))
    }
}
