import BMSCore
import GRDB

extension SQLiteRelayStore {
    func register(_ registration: DeviceRegistration, at time: Timestamp) throws(RelayStoreError) -> StoredDevice {
        try writing("register device '\(registration.deviceID)'") { db in
            guard try !Self.deviceExists(db, registration.deviceID) else {
                throw RelayStoreError.conflict("device '\(registration.deviceID)'")
            }
            try Self.insertDevice(db, registration, autoRegistered: false, at: time)
            return try Self.fetchDevice(db, registration.deviceID, "register")
        }
    }

    func recordDeviceStatus(_ message: DeviceStatusMessage, receivedAt: Timestamp) throws(RelayStoreError) -> Bool {
        let deviceID = message.descriptor.deviceID
        return try writing("record status of device '\(deviceID)'") { db in
            let isNew = try !Self.deviceExists(db, deviceID)
            if isNew { try Self.insertDevice(db, message.descriptor, autoRegistered: true, at: receivedAt) }
            // All right-hand sides read the row as it was: the status follows the newest message timestamp.
            try db.execute(
                sql: """
                    INSERT INTO device_state (device_id, reported_status, reported_status_at_ms, last_received_at_ms)
                    VALUES (?, ?, ?, ?)
                    ON CONFLICT (device_id) DO UPDATE SET
                        reported_status = CASE
                            WHEN reported_status_at_ms IS NULL OR excluded.reported_status_at_ms >= reported_status_at_ms
                            THEN excluded.reported_status ELSE reported_status END,
                        reported_status_at_ms = max(
                            coalesce(reported_status_at_ms, excluded.reported_status_at_ms), excluded.reported_status_at_ms),
                        last_received_at_ms = max(
                            coalesce(last_received_at_ms, excluded.last_received_at_ms), excluded.last_received_at_ms)
                    """,
                arguments: [
                    deviceID, message.status.rawValue, message.timestamp.millisecondsSinceEpoch,
                    receivedAt.millisecondsSinceEpoch,
                ])
            return isNew
        }
    }

    func device(id: String) throws(RelayStoreError) -> StoredDevice? {
        try reading("read device '\(id)'") { db in
            try Row.fetchOne(db.cachedStatement(sql: "\(Self.deviceSelect) WHERE d.device_id = ?"), arguments: [id]).map(Self.storedDevice)
        }
    }

    func devices(siteID: String?, allowedSites: [String]?, limit: Int, offset: Int) throws(RelayStoreError) -> DevicePage {
        var filter = SQLFilter()
        if let siteID { filter.add("d.site_id = ?", [siteID]) }
        if let allowedSites { filter.add("d.site_id", in: allowedSites) }
        return try reading("list devices") { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device d \(filter.clause)", arguments: filter.statementArguments()) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "\(Self.deviceSelect) \(filter.clause) ORDER BY d.device_id LIMIT ? OFFSET ?",
                arguments: filter.statementArguments([max(0, limit), max(0, offset)]))
            return DevicePage(items: try rows.map(Self.storedDevice), total: total)
        }
    }

    func update(id: String, patch: DevicePatch, at time: Timestamp) throws(RelayStoreError) -> StoredDevice {
        try writing("update device '\(id)'") { db in
            guard try Self.deviceExists(db, id) else { throw RelayStoreError.notFound("device '\(id)'") }
            var current = try Self.fetchDevice(db, id, "update")
            current.registration = patch.applied(to: current.registration)
            current.updatedAt = time
            try db.execute(
                sql: """
                    UPDATE device SET name = ?, specifications = ?, safety_constraints = ?, updated_at_ms = ?
                    WHERE device_id = ?
                    """,
                arguments: [
                    current.registration.name, try Self.json(current.registration.specifications),
                    try current.registration.safetyConstraints.map { try Self.json($0) }, time.millisecondsSinceEpoch, id,
                ])
            return current
        }
    }

    func delete(id: String) throws(RelayStoreError) -> Bool {
        try writing("delete device '\(id)'") { db in
            try db.execute(sql: "DELETE FROM device WHERE device_id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            let tables = ["device_state", "telemetry_raw", "command", "alert"] + Self.rollupResolutions.compactMap(Self.rollupTable)
            for table in tables {
                try db.execute(sql: "DELETE FROM \(table) WHERE device_id = ?", arguments: [id])
            }
            return true
        }
    }

    func deviceIDs(siteID: String?) throws(RelayStoreError) -> [String] {
        var filter = SQLFilter()
        if let siteID { filter.add("site_id = ?", [siteID]) }
        return try reading("list device ids") { db in
            try String.fetchAll(
                db, sql: "SELECT device_id FROM device \(filter.clause) ORDER BY device_id",
                arguments: filter.statementArguments())
        }
    }

    // MARK: - Rows

    /// A registration joined with its latest state and its site's agent status.
    static let deviceSelect = """
        SELECT d.device_id, d.site_id, d.name, d.chemistry, d.specifications, d.safety_constraints,
            d.auto_registered, d.created_at_ms, d.updated_at_ms,
            s.last_received_at_ms, s.telemetry_at_ms, s.sequence_number, s.voltage, s.current, s.power,
            s.temperature, s.soc, s.soh, s.operational_state, s.alarm_count, s.alarm_codes,
            s.reported_status, s.reported_status_at_ms, a.status AS agent_status
        FROM device d
        LEFT JOIN device_state s ON s.device_id = d.device_id
        LEFT JOIN agent_status a ON a.site_id = d.site_id
        """

    static func storedDevice(_ row: Row) throws -> StoredDevice {
        let registration = DeviceRegistration(
            deviceID: try row.decode(String.self, forColumn: "device_id"),
            siteID: try row.decode(String.self, forColumn: "site_id"),
            name: try row.decode(String.self, forColumn: "name"),
            chemistry: try wireEnum(Chemistry.self, row, "chemistry"),
            specifications: try decodeJSON(DeviceSpecifications.self, row, "specifications"),
            safetyConstraints: try decodeOptionalJSON(SafetyConstraints.self, row, "safety_constraints"))
        var state = DeviceLatestState()
        state.lastReceivedAt = try optionalTimestamp(row, "last_received_at_ms")
        state.telemetryAt = try optionalTimestamp(row, "telemetry_at_ms")
        state.sequenceNumber = try row.decode(Int64?.self, forColumn: "sequence_number").map { UInt64(bitPattern: $0) }
        state.voltage = try row.decode(Double?.self, forColumn: "voltage")
        state.current = try row.decode(Double?.self, forColumn: "current")
        state.power = try row.decode(Double?.self, forColumn: "power")
        state.temperature = try row.decode(Double?.self, forColumn: "temperature")
        state.soc = try row.decode(Double?.self, forColumn: "soc")
        state.soh = try row.decode(Double?.self, forColumn: "soh")
        state.operationalState = try optionalWireEnum(OperationalState.self, row, "operational_state")
        state.alarmCount = try row.decode(Int?.self, forColumn: "alarm_count") ?? 0
        state.alarmCodes = try decodeOptionalJSON([String].self, row, "alarm_codes") ?? []
        state.reportedStatus = try optionalWireEnum(DeviceStatus.self, row, "reported_status")
        state.reportedStatusAt = try optionalTimestamp(row, "reported_status_at_ms")
        state.agentStatus = try optionalWireEnum(AgentLinkStatus.self, row, "agent_status")
        return StoredDevice(
            registration: registration, createdAt: try timestamp(row, "created_at_ms"),
            updatedAt: try timestamp(row, "updated_at_ms"), isAutoRegistered: try row.decode(Bool.self, forColumn: "auto_registered"),
            state: state)
    }

    static func deviceExists(_ db: Database, _ id: String) throws -> Bool {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM device WHERE device_id = ?"), arguments: [id]) != nil
    }

    /// The device just written in this transaction.
    static func fetchDevice(_ db: Database, _ id: String, _ operation: String) throws -> StoredDevice {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "\(deviceSelect) WHERE d.device_id = ?"), arguments: [id]) else {
            throw RelayStoreError.storage("\(operation) device '\(id)': the row vanished inside its transaction")
        }
        return try storedDevice(row)
    }

    static func insertDevice(_ db: Database, _ registration: DeviceRegistration, autoRegistered: Bool, at time: Timestamp) throws {
        try db.execute(
            sql: """
                INSERT INTO device (device_id, site_id, name, chemistry, specifications, safety_constraints,
                    auto_registered, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                registration.deviceID, registration.siteID, registration.name, registration.chemistry.rawValue,
                try json(registration.specifications), try registration.safetyConstraints.map { try json($0) }, autoRegistered,
                time.millisecondsSinceEpoch, time.millisecondsSinceEpoch,
            ])
    }
}
