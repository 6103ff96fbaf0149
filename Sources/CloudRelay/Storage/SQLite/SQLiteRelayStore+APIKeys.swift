import BMSCore
import Foundation
import GRDB

extension SQLiteRelayStore {
    func insertAPIKey(
        id: String, hash: [UInt8], role: String, sites: [String]?, createdAt: Timestamp, replacingExisting: Bool
    ) throws(RelayStoreError) {
        try writing("store API key '\(id)'") { db in
            let live = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT key_id FROM api_key WHERE secret_hash = ? AND revoked_at_ms IS NULL"), arguments: [Data(hash)])
            if let live, try live.decode(String.self, forColumn: "key_id") != id {
                throw RelayStoreError.conflict("an API key with this secret")
            }
            if !replacingExisting, try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM api_key WHERE key_id = ?"), arguments: [id]) != nil {
                throw RelayStoreError.conflict("API key '\(id)'")
            }
            try db.execute(
                sql: """
                    INSERT INTO api_key (key_id, secret_hash, role, sites, created_at_ms, revoked_at_ms)
                    VALUES (?, ?, ?, ?, ?, NULL)
                    ON CONFLICT (key_id) DO UPDATE SET secret_hash = excluded.secret_hash, role = excluded.role,
                        sites = excluded.sites, created_at_ms = excluded.created_at_ms, revoked_at_ms = NULL
                    """,
                arguments: [id, Data(hash), role, try sites.map { try Self.json($0) }, createdAt.millisecondsSinceEpoch])
        }
    }

    func apiKey(hash: [UInt8]) throws(RelayStoreError) -> StoredAPIKey? {
        try reading("look up API key") { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT key_id, role, sites, created_at_ms FROM api_key
                    WHERE secret_hash = ? AND revoked_at_ms IS NULL
                    """,
                arguments: [Data(hash)])
            else { return nil }
            return StoredAPIKey(
                id: try row.decode(String.self, forColumn: "key_id"), role: try row.decode(String.self, forColumn: "role"),
                sites: try Self.decodeOptionalJSON([String].self, row, "sites"),
                createdAt: try Self.timestamp(row, "created_at_ms"))
        }
    }

    func revokeAPIKey(id: String, at time: Timestamp) throws(RelayStoreError) -> Bool {
        try writing("revoke API key '\(id)'") { db in
            try db.execute(
                sql: "UPDATE api_key SET revoked_at_ms = ? WHERE key_id = ? AND revoked_at_ms IS NULL",
                arguments: [time.millisecondsSinceEpoch, id])
            return db.changesCount > 0
        }
    }
}
