import BMSCore
import Foundation
import GRDB

/// Commands seen by the agent, kept across restarts so that a redelivered command (MQTT is at-least-once)
/// is answered again rather than executed twice; the runtime parameters `update_parameters` set; and the
/// power allocation in force, so a restart resumes it until it ends.
final class CommandStore: Sendable {
    private let database: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        database = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 commands and parameters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE commands (
                        command_id TEXT PRIMARY KEY,
                        device_id TEXT NOT NULL,
                        status TEXT NOT NULL,
                        last_response BLOB,
                        received_at_ms INTEGER NOT NULL
                    );
                    CREATE TABLE runtime_parameters (
                        device_id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (device_id, name)
                    );
                    """)
        }
        migrator.registerMigration("v2 allocation in force") { db in
            // One row at most: the power allocation applied last and when it ends, so a restart resumes it.
            try db.execute(
                sql: """
                    CREATE TABLE allocation_in_force (
                        slot INTEGER PRIMARY KEY CHECK (slot = 1),
                        message BLOB NOT NULL,
                        saved_at_ms INTEGER NOT NULL,
                        expires_at_ms INTEGER NOT NULL
                    );
                    """)
        }
        try migrator.migrate(database)
    }

    /// An allocation kept for a restart: the message, when it was applied (by this gateway's clock) and when
    /// it ends.
    struct KeptAllocation: Sendable, Equatable {
        var allocation: PowerAllocationMessage
        var savedAt: Timestamp
        var expiresAt: Timestamp
    }

    /// Keeps `allocation`, applied at `savedAt`, as the one in force until `expiresAt`, replacing any other.
    func saveAllocation(_ allocation: PowerAllocationMessage, savedAt: Timestamp, expiresAt: Timestamp) throws {
        let message = try WireCoding.encode(allocation)
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO allocation_in_force (slot, message, saved_at_ms, expires_at_ms) VALUES (1, ?, ?, ?)
                    ON CONFLICT(slot) DO UPDATE SET
                        message = excluded.message, saved_at_ms = excluded.saved_at_ms, expires_at_ms = excluded.expires_at_ms
                    """,
                arguments: [message, savedAt.millisecondsSinceEpoch, expiresAt.millisecondsSinceEpoch])
        }
    }

    /// The allocation kept by `saveAllocation`, if any.
    func allocationInForce() throws -> KeptAllocation? {
        let row = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT message, saved_at_ms, expires_at_ms FROM allocation_in_force WHERE slot = 1")
        }
        guard let row, let message: Data = row["message"], let savedAt: Int64 = row["saved_at_ms"], let expiresAt: Int64 = row["expires_at_ms"]
        else { return nil }
        return KeptAllocation(
            allocation: try WireCoding.decode(PowerAllocationMessage.self, from: message),
            savedAt: Timestamp(millisecondsSinceEpoch: savedAt), expiresAt: Timestamp(millisecondsSinceEpoch: expiresAt))
    }

    /// Forgets the allocation in force (it ended).
    func clearAllocation() throws {
        try database.write { db in try db.execute(sql: "DELETE FROM allocation_in_force") }
    }

    /// Records a command; `false` if this id was seen before (nothing is changed then).
    func claim(commandID: String, deviceID: String, at time: Timestamp) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO commands (command_id, device_id, status, received_at_ms) VALUES (?, ?, 'queued', ?)",
                arguments: [commandID, deviceID, time.millisecondsSinceEpoch])
            return db.changesCount == 1
        }
    }

    func update(commandID: String, response: CommandResponseMessage) throws {
        let payload = try WireCoding.encode(response)
        try database.write { db in
            try db.execute(
                sql: "UPDATE commands SET status = ?, last_response = ? WHERE command_id = ?",
                arguments: [response.status.rawValue, payload, commandID])
        }
    }

    /// The last response published for a command, if any.
    func lastResponse(commandID: String) throws -> CommandResponseMessage? {
        let data = try database.read { db in
            try Data.fetchOne(db, sql: "SELECT last_response FROM commands WHERE command_id = ?", arguments: [commandID])
        }
        return try data.map { try WireCoding.decode(CommandResponseMessage.self, from: $0) }
    }

    /// Sets several runtime parameters of one pack in one transaction: all of them or none.
    func setParameters(_ values: [(name: String, value: String)], deviceID: String) throws {
        try database.write { db in try Self.save(values, deviceID: deviceID, in: db) }
    }

    /// Sets runtime parameters of one pack in one transaction, computed from what the pack has stored when the
    /// transaction starts (name → text), and returns what was saved. A value that depends on a stored one (a
    /// limit that may only go down) then cannot race another command on the same pack.
    func setParameters(
        deviceID: String, computing values: ([String: String]) -> [(name: String, value: String)]
    ) throws -> [(name: String, value: String)] {
        try database.write { db in
            var stored: [String: String] = [:]
            let rows = try Row.fetchAll(db, sql: "SELECT name, value FROM runtime_parameters WHERE device_id = ?", arguments: [deviceID])
            for row in rows {
                let name: String? = row["name"]
                let value: String? = row["value"]
                if let name, let value { stored[name] = value }
            }
            let saved = values(stored)
            try Self.save(saved, deviceID: deviceID, in: db)
            return saved
        }
    }

    private static func save(_ values: [(name: String, value: String)], deviceID: String, in db: Database) throws {
        for (name, value) in values {
            try db.execute(
                sql: "INSERT INTO runtime_parameters (device_id, name, value) VALUES (?, ?, ?) ON CONFLICT(device_id, name) DO UPDATE SET value = excluded.value",
                arguments: [deviceID, name, value])
        }
    }

    func parameter(_ name: String, deviceID: String) throws -> String? {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM runtime_parameters WHERE device_id = ? AND name = ?", arguments: [deviceID, name])
        }
    }

    /// The operator's power limit on a pack (`power_limit_percent` / 100) for `SetpointClamp`, or `nil` when
    /// none was ever set.
    func powerLimitFraction(deviceID: String) throws -> Double? {
        try parameter(RuntimeParameter.powerLimitPercent.rawValue, deviceID: deviceID).map(RuntimeParameter.powerLimitFraction(storedText:))
    }

    /// Whether a pack is in maintenance (`maintenance_mode`); `false` when it was never set.
    func maintenanceMode(deviceID: String) throws -> Bool {
        try parameter(RuntimeParameter.maintenanceMode.rawValue, deviceID: deviceID).map(RuntimeParameter.maintenance(storedText:)) ?? false
    }
}
