import BMSCore
import Foundation
import Testing
import TestSupport

/// `pulsebms-agent probe` against pymodbus, an independent Modbus implementation serving a SunSpec image
/// that Python builds from the model definitions (no PulseBMS code on that side).
@Suite("Probe interop with pymodbus", .serialized)
struct ProbeInteropTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let agent = root.appendingPathComponent(".build/debug/pulsebms-agent").path

    @Test func probeDecodesTheSunSpecImageExactly() async throws {
        try await withPeer { port in
            let (code, output) = try await probe("modbus-tcp://127.0.0.1:\(port)/1")
            #expect(code == 0)
            let document = try WireCoding.decodeTree(from: Array(output.utf8))
            #expect(document["base_address"] == 40000)
            let models = try #require(document["models"]?.arrayValue)
            #expect(models.compactMap { $0["id"]?.numberValue } == [1, 802, 805])
            #expect(models.compactMap { $0["address"]?.numberValue } == [40002, 40070, 40134])

            let common = try #require(models[0]["points"])
            #expect(common["Mn"] == "PulseBMS Peer")
            #expect(common["SN"] == "SN-4242")
            #expect(common["Opt"] == .null)

            // The pysunspec2 test vector (protocols.md §1) plus the peer's other values.
            let base = try #require(models[1]["points"])
            #expect(base["V"] == 51.2)
            #expect(base["CellVMax"] == 3.345)
            #expect(base["A"] == -20.0)
            #expect(base["SoC"] == 87.5)
            #expect(base["WHRtg"] == 10240)
            #expect(base["W"] == .null)
            #expect(base["Evt1"] == .number(Double((1 << 2) | (1 << 14))))
            #expect(base["SoH"] == 96.5)
            #expect(base["NCyc"] == 123)
            #expect(base["State"] == 3)
            #expect(base["DoD"] == .null)

            let module = try #require(models[2]["points"])
            #expect(module["NCell"] == 16)
            #expect(module["V"] == 52.96)
            let cells = try #require(module["CellV"]?.arrayValue)
            #expect(cells.count == 16)
            #expect(cells.first == 3.3)
            #expect(cells.last == 3.315)
            #expect(module["CellTmp"]?.arrayValue?[3] == 25.3)
            #expect(module["CellBal"]?.arrayValue?.prefix(2) == [true, false])
            #expect(module["CellTmpMax"] == .null)
        }
    }

    @Test func exitCodesTellNotReachableFromNoSunSpec() async throws {
        let closedPort = try FreePort.find()
        #expect(try await probe("modbus-tcp://127.0.0.1:\(closedPort)/1").code == 2)
        try await withPeer(arguments: ["--no-sunspec"]) { port in
            let result = try await probe("modbus-tcp://127.0.0.1:\(port)/1")
            #expect(result.code == 3)
        }
        #expect(try await probe("tcp://nowhere").code == 1)
    }

    // MARK: - Helpers

    private func withPeer(arguments: [String] = [], _ body: (Int) async throws -> Void) async throws {
        let (peer, port) = try await PymodbusPeer.start(packageRoot: Self.root, arguments: arguments)
        do {
            try await body(port)
        } catch {
            await peer.terminate()
            throw error
        }
        await peer.terminate()
    }

    private func probe(_ url: String) async throws -> (code: Int32?, output: String) {
        let directory = try TemporaryDirectory("probe")
        defer { directory.remove() }
        let output = directory.file("out.json").path
        let process = try ChildProcess(Self.agent, ["probe", url], outputFile: output)
        await process.waitForExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // Standard error shares the file; the JSON document is the line that starts with '{'.
        let json = text.split(separator: "\n").first { $0.hasPrefix("{") }.map(String.init) ?? text
        return (process.exitCode, json)
    }
}
