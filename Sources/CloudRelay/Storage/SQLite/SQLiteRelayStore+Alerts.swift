import BMSCore
import GRDB

extension SQLiteRelayStore {
    func upsertAlert(_ alert: Alert, code: String) throws(RelayStoreError) -> AlertUpsert {
        try writing("store alert '\(code)' of device '\(alert.deviceID)'") { db in
            let data = try Self.json(alert.data)
            let actions = try Self.json(alert.actions)
            guard let open = try Self.fetchUnresolvedAlert(db, deviceID: alert.deviceID, code: code) else {
                guard try Self.fetchAlert(db, id: alert.alertID) == nil else {
                    throw RelayStoreError.conflict("alert '\(alert.alertID)'")
                }
                try db.execute(
                    sql: """
                        INSERT INTO alert (alert_id, site_id, device_id, code, severity, category, title, message,
                            data, actions, raised_at_ms, updated_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        alert.alertID, alert.siteID, alert.deviceID, code, alert.severity.rawValue,
                        alert.category.rawValue, alert.title, alert.message, data, actions,
                        alert.timestamp.millisecondsSinceEpoch, alert.timestamp.millisecondsSinceEpoch,
                    ])
                return AlertUpsert(alert: try Self.requireAlert(db, id: alert.alertID), change: .raised)
            }
            let previous = open.alert.severity
            // A higher severity needs attention again: it clears the acknowledgement.
            let clearsAcknowledgement = alert.severity > previous
            try db.execute(
                sql: """
                    UPDATE alert SET severity = ?, category = ?, title = ?, message = ?, data = ?, actions = ?,
                        updated_at_ms = ?,
                        acknowledged_at_ms = CASE WHEN ? THEN NULL ELSE acknowledged_at_ms END,
                        acknowledged_by = CASE WHEN ? THEN NULL ELSE acknowledged_by END
                    WHERE alert_id = ?
                    """,
                arguments: [
                    alert.severity.rawValue, alert.category.rawValue, alert.title, alert.message, data, actions,
                    alert.timestamp.millisecondsSinceEpoch, clearsAcknowledgement, clearsAcknowledgement,
                    open.alert.alertID,
                ])
            let change: AlertChange = alert.severity == previous ? .updated : .severityChanged(from: previous)
            return AlertUpsert(alert: try Self.requireAlert(db, id: open.alert.alertID), change: change)
        }
    }

    func resolveAlert(deviceID: String, code: String, at time: Timestamp) throws(RelayStoreError) -> StoredAlert? {
        try writing("resolve alert '\(code)' of device '\(deviceID)'") { db in
            guard let open = try Self.fetchUnresolvedAlert(db, deviceID: deviceID, code: code) else { return nil }
            try db.execute(
                sql: "UPDATE alert SET resolved_at_ms = ?, updated_at_ms = ? WHERE alert_id = ?",
                arguments: [time.millisecondsSinceEpoch, time.millisecondsSinceEpoch, open.alert.alertID])
            return try Self.requireAlert(db, id: open.alert.alertID)
        }
    }

    func alert(id: String) throws(RelayStoreError) -> StoredAlert? {
        try reading("read alert '\(id)'") { db in try Self.fetchAlert(db, id: id) }
    }

    func alerts(_ filter: AlertFilter) throws(RelayStoreError) -> AlertPage {
        var conditions = SQLFilter()
        if let siteID = filter.siteID { conditions.add("site_id = ?", [siteID]) }
        if let deviceID = filter.deviceID { conditions.add("device_id = ?", [deviceID]) }
        if let severity = filter.severity { conditions.add("severity = ?", [severity.rawValue]) }
        switch filter.status {
        case .active?: conditions.add("resolved_at_ms IS NULL AND acknowledged_at_ms IS NULL")
        case .acknowledged?: conditions.add("resolved_at_ms IS NULL AND acknowledged_at_ms IS NOT NULL")
        case .resolved?: conditions.add("resolved_at_ms IS NOT NULL")
        case nil: break
        }
        if let allowedSites = filter.allowedSites { conditions.add("site_id", in: allowedSites) }
        return try reading("list alerts") { db in
            let total = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM alert \(conditions.clause)", arguments: conditions.statementArguments()) ?? 0
            let items = try Row.fetchAll(
                db, sql: "\(Self.alertSelect) \(conditions.clause) ORDER BY raised_at_ms DESC, alert_id LIMIT ?",
                arguments: conditions.statementArguments([max(0, filter.limit)])
            ).map(Self.storedAlert)
            return AlertPage(items: items, total: total)
        }
    }

    func acknowledgeAlert(id: String, by actor: String, at time: Timestamp) throws(RelayStoreError) -> StoredAlert {
        try writing("acknowledge alert '\(id)'") { db in
            guard let alert = try Self.fetchAlert(db, id: id) else { throw RelayStoreError.notFound("alert '\(id)'") }
            guard alert.acknowledgedAt == nil else { return alert }
            try db.execute(
                sql: "UPDATE alert SET acknowledged_at_ms = ?, acknowledged_by = ? WHERE alert_id = ?",
                arguments: [time.millisecondsSinceEpoch, actor, id])
            return try Self.requireAlert(db, id: id)
        }
    }

    func unresolvedAlerts() throws(RelayStoreError) -> [StoredAlert] {
        try reading("list unresolved alerts") { db in
            try Row.fetchAll(db.cachedStatement(sql: "\(Self.alertSelect) WHERE resolved_at_ms IS NULL ORDER BY raised_at_ms, alert_id"))
                .map(Self.storedAlert)
        }
    }

    func recordAlertAction(id: String, _ record: AlertActionRecord) throws(RelayStoreError) -> StoredAlert {
        try writing("record action '\(record.actionID)' on alert '\(id)'") { db in
            guard let alert = try Self.fetchAlert(db, id: id) else { throw RelayStoreError.notFound("alert '\(id)'") }
            // Acknowledging what is acknowledged changes nothing (two operators clicking at once record one).
            if record.actionID == "acknowledge", alert.acknowledgedAt != nil { return alert }
            let taken = try Self.json(alert.actionsTaken + [record])
            // Acting on an alert is seeing it: the first action acknowledges it too.
            try db.execute(
                sql: """
                    UPDATE alert SET actions_taken = ?,
                        acknowledged_by = CASE WHEN acknowledged_at_ms IS NULL THEN ? ELSE acknowledged_by END,
                        acknowledged_at_ms = COALESCE(acknowledged_at_ms, ?)
                    WHERE alert_id = ?
                    """,
                arguments: [taken, record.takenBy, record.takenAt.millisecondsSinceEpoch, id])
            return try Self.requireAlert(db, id: id)
        }
    }

    // MARK: - Rows

    private static let alertSelect = """
        SELECT alert_id, site_id, device_id, code, severity, category, title, message, data, actions,
            raised_at_ms, updated_at_ms, resolved_at_ms, acknowledged_at_ms, acknowledged_by, actions_taken
        FROM alert
        """

    private static func fetchAlert(_ db: Database, id: String) throws -> StoredAlert? {
        try Row.fetchOne(db.cachedStatement(sql: "\(alertSelect) WHERE alert_id = ?"), arguments: [id]).map(storedAlert)
    }

    /// The alert just written in this transaction.
    private static func requireAlert(_ db: Database, id: String) throws -> StoredAlert {
        guard let alert = try fetchAlert(db, id: id) else {
            throw RelayStoreError.storage("alert '\(id)' vanished inside its transaction")
        }
        return alert
    }

    private static func fetchUnresolvedAlert(_ db: Database, deviceID: String, code: String) throws -> StoredAlert? {
        try Row.fetchOne(
            db.cachedStatement(sql: "\(alertSelect) WHERE device_id = ? AND code = ? AND resolved_at_ms IS NULL"),
            arguments: [deviceID, code]
        ).map(storedAlert)
    }

    private static func storedAlert(_ row: Row) throws -> StoredAlert {
        let alert = Alert(
            timestamp: try timestamp(row, "raised_at_ms"), alertID: try row.decode(String.self, forColumn: "alert_id"),
            severity: try wireEnum(Severity.self, row, "severity"), category: try wireEnum(AlertCategory.self, row, "category"),
            siteID: try row.decode(String.self, forColumn: "site_id"),
            deviceID: try row.decode(String.self, forColumn: "device_id"),
            title: try row.decode(String.self, forColumn: "title"), message: try row.decode(String.self, forColumn: "message"),
            data: try decodeJSON(JSONObject.self, row, "data"), actions: try decodeJSON([AlertAction].self, row, "actions"))
        return StoredAlert(
            alert: alert, code: try row.decode(String.self, forColumn: "code"), updatedAt: try timestamp(row, "updated_at_ms"),
            resolvedAt: try optionalTimestamp(row, "resolved_at_ms"),
            acknowledgedAt: try optionalTimestamp(row, "acknowledged_at_ms"),
            acknowledgedBy: try row.decode(String?.self, forColumn: "acknowledged_by"),
            actionsTaken: try decodeJSON([AlertActionRecord].self, row, "actions_taken"))
    }
}
