import BMSCore
import Foundation
import GRDB

/// A message waiting in the buffer.
struct StoredTelemetry: Sendable, Equatable {
    var id: Int64
    var deviceID: String
    var sequenceNumber: UInt64
    var topic: String
    var payload: [UInt8]
    var createdAt: Timestamp
}

/// The buffer's state, for status pages and metrics.
struct TelemetryBufferStats: Sendable, Equatable {
    var depth: Int
    var oldest: Timestamp?
    /// Rows dropped because the buffer was full or too old, since the file was created.
    var dropped: Int
}

/// A storage failure. The sample it concerns was still checked by the safety monitor.
struct TelemetryBufferError: Error, Sendable, CustomStringConvertible {
    var operation: String
    var reason: String
    /// Disk full, read-only, or I/O error: the file itself is not at fault.
    var isStorageFull: Bool

    var description: String { "telemetry buffer \(operation) failed: \(reason)" }
}

/// Store-and-forward of telemetry in SQLite: a message is written before it is published and removed only
/// once the broker has acknowledged it.
final class SQLiteTelemetryBuffer: Sendable {
    let maximumRows: Int
    let maximumAge: Duration
    private let database: DatabasePool

    /// Opens (or creates) the buffer at `path` and migrates it.
    init(path: String, maximumRows: Int = 1_000_000, maximumAge: Duration = .seconds(7 * 24 * 3600), readOnly: Bool = false)
        throws(TelemetryBufferError)
    {
        self.maximumRows = max(1, maximumRows)
        self.maximumAge = maximumAge
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try Self.migrator.migrate(database) }
        } catch {
            throw Self.wrap(error, "open \(path)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 outbox and sequences") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        device_id TEXT NOT NULL,
                        sequence_number INTEGER NOT NULL CHECK (sequence_number > 0),
                        topic TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        UNIQUE (device_id, sequence_number)
                    );
                    CREATE TABLE device_sequence (device_id TEXT PRIMARY KEY, last INTEGER NOT NULL CHECK (last >= 0));
                    CREATE TABLE buffer_meta (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        row_count INTEGER NOT NULL CHECK (row_count >= 0),
                        dropped INTEGER NOT NULL CHECK (dropped >= 0)
                    );
                    INSERT INTO buffer_meta (id, row_count, dropped) VALUES (1, 0, 0);
                    """)
        }
        return migrator
    }

    /// Assigns the device's next sequence number, builds the message with it and stores it, in one
    /// transaction. Drops the oldest rows if the buffer is over its size.
    func append(
        deviceID: String, topic: String, at time: Timestamp,
        encode: @escaping @Sendable (UInt64) throws -> [UInt8]
    ) throws(TelemetryBufferError) -> StoredTelemetry {
        guard let stored = try appendBatch(deviceID: deviceID, topic: topic, at: time, count: 1, encode: encode).first else {
            throw TelemetryBufferError(operation: "append", reason: "nothing stored", isStorageFull: false)
        }
        return stored
    }

    /// `count` consecutive messages of one device in one transaction (a backlog writer, or a fast pack).
    func appendBatch(
        deviceID: String, topic: String, at time: Timestamp, count: Int,
        encode: @escaping @Sendable (UInt64) throws -> [UInt8]
    ) throws(TelemetryBufferError) -> [StoredTelemetry] {
        let maximumRows = maximumRows
        do {
            return try database.write { db in
                let last = try UInt64.fetchOne(db, sql: "SELECT last FROM device_sequence WHERE device_id = ?", arguments: [deviceID]) ?? 0
                var stored: [StoredTelemetry] = []
                stored.reserveCapacity(count)
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO outbox (device_id, sequence_number, topic, payload, created_at_ms) VALUES (?, ?, ?, ?, ?)")
                for offset in 0..<UInt64(max(0, count)) {
                    let sequence = last + 1 + offset
                    let payload = try encode(sequence)
                    try insert.execute(arguments: [deviceID, sequence, topic, Data(payload), time.millisecondsSinceEpoch])
                    stored.append(StoredTelemetry(
                        id: db.lastInsertedRowID, deviceID: deviceID, sequenceNumber: sequence, topic: topic, payload: payload,
                        createdAt: time))
                }
                try db.execute(
                    sql: "INSERT INTO device_sequence (device_id, last) VALUES (?, ?) ON CONFLICT(device_id) DO UPDATE SET last = excluded.last",
                    arguments: [deviceID, last + UInt64(stored.count)])
                try db.execute(sql: "UPDATE buffer_meta SET row_count = row_count + ? WHERE id = 1", arguments: [stored.count])
                let rows = try Int.fetchOne(db, sql: "SELECT row_count FROM buffer_meta WHERE id = 1") ?? 0
                if rows > maximumRows { try Self.dropOldest(db, count: rows - maximumRows) }
                return stored
            }
        } catch {
            throw Self.wrap(error, "append")
        }
    }

    /// The oldest messages, oldest first, leaving out `excluding` (those being published right now).
    func oldest(limit: Int, excluding: Set<Int64> = []) throws(TelemetryBufferError) -> [StoredTelemetry] {
        do {
            return try database.read { db in
                let rows = try Row.fetchAll(
                    db, sql: "SELECT id, device_id, sequence_number, topic, payload, created_at_ms FROM outbox ORDER BY id LIMIT ?",
                    arguments: [limit + excluding.count])
                return rows.compactMap { row -> StoredTelemetry? in
                    let id: Int64 = row["id"]
                    guard !excluding.contains(id) else { return nil }
                    let payload: Data = row["payload"]
                    return StoredTelemetry(
                        id: id, deviceID: row["device_id"], sequenceNumber: row["sequence_number"], topic: row["topic"],
                        payload: Array(payload), createdAt: Timestamp(millisecondsSinceEpoch: row["created_at_ms"]))
                }.prefix(limit).map { $0 }
            }
        } catch {
            throw Self.wrap(error, "read")
        }
    }

    /// Removes acknowledged messages.
    func release(_ ids: [Int64]) throws(TelemetryBufferError) {
        guard !ids.isEmpty else { return }
        do {
            try database.write { db in
                try db.execute(sql: "DELETE FROM outbox WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
                try db.execute(sql: "UPDATE buffer_meta SET row_count = row_count - ? WHERE id = 1", arguments: [db.changesCount])
            }
        } catch {
            throw Self.wrap(error, "release")
        }
    }

    /// Drops messages older than `maximumAge`; returns how many.
    @discardableResult
    func pruneExpired(now: Timestamp) throws(TelemetryBufferError) -> Int {
        let (seconds, attoseconds) = maximumAge.components
        let cutoff = now.millisecondsSinceEpoch - (seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        do {
            return try database.write { db in
                try db.execute(sql: "DELETE FROM outbox WHERE created_at_ms < ?", arguments: [cutoff])
                let removed = db.changesCount
                try db.execute(
                    sql: "UPDATE buffer_meta SET row_count = row_count - ?, dropped = dropped + ? WHERE id = 1",
                    arguments: [removed, removed])
                return removed
            }
        } catch {
            throw Self.wrap(error, "prune")
        }
    }

    func stats() throws(TelemetryBufferError) -> TelemetryBufferStats {
        do {
            return try database.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT row_count, dropped FROM buffer_meta WHERE id = 1")
                let oldest = try Int64.fetchOne(db, sql: "SELECT created_at_ms FROM outbox ORDER BY id LIMIT 1")
                return TelemetryBufferStats(
                    depth: row?["row_count"] ?? 0, oldest: oldest.map(Timestamp.init(millisecondsSinceEpoch:)),
                    dropped: row?["dropped"] ?? 0)
            }
        } catch {
            throw Self.wrap(error, "stats")
        }
    }

    private static func dropOldest(_ db: Database, count: Int) throws {
        try db.execute(sql: "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)", arguments: [count])
        let removed = db.changesCount
        try db.execute(
            sql: "UPDATE buffer_meta SET row_count = row_count - ?, dropped = dropped + ? WHERE id = 1", arguments: [removed, removed])
    }

    private static func wrap(_ error: any Error, _ operation: String) -> TelemetryBufferError {
        if let error = error as? DatabaseError {
            let full = [ResultCode.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN].contains(error.resultCode)
            return TelemetryBufferError(operation: operation, reason: error.description, isStorageFull: full)
        }
        return TelemetryBufferError(operation: operation, reason: "\(error)", isStorageFull: false)
    }
}
