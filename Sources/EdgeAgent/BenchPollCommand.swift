import ArgumentParser
import BMSCore
import Foundation

/// `pulsebms-agent bench-poll URL`: reads a SunSpec pack back to back for a while and reports polls per
/// second and latency. A benchmark for scripts/bench.sh, not an operating command.
struct BenchPollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-poll", abstract: "Measure SunSpec polls per second against a device (benchmark).",
        shouldDisplay: false)

    @Argument(help: "modbus-tcp://HOST:PORT/UNIT")
    var url: String

    @Option(help: "How long to measure, seconds.")
    var seconds = 5.0

    @Option(help: "Concurrent pollers on the same bus (each a different unit id from UNIT upwards).")
    var units = 1

    func run() async throws {
        let target = try ModbusURL(url)
        let bus = ModbusBus(id: "bench", endpoint: target.endpoint, responseTimeout: .seconds(1))
        defer { bus.stop() }
        let sources = (0..<units).map { SunSpecPackSource(deviceID: "bench-\($0)", unitID: target.unitID + $0, bus: bus) }
        for source in sources { _ = try await source.read(at: Timestamp(Date()), previous: nil) }  // discovery
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let latencies = await withTaskGroup(of: [Double].self) { group in
            for source in sources {
                group.addTask {
                    var latencies: [Double] = []
                    while ContinuousClock.now < end {
                        let start = ContinuousClock.now
                        guard (try? await source.read(at: Timestamp(Date()), previous: nil)) != nil else { continue }
                        let elapsed = ContinuousClock.now - start
                        latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                    }
                    return latencies
                }
            }
            return await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        guard !latencies.isEmpty else {
            printError("bench-poll: no successful poll")
            throw ExitCode(1)
        }
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(String(
            format: "bench-poll: %d units, %.0f polls/s (802 + 805 per poll), latency p50 %.2f ms, p99 %.2f ms",
            units, Double(latencies.count) / seconds, percentile(0.5), percentile(0.99)))
    }
}
