import BMSCore
import Foundation
import GRDB

/// The relay's embedded store: one SQLite file, `relay.sqlite`, in the data directory (see README.md).
///
/// A GRDB `DatabasePool`: WAL, one writer, concurrent readers; `synchronous = NORMAL` on every connection.
/// Each operation is one transaction, so a failure (a full disk included) leaves nothing of it behind.
final class SQLiteRelayStore: RelayStore {
    static let fileName = "relay.sqlite"
    static let defaultMaximumPoints = 10_000

    /// The database file.
    let path: String
    /// Most points one telemetry query may return.
    let maximumPoints: Int
    /// Internal rather than private so that tests can reach SQLite itself (e.g. `PRAGMA max_page_count`).
    let database: DatabasePool

    /// Opens (or creates) `directory/relay.sqlite`, creating the directory if needed, and migrates it.
    init(directory: String, maximumPoints: Int = SQLiteRelayStore.defaultMaximumPoints) throws(RelayStoreError) {
        let filePath = URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(SQLiteRelayStore.fileName).path
        var configuration = Configuration()
        // Another process (an operator's sqlite3 shell) may hold a lock for a moment.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Per connection and outside any transaction. With WAL, a power cut may lose the last commits,
            // never the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let pool = try DatabasePool(path: filePath, configuration: configuration)
            try SQLiteRelayStore.migrator.migrate(pool)
            database = pool
        } catch {
            throw SQLiteRelayStore.storeError(error, "open \(filePath)")
        }
        path = filePath
        self.maximumPoints = max(1, maximumPoints)
    }

    func ping() throws(RelayStoreError) {
        _ = try reading("ping") { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT 1")) }
    }

    // MARK: - Transactions

    /// Runs `body` in a write transaction; any error rolls it back and becomes a `RelayStoreError`.
    func writing<T>(_ operation: String, _ body: (Database) throws -> T) throws(RelayStoreError) -> T {
        do {
            return try database.write(body)
        } catch {
            throw Self.storeError(error, operation)
        }
    }

    /// Runs `body` on a reader, in a snapshot that concurrent writes do not change.
    func reading<T>(_ operation: String, _ body: (Database) throws -> T) throws(RelayStoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.storeError(error, operation)
        }
    }

    static func storeError(_ error: any Error, _ operation: String) -> RelayStoreError {
        switch error {
        case let error as RelayStoreError:
            return error
        case let error as DatabaseError where error.resultCode == .SQLITE_FULL:
            return .storageFull(operation: operation)
        case let error as DatabaseError:
            // Not `description`: it carries the SQL, which is noise in a log line and an API answer.
            return .storage(
                "\(operation) failed: SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "no message")")
        default:
            return .storage("\(operation) failed: \(error)")
        }
    }

    // MARK: - Column helpers

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try WireCoding.encode(value), as: UTF8.self)
    }

    static func decodeJSON<Value: Decodable>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value {
        let text = try row.decode(String.self, forColumn: column)
        do {
            return try WireCoding.decode(type, from: Array(text.utf8))
        } catch {
            throw RelayStoreError.storage("stored \(column) is unreadable: \(error)")
        }
    }

    static func decodeOptionalJSON<Value: Decodable>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value? {
        guard try row.decode(String?.self, forColumn: column) != nil else { return nil }
        return try decodeJSON(type, row, column)
    }

    static func wireEnum<Value: WireEnum>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value {
        guard let value = try optionalWireEnum(type, row, column) else {
            throw RelayStoreError.storage("stored \(column) is missing")
        }
        return value
    }

    static func optionalWireEnum<Value: WireEnum>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value? {
        guard let raw = try row.decode(String?.self, forColumn: column) else { return nil }
        guard let value = Value(rawValue: raw) else {
            throw RelayStoreError.storage("stored \(column) '\(raw)' is not one of: \(Value.acceptedValues)")
        }
        return value
    }

    static func timestamp(_ row: Row, _ column: String) throws -> Timestamp {
        Timestamp(millisecondsSinceEpoch: try row.decode(Int64.self, forColumn: column))
    }

    static func optionalTimestamp(_ row: Row, _ column: String) throws -> Timestamp? {
        try row.decode(Int64?.self, forColumn: column).map(Timestamp.init(millisecondsSinceEpoch:))
    }
}
