import BMSCore
import GRDB

extension SQLiteRelayStore {
    /// Named, forward-only migrations. A released migration is never edited: a change is a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: schemaV1)
        }
        // The operator actions taken on an alert, a JSON array of `AlertActionRecord`.
        migrator.registerMigration("alert-actions") { db in
            try db.execute(sql: "ALTER TABLE alert ADD COLUMN actions_taken TEXT NOT NULL DEFAULT '[]'")
            // The fleet summary counts a site's open alerts.
            try db.execute(sql: "CREATE INDEX alert_open_by_site ON alert (site_id) WHERE resolved_at_ms IS NULL")
        }
        // Each site's newest power allocation (see SQLiteRelayStore+Allocations.swift).
        migrator.registerMigration("site-allocation") { db in
            try db.execute(sql: siteAllocationSchema)
        }
        return migrator
    }

    /// The rollup table of a resolution; `nil` for raw.
    static func rollupTable(_ resolution: TelemetryResolution) -> String? {
        switch resolution {
        case .raw: nil
        case .minute: "telemetry_minute"
        case .hour: "telemetry_hour"
        case .day: "telemetry_day"
        }
    }

    static let rollupResolutions: [TelemetryResolution] = [.minute, .hour, .day]

    /// Per metric: sample count, sum, sum of squares, min and max; min/max are NULL until the first sample.
    private static var rollupColumns: String {
        TelemetryMetric.allCases.map { metric in
            let name = metric.rawValue
            return """
                \(name)_n INTEGER NOT NULL DEFAULT 0 CHECK (\(name)_n >= 0),
                    \(name)_sum REAL NOT NULL DEFAULT 0,
                    \(name)_sumsq REAL NOT NULL DEFAULT 0 CHECK (\(name)_sumsq >= 0),
                    \(name)_min REAL,
                    \(name)_max REAL
                """
        }.joined(separator: ",\n    ")
    }

    private static func rollupTableSQL(_ table: String) -> String {
        """
        CREATE TABLE \(table) (
            device_id TEXT NOT NULL,
            bucket_start_ms INTEGER NOT NULL,
            \(rollupColumns),
            PRIMARY KEY (device_id, bucket_start_ms)
        ) WITHOUT ROWID;
        """
    }

    private static var schemaV1: String {
        """
        CREATE TABLE device (
            device_id TEXT PRIMARY KEY NOT NULL CHECK (device_id <> ''),
            site_id TEXT NOT NULL CHECK (site_id <> ''),
            name TEXT NOT NULL,
            chemistry TEXT NOT NULL CHECK (chemistry IN ('LFP', 'NMC', 'LCO', 'NCA')),
            specifications TEXT NOT NULL,
            safety_constraints TEXT,
            auto_registered INTEGER NOT NULL CHECK (auto_registered IN (0, 1)),
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        );
        CREATE INDEX device_by_site ON device (site_id, device_id);

        -- One row per pack heard from, registered or not: no foreign key, so nothing is refused.
        CREATE TABLE device_state (
            device_id TEXT PRIMARY KEY NOT NULL,
            last_received_at_ms INTEGER,
            telemetry_at_ms INTEGER,
            sequence_number INTEGER,
            voltage REAL,
            current REAL,
            power REAL,
            temperature REAL,
            soc REAL,
            soh REAL,
            operational_state TEXT,
            alarm_count INTEGER NOT NULL DEFAULT 0,
            alarm_codes TEXT NOT NULL DEFAULT '[]',
            reported_status TEXT CHECK (reported_status IN ('online', 'offline', 'error', 'maintenance')),
            reported_status_at_ms INTEGER
        );

        CREATE TABLE telemetry_raw (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            sequence_number INTEGER NOT NULL,
            site_id TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            voltage REAL NOT NULL,
            current REAL NOT NULL,
            power REAL,
            temperature REAL,
            soc REAL,
            soh REAL,
            message TEXT NOT NULL,
            UNIQUE (device_id, sequence_number)
        );
        CREATE INDEX telemetry_raw_by_time ON telemetry_raw (device_id, timestamp_ms);

        \(rollupTableSQL("telemetry_minute"))
        \(rollupTableSQL("telemetry_hour"))
        \(rollupTableSQL("telemetry_day"))

        CREATE TABLE command (
            command_id TEXT PRIMARY KEY NOT NULL,
            device_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            command_type TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'acknowledged', 'executing', 'completed', 'failed', 'timeout')),
            status_rank INTEGER NOT NULL CHECK (status_rank BETWEEN 0 AND \(CommandStatus.finalRank)),
            status_message TEXT NOT NULL,
            errors TEXT,
            message TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            timeout_at_ms INTEGER NOT NULL
        );
        CREATE INDEX command_unfinished ON command (timeout_at_ms) WHERE status_rank < \(CommandStatus.finalRank);

        CREATE TABLE alert (
            alert_id TEXT PRIMARY KEY NOT NULL,
            site_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            code TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'alarm', 'critical')),
            category TEXT NOT NULL,
            title TEXT NOT NULL,
            message TEXT NOT NULL,
            data TEXT NOT NULL,
            actions TEXT NOT NULL,
            raised_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            resolved_at_ms INTEGER,
            acknowledged_at_ms INTEGER,
            acknowledged_by TEXT
        );
        -- At most one unresolved alert per device and alarm code.
        CREATE UNIQUE INDEX alert_unresolved ON alert (device_id, code) WHERE resolved_at_ms IS NULL;
        CREATE INDEX alert_by_raise ON alert (raised_at_ms);

        CREATE TABLE api_key (
            key_id TEXT PRIMARY KEY NOT NULL,
            secret_hash BLOB NOT NULL CHECK (length(secret_hash) > 0),
            role TEXT NOT NULL,
            sites TEXT,
            created_at_ms INTEGER NOT NULL,
            revoked_at_ms INTEGER
        );
        CREATE UNIQUE INDEX api_key_live_hash ON api_key (secret_hash) WHERE revoked_at_ms IS NULL;

        CREATE TABLE agent_status (
            site_id TEXT PRIMARY KEY NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('online', 'offline')),
            message TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            received_at_ms INTEGER NOT NULL
        );
        """
    }
}
