import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// The agent's SunSpec source against pymodbus (an independent implementation) and against a peer that
/// answers garbage.
@Suite("Pack sources against other peers", .serialized)
struct PackSourceInteropTests {
    @Test func sunSpecSourceDecodesThePymodbusImageExactly() async throws {
        let (peer, port) = try await PymodbusPeer.start(packageRoot: ModbusBusTests.root)
        let bus = ModbusBus(id: "py", endpoint: .tcp(host: "127.0.0.1", port: port), responseTimeout: .milliseconds(500))
        defer { bus.stop() }
        let source = SunSpecPackSource(deviceID: "peer", unitID: 1, bus: bus)
        let time = Timestamp(millisecondsSinceEpoch: 1_705_329_015_123)
        let snapshot = try await source.read(at: time, previous: nil)
        // The pysunspec2 vector and the peer's other values (Tests/IntegrationTests/Peers).
        #expect(snapshot.voltage == Measured(51.2, at: time))
        #expect(snapshot.current == Measured(-20.0, at: time))
        #expect(snapshot.soc == Measured(87.5, at: time))
        #expect(snapshot.soh == Measured(96.5, at: time))
        #expect(snapshot.power == Measured(51.2 * -20.0, at: time))  // W not implemented: V × A
        #expect(snapshot.cellVoltages.map(\.value) == (0..<16).map { Double(3300 + $0) / 1000 })
        #expect(snapshot.cellTemperatures[5].value == 25.5)
        #expect(snapshot.balancing.prefix(2).map(\.value) == [true, false])
        #expect(snapshot.operationalState?.value == .charging)
        // Second read uses the cached layout and gives the same values.
        #expect(try await source.read(at: time, previous: snapshot) == snapshot)
        await peer.terminate()
    }

    @Test func malformedRepliesAreCountedNeverACrash() async throws {
        var generator = SplitMix64(seed: 7)
        let replies = [UInt8](repeating: 0, count: 64).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let garbage = try GarbageTCPServer { request in
            // Echo the transaction id (so the frame looks like ours), then nonsense.
            Array(request.prefix(2)) + [0x00, 0x00, 0x00, 0x07, request.count > 6 ? request[6] : 1] + replies.prefix(6)
        }
        defer { garbage.stop() }
        let bus = ModbusBus(id: "garbage", endpoint: .tcp(host: "127.0.0.1", port: garbage.port), responseTimeout: .milliseconds(300))
        defer { bus.stop() }
        let limits = try SafetyLimits.resolve(chemistry: .lfp, nominalCapacityAmpHours: 100).get()
        let poller = DevicePoller(
            deviceID: "garbage", source: SunSpecPackSource(deviceID: "garbage", unitID: 1, bus: bus), limits: limits,
            policy: .standard, interval: .milliseconds(100), clock: ContinuousClock(), now: { Timestamp(Date()) },
            actionLog: ActionLog(path: nil))
        var lastFresh: Timestamp?
        for _ in 0..<3 {
            let update = await poller.pollOnce(lastFreshRead: &lastFresh)
            #expect(!update.fresh)
        }
        let counters = poller.counters
        #expect(counters.requests == 3)
        #expect(counters.successes == 0)
        #expect(counters.exceptions + counters.otherFailures + counters.timeouts == 3)
    }
}
