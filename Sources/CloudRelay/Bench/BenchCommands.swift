import ArgumentParser
import BMSCore
import Foundation
import Logging
import PulseMQTT
import ServiceLifecycle
import Synchronization
import WSClient

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
            let message = Self.telemetry(index: index / devices, device: device)
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
            options: MQTTClientOptions(
                host: "127.0.0.1", port: mqttPort, clientID: "bench-relay", incomingBufferLimit: IngestService.clientBufferLimit),
            logger: logger)
        let ingest = IngestService(
            client: client, store: store, metrics: RequestMetrics(), logger: logger, shareGroup: nil, offlineAfter: .seconds(300))
        let running = Task { try await ingest.run() }
        try await client.waitUntilConnected()
        // The ingest subscribes once connected: a probe (a pack of its own, named as its topic names it, or the
        // relay refuses it) is stored once it has.
        let probe = Array(try WireCoding.encode(Self.telemetry(index: 0, device: "probe")))
        while ingest.snapshot.stored == 0 {
            try await publisher.publish("pulsebms/bench/probe/telemetry", payload: probe, qos: .atLeastOnce)
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(200))  // late probes settle before the baseline is taken
        let baseline = ingest.snapshot
        let ingestStart = ContinuousClock.now
        try await publishAll(payloads, with: publisher)
        while ingest.snapshot.received - baseline.received < messages || ingest.snapshot.stored - baseline.stored < messages {
            try await Task.sleep(for: .milliseconds(5))
        }
        let ingestRate = Double(messages) / Self.seconds(ContinuousClock.now - ingestStart)
        running.cancel()
        await client.stop()
        await publisher.stop()
        print(String(format: "relay bench-ingest: broker QoS 1 ceiling %.0f msg/s; relay ingest %.0f msg/s stored (%d messages, %d devices, %d bytes each)",
                     ceiling, ingestRate, messages, devices, payloads.first?.1.count ?? 0))
    }

    /// The `index`th sample of `device`, one second after the one before.
    static func telemetry(index: Int, device: String) -> TelemetryMessage {
        TelemetryMessage(
            timestamp: Timestamp(millisecondsSinceEpoch: 1_764_547_200_000 + Int64(index) * 1000),
            sequenceNumber: UInt64(index + 1), deviceInfo: DeviceInfo(deviceID: device, siteID: "bench"),
            measurements: Measurements(pack: PackMeasurements(
                voltage: 400 + Double(index % 17), current: 20, power: 8000, temperature: 25, soc: 60, soh: 95)),
            status: RuntimeStatus(operationalState: .discharging, communicationQuality: 1, uptimeSeconds: 1), alarms: .none)
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

/// `pulsebms-relay bench-ws` (hidden): the client side of the live-stream benchmark. Opens CLIENTS WebSocket
/// connections to a running relay, each subscribed to telemetry at 1 Hz, publishes DEVICES packs' telemetry at
/// 1 Hz through the broker for SECONDS seconds (each sample stamped with its send time), and reports delivery
/// latency (send → client) p50/p99 and the relay process's CPU and RSS (from /proc, `--relay-pid`).
struct BenchWebSocketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ws", abstract: "Live-stream latency for many WebSocket clients (benchmark).", shouldDisplay: false)

    @Option(name: .customLong("relay-port")) var relayPort: Int
    @Option(name: .customLong("relay-pid")) var relayPID: Int32
    @Option(name: .customLong("mqtt-port")) var mqttPort: Int
    @Option var token: String
    @Option var clients = 1000
    @Option var devices = 100
    @Option var seconds = 20
    @Flag(help: "Publish every device's sample at the start of each second, instead of spread over it.")
    var burst = false

    func run() async throws {
        let logger = Logger(label: "bench-ws")
        let state = WSBenchState()
        let subscription = #"{"type": "subscribe", "topic": "telemetry", "filters": {"sample_rate": "1Hz"}}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<clients {
                group.addTask {
                    _ = try? await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(relayPort)/ws/bench-\(index)?access_token=\(token)", logger: logger
                    ) { inbound, outbound, _ in
                        try await outbound.write(.text(subscription))
                        try await outbound.write(.text("{}"))  // its error reply says the subscription is in place
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            let now = Double(Timestamp(Date()).millisecondsSinceEpoch)
                            // Only the top-level timestamp is read (keys are sorted, so it is the last one): a
                            // full parse of every message would make the clients, on the same two cores, the
                            // bottleneck being measured.
                            if text.hasSuffix(#""type":"error"}"#) {
                                state.subscribed.withLock { $0 += 1 }
                            } else if let stamp = Self.lastTimestamp(in: text), let sent = try? Timestamp(rfc3339: String(stamp)) {
                                state.latencies.withLock { $0.append(now - Double(sent.millisecondsSinceEpoch)) }
                                if let dropped = Self.droppedCount(in: text) { state.dropped.withLock { $0 += dropped } }
                            }
                            if state.stop.withLock({ $0 }) { break }
                        }
                        if !state.stop.withLock({ $0 }) { state.closed.withLock { $0 += 1 } }  // closed by the relay
                        try? await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
            group.addTask {
                while state.subscribed.withLock({ $0 }) < clients { try await Task.sleep(for: .milliseconds(50)) }
                let publisher = try MosquittoClient(
                    options: MQTTClientOptions(host: "127.0.0.1", port: mqttPort, clientID: "bench-ws-site"), logger: logger)
                publisher.start()
                try await publisher.waitUntilConnected()
                let cpuBefore = Self.cpuSeconds(pid: relayPID)
                let ownCPUBefore = Self.cpuSeconds(pid: getpid())
                let started = ContinuousClock.now
                for second in 0..<seconds {
                    for device in 0..<devices {
                        if !burst {  // real packs are not in step: each has its own phase within the second
                            let phase = Duration.seconds(second) + .milliseconds(device * 1000 / devices)
                            try await Task.sleep(until: started.advanced(by: phase), clock: .continuous)
                        }
                        let message = TelemetryMessage(
                            timestamp: Timestamp(Date()), sequenceNumber: UInt64(second + 1),
                            deviceInfo: DeviceInfo(deviceID: "pack_\(device)", siteID: "bench"),
                            measurements: Measurements(pack: PackMeasurements(
                                voltage: 400, current: 20, power: 8000, temperature: 25, soc: 60, soh: 95)),
                            status: RuntimeStatus(operationalState: .discharging, communicationQuality: 1, uptimeSeconds: 1),
                            alarms: .none)
                        try await publisher.publish(
                            "pulsebms/bench/pack_\(device)/telemetry", payload: Array(try WireCoding.encode(message)), qos: .atLeastOnce)
                    }
                    try await Task.sleep(until: started.advanced(by: .seconds(second + 1)), clock: .continuous)
                }
                try await Task.sleep(for: .seconds(2))
                let elapsed = BenchIngestCommand.seconds(ContinuousClock.now - started)
                let cpu = (Self.cpuSeconds(pid: relayPID) - cpuBefore) / elapsed * 100
                let ownCPU = (Self.cpuSeconds(pid: getpid()) - ownCPUBefore) / elapsed * 100
                state.stop.withLock { $0 = true }
                await publisher.stop()
                var sorted = state.latencies.withLock { $0 }
                sorted.sort()
                let expected = clients * devices * seconds
                func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
                print(String(format: "relay bench-ws: %d clients × %d devices at 1 Hz (%@) for %d s: %d of %d deliveries, latency p50 %.1f ms, p99 %.1f ms; relay CPU %.0f %% of one core, RSS %.0f MiB (the clients and publisher: CPU %.0f %%); %d dropped by the relay for clients behind, %d clients closed",
                             clients, devices, burst ? "in step" : "phases spread", seconds, sorted.count, expected, percentile(0.5), percentile(0.99), cpu, Self.rssMiB(pid: relayPID), ownCPU,
                             state.dropped.withLock { $0 }, state.closed.withLock { $0 }))
                throw CancellationError()  // ends the clients
            }
            do {
                try await group.next()
            } catch is CancellationError {}
            group.cancelAll()
        }
    }

    /// What the clients and the publisher share.
    final class WSBenchState: Sendable {
        let latencies = Mutex<[Double]>([])
        /// The relay's `dropped_messages` counts, summed: samples it dropped for clients behind.
        let dropped = Mutex(0)
        /// Clients the relay closed before the end.
        let closed = Mutex(0)
        let subscribed = Mutex(0)
        let stop = Mutex(false)
    }

    /// The value of the last `"timestamp":"…"` in a JSON text. A byte search: Foundation's `range(of:)` goes
    /// through NSString on Linux and would make the clients the bottleneck.
    static func lastTimestamp(in text: String) -> Substring? {
        let utf8 = Array(text.utf8)
        guard let start = lastIndex(of: Array(#""timestamp":""#.utf8), in: utf8),
            let end = utf8[start...].firstIndex(of: UInt8(ascii: "\""))
        else { return nil }
        return Substring(decoding: utf8[start..<end], as: UTF8.self)
    }

    /// The value of `"dropped_messages":N` in a JSON text, if there is one.
    static func droppedCount(in text: String) -> Int? {
        let utf8 = Array(text.utf8)
        guard let start = lastIndex(of: Array(#""dropped_messages":"#.utf8), in: utf8) else { return nil }
        return Int(String(decoding: utf8[start...].prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }

    /// The index just past the last occurrence of `pattern` in `bytes`.
    static func lastIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var index = bytes.count - pattern.count
        while index >= 0 {
            if bytes[index] == first, bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index + pattern.count }
            index -= 1
        }
        return nil
    }

    /// User + system CPU seconds of a process, from /proc/PID/stat.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size of a process, MiB, from /proc/PID/status.
    static func rssMiB(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kib / 1024
    }
}
