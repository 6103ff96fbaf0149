import BMSCore
import GRDB

extension SQLiteRelayStore {
    func insertCommand(_ message: CommandMessage, deviceID: String, siteID: String) throws(RelayStoreError) -> StoredCommand {
        let timeout = Duration.seconds(max(0, message.command.timeoutSeconds)).saturatingMilliseconds
        let command = StoredCommand(
            message: message, deviceID: deviceID, siteID: siteID, status: .queued,
            statusMessage: "Command queued for delivery to the device", errors: nil, updatedAt: message.timestamp,
            timeoutAt: message.timestamp.addingSaturating(milliseconds: timeout))
        return try writing("store command '\(message.commandID)'") { db in
            guard try Self.fetchCommand(db, message.commandID) == nil else {
                throw RelayStoreError.conflict("command '\(message.commandID)'")
            }
            try db.execute(
                sql: """
                    INSERT INTO command (command_id, device_id, site_id, command_type, status, status_rank,
                        status_message, errors, message, created_at_ms, updated_at_ms, timeout_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)
                    """,
                arguments: [
                    command.commandID, deviceID, siteID, message.command.type.rawValue, command.status.rawValue,
                    command.status.lifecycleRank, command.statusMessage, try Self.json(message),
                    command.createdAt.millisecondsSinceEpoch, command.updatedAt.millisecondsSinceEpoch,
                    command.timeoutAt.millisecondsSinceEpoch,
                ])
            return command
        }
    }

    func updateCommandStatus(from response: CommandResponseMessage) throws(RelayStoreError) -> CommandUpdate {
        try writing("update command '\(response.commandID)'") { db in
            guard var command = try Self.fetchCommand(db, response.commandID), command.deviceID == response.deviceID else {
                throw RelayStoreError.notFound("command '\(response.commandID)' of device '\(response.deviceID)'")
            }
            guard response.status.lifecycleRank > command.status.lifecycleRank else {
                return CommandUpdate(command: command, advanced: false)
            }
            command.status = response.status
            command.statusMessage = response.message
            command.errors = response.errors
            command.updatedAt = response.timestamp
            try Self.saveStatus(of: command, db)
            return CommandUpdate(command: command, advanced: true)
        }
    }

    func command(id: String) throws(RelayStoreError) -> StoredCommand? {
        try reading("read command '\(id)'") { db in try Self.fetchCommand(db, id) }
    }

    func expireCommands(now: Timestamp) throws(RelayStoreError) -> [StoredCommand] {
        try writing("expire commands") { db in
            let rows = try Row.fetchAll(
                db,
                sql: "\(Self.commandSelect) WHERE status_rank < \(CommandStatus.finalRank) AND timeout_at_ms < ?",
                arguments: [now.millisecondsSinceEpoch])
            var expired: [StoredCommand] = []
            for row in rows {
                var command = try Self.storedCommand(row)
                command.status = .timeout
                command.statusMessage =
                    "No final response from the device within \(command.message.command.timeoutSeconds) s"
                command.updatedAt = now
                try Self.saveStatus(of: command, db)
                expired.append(command)
            }
            return expired
        }
    }

    // MARK: - Rows

    private static let commandSelect = """
        SELECT command_id, device_id, site_id, status, status_message, errors, message, updated_at_ms, timeout_at_ms
        FROM command
        """

    private static func fetchCommand(_ db: Database, _ id: String) throws -> StoredCommand? {
        try Row.fetchOne(db.cachedStatement(sql: "\(commandSelect) WHERE command_id = ?"), arguments: [id]).map(storedCommand)
    }

    private static func storedCommand(_ row: Row) throws -> StoredCommand {
        StoredCommand(
            message: try decodeJSON(CommandMessage.self, row, "message"),
            deviceID: try row.decode(String.self, forColumn: "device_id"),
            siteID: try row.decode(String.self, forColumn: "site_id"),
            status: try wireEnum(CommandStatus.self, row, "status"),
            statusMessage: try row.decode(String.self, forColumn: "status_message"),
            errors: try decodeOptionalJSON([FieldError].self, row, "errors"),
            updatedAt: try timestamp(row, "updated_at_ms"), timeoutAt: try timestamp(row, "timeout_at_ms"))
    }

    private static func saveStatus(of command: StoredCommand, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE command SET status = ?, status_rank = ?, status_message = ?, errors = ?, updated_at_ms = ?
                WHERE command_id = ?
                """,
            arguments: [
                command.status.rawValue, command.status.lifecycleRank, command.statusMessage,
                try command.errors.map { try json($0) }, command.updatedAt.millisecondsSinceEpoch, command.commandID,
            ])
    }
}
