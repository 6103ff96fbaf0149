import BMSCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TestSupport

@testable import CloudRelay

/// Records the commands and power allocations the API sends down, standing in for the MQTT link in HTTP-level
/// tests (the MQTT path is covered against a real broker in the integration tests).
final class RecordingCommandSender: CommandSender {
    let sent = Mutex<[(CommandMessage, String, String)]>([])
    /// Each allocation sent, with the site it was sent to.
    let allocations = Mutex<[(PowerAllocationMessage, String)]>([])
    let connected = Mutex(true)
    let failing = Mutex(false)

    func send(_ message: CommandMessage, siteID: String, deviceID: String) async throws {
        if failing.withLock({ $0 }) { throw CANRelayTestError.notConnected }
        sent.withLock { $0.append((message, siteID, deviceID)) }
    }

    func send(_ allocation: PowerAllocationMessage, siteID: String) async throws {
        if failing.withLock({ $0 }) { throw CANRelayTestError.notConnected }
        allocations.withLock { $0.append((allocation, siteID)) }
    }

    var isConnected: Bool { connected.withLock { $0 } }
}

enum CANRelayTestError: Error { case notConnected }

/// A relay application over a real SQLite store in a temporary directory, with tokens signed by the
/// fixture keys and an admin API key.
struct APIFixture {
    let fixture: StoreFixture
    let commands = RecordingCommandSender()
    let metrics = RequestMetrics()
    let adminKey: GeneratedAPIKey
    let rateLimit: Int

    var store: SQLiteRelayStore { fixture.store }

    init(rateLimit: Int = 10_000) throws {
        fixture = try StoreFixture()
        adminKey = APIKeyCodec.generate()
        self.rateLimit = rateLimit
        try fixture.store.insertAPIKey(
            id: adminKey.id, hash: adminKey.hash, role: "admin", sites: nil, createdAt: Timestamp(Date()), replacingExisting: false)
    }

    func application() throws -> some ApplicationProtocol {
        PulseBMSRelay.application(
            store: store, commands: commands, metrics: metrics, verifier: try AuthFixtures.verifier(),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: rateLimit, windowSeconds: 3600)), offlineAfter: .seconds(300),
            host: "127.0.0.1", port: 0, logger: .init(label: "test"))
    }

    /// A bearer token valid now (the fixture's clock is in 2024; requests are checked against the real one).
    static func token(role: String, sites: [String]? = nil, expiresIn seconds: Double = 3600, es256: Bool = false) throws -> String {
        let now = Date().timeIntervalSince1970
        var claims: [String: JSONValue] = [
            "sub": .string("user-\(role)"), "role": .string(role), "iat": .number(now.rounded(.down) - 10),
            "exp": .number(now.rounded(.down) + seconds),
        ]
        if let sites { claims["sites"] = .array(sites.map { .string($0) }) }
        return es256 ? try TokenBuilder.es256(claims) : try TokenBuilder.ed25519(claims)
    }

    static func headers(_ token: String?) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let token { fields[.authorization] = "Bearer \(token)" }
        return fields
    }

    func remove() { fixture.remove() }
}

extension TestResponse {
    /// The body as a JSON tree.
    var json: JSONValue? { try? WireCoding.decodeTree(from: Array(body.readableBytesView)) }
}

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

let deviceBody = """
    {"device_id": "pack_001", "site_id": "site_001", "name": "Rack 1", "chemistry": "LFP",
     "specifications": {"nominal_capacity": 280, "nominal_voltage": 51.2, "series_cells": 16, "parallel_cells": 1}}
    """
