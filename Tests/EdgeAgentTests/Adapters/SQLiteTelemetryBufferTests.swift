import BMSCore
import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

@Suite("SQLite telemetry buffer")
struct SQLiteTelemetryBufferTests {
    private func append(_ buffer: SQLiteTelemetryBuffer, _ device: String, at milliseconds: Int64 = 0) throws -> StoredTelemetry {
        try buffer.append(deviceID: device, topic: "pulsebms/s/\(device)/telemetry", at: Timestamp(millisecondsSinceEpoch: milliseconds)) {
            Array("{\"sequence\":\($0)}".utf8)
        }
    }

    @Test func sequenceNumbersKeepIncreasingAcrossReopeningPerDevice() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let path = directory.file("telemetry.sqlite").path
        do {
            let buffer = try SQLiteTelemetryBuffer(path: path)
            #expect(try append(buffer, "a").sequenceNumber == 1)
            #expect(try append(buffer, "a").sequenceNumber == 2)
            #expect(try append(buffer, "b").sequenceNumber == 1)
            let stored = try append(buffer, "a")
            #expect(stored.payload == Array("{\"sequence\":3}".utf8))
            try buffer.release(try buffer.oldest(limit: 10).map(\.id))
            #expect(try buffer.stats().depth == 0)
        }
        let reopened = try SQLiteTelemetryBuffer(path: path)
        #expect(try append(reopened, "a").sequenceNumber == 4)  // released rows do not reset the numbering
        #expect(try append(reopened, "b").sequenceNumber == 2)
    }

    @Test func batchesContinueTheSequenceAndRespectTheBound() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let buffer = try SQLiteTelemetryBuffer(path: directory.file("b.sqlite").path, maximumRows: 5)
        _ = try append(buffer, "a")
        let batch = try buffer.appendBatch(deviceID: "a", topic: "t", at: Timestamp(millisecondsSinceEpoch: 0), count: 6) { Array("\($0)".utf8) }
        #expect(batch.map(\.sequenceNumber) == [2, 3, 4, 5, 6, 7])
        #expect(try buffer.oldest(limit: 10).map(\.sequenceNumber) == [3, 4, 5, 6, 7])
        #expect(try buffer.stats().dropped == 2)
        #expect(try append(buffer, "a").sequenceNumber == 8)
    }

    @Test func oldestComeFirstAndInFlightRowsAreSkipped() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let buffer = try SQLiteTelemetryBuffer(path: directory.file("b.sqlite").path)
        let rows = try (0..<5).map { try append(buffer, "a", at: Int64($0)) }
        #expect(try buffer.oldest(limit: 3).map(\.sequenceNumber) == [1, 2, 3])
        #expect(try buffer.oldest(limit: 3, excluding: [rows[0].id, rows[2].id]).map(\.sequenceNumber) == [2, 4, 5])
        try buffer.release([rows[1].id, rows[3].id])
        #expect(try buffer.stats() == TelemetryBufferStats(depth: 3, oldest: Timestamp(millisecondsSinceEpoch: 0), dropped: 0))
    }

    @Test func whenFullTheOldestGoFirstAndAreCounted() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let buffer = try SQLiteTelemetryBuffer(path: directory.file("b.sqlite").path, maximumRows: 3)
        for index in 0..<5 { _ = try append(buffer, "a", at: Int64(index)) }
        #expect(try buffer.oldest(limit: 10).map(\.sequenceNumber) == [3, 4, 5])
        #expect(try buffer.stats().dropped == 2)
        #expect(try buffer.stats().depth == 3)
    }

    @Test func rowsOlderThanTheMaximumAgeArePrunedAndCounted() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let buffer = try SQLiteTelemetryBuffer(path: directory.file("b.sqlite").path, maximumAge: .seconds(10))
        _ = try append(buffer, "a", at: 0)
        _ = try append(buffer, "a", at: 9_000)
        _ = try append(buffer, "a", at: 15_000)
        #expect(try buffer.pruneExpired(now: Timestamp(millisecondsSinceEpoch: 19_500)) == 2)
        #expect(try buffer.oldest(limit: 10).map(\.sequenceNumber) == [3])
        #expect(try buffer.stats().dropped == 2)
    }

    @Test func aReadOnlyBufferFailsWithAClearErrorNotACrash() throws {
        let directory = try TemporaryDirectory("buffer")
        defer { directory.remove() }
        let path = directory.file("b.sqlite").path
        _ = try SQLiteTelemetryBuffer(path: path)
        let readOnly = try SQLiteTelemetryBuffer(path: path, readOnly: true)
        do throws(TelemetryBufferError) {
            _ = try readOnly.append(deviceID: "a", topic: "t", at: Timestamp(millisecondsSinceEpoch: 0)) { _ in [1] }
            Issue.record("a read-only buffer accepted a write")
        } catch {
            #expect(error.isStorageFull)
            #expect(error.description.contains("append"))
        }
        #expect(throws: TelemetryBufferError.self) { try SQLiteTelemetryBuffer(path: "/nonexistent-dir/x/b.sqlite") }
    }
}
