import ArgumentParser
import BMSCore
import Foundation
import Hummingbird
import Logging
import PulseMQTT
import ServiceLifecycle

/// `pulsebms-relay`: the cloud side of PulseBMS. `serve` is the default subcommand, so
/// `pulsebms-relay --port 8080 --mqtt mqtt://127.0.0.1:1883 --data-dir DIR` runs the relay.
@main
struct PulseBMSRelay: AsyncParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "pulsebms-relay",
        abstract: "PulseBMS cloud relay: ingests many sites' MQTT streams and serves the REST API.",
        version: version,
        subcommands: [ServeCommand.self, BenchIngestCommand.self, BenchQueryCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// `pulsebms-relay [serve]`: the relay itself.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "PulseBMS cloud relay: ingests many sites' MQTT streams and serves the REST API.",
        discussion: """
            Subscribes to every site's telemetry, status and command responses (optionally through an MQTT 5 \
            shared subscription, so several relays split the ingest), stores them in SQLite under the data \
            directory, serves the REST API of the spec under /api/v1 with bearer JWTs (EdDSA or ES256, keys by \
            kid from a JWKS file) or API keys, per-key rate limits, and forwards commands to the sites.

            Secrets come from the environment when set: PULSEBMS_RELAY_DEV_TOKEN, PULSEBMS_RELAY_MQTT_PASSWORD.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "HTTP port.")
    var port = 8080

    @Option(help: "The broker: mqtt://[user[:password]@]HOST[:PORT] or mqtts://…")
    var mqtt = "mqtt://127.0.0.1:1883"

    @Option(name: .customLong("data-dir"), help: "Where the SQLite database lives.")
    var dataDirectory = "./relay-data"

    @Option(name: .customLong("dev-token"), help: "Install this admin API key (pbk_…) for development; 'generate' makes one and prints it.")
    var devToken: String?

    @Option(help: "JWKS file with the public keys (Ed25519 or P-256, each with a kid) that sign bearer tokens.")
    var jwks: String?

    @Option(name: .customLong("jwt-issuer"), help: "Required iss claim of bearer tokens.")
    var issuer: String?

    @Option(name: .customLong("jwt-audience"), help: "Required aud claim of bearer tokens.")
    var audience: String?

    @Option(name: .customLong("mqtt-client-id"), help: "Stable MQTT client id (the broker keeps its session across restarts).")
    var clientID = "pulsebms-relay"

    @Option(name: .customLong("share-group"), help: "Subscribe through the MQTT 5 shared subscription $share/GROUP/… .")
    var shareGroup: String?

    @Option(name: .customLong("rate-limit"), help: "Requests per key per window.")
    var rateLimit = 1000

    @Option(name: .customLong("rate-window"), help: "Rate-limit window, seconds.")
    var rateWindowSeconds = 3600

    @Option(name: .customLong("offline-after"), help: "A device with no message for this many seconds shows offline.")
    var offlineAfterSeconds = 300

    @Option(name: .customLong("retention-days"), help: "Days kept per resolution: raw,minute,hour,day.")
    var retentionDays = "7,30,366,3653"

    func run() async throws {
        var logger = Logger(label: "pulsebms.relay")
        logger.logLevel = .info
        let broker: MQTTURL
        do {
            broker = try MQTTURL(mqtt)
        } catch {
            throw ValidationError("\(error)")
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteRelayStore(directory: dataDirectory)
        var keys: [String: VerificationKey] = [:]
        if let jwks {
            guard let data = FileManager.default.contents(atPath: jwks) else { throw ValidationError("--jwks: cannot read \(jwks)") }
            do {
                keys = try VerificationKey.keySet(jwksJSON: data)
            } catch {
                throw ValidationError("--jwks \(jwks): \(error)")
            }
        }
        if let token = ProcessInfo.processInfo.environment["PULSEBMS_RELAY_DEV_TOKEN"] ?? devToken {
            let key = token == "generate" ? APIKeyCodec.generate().key : token
            let id: String
            do {
                id = try APIKeyCodec.parse(key)
            } catch {
                throw ValidationError("--dev-token must look like pbk_<12 base62>_<43 base62>, or be 'generate'")
            }
            try store.insertAPIKey(
                id: id, hash: APIKeyCodec.hash(key), role: Role.admin.rawValue, sites: nil, createdAt: Timestamp(Date()),
                replacingExisting: true)
            FileHandle.standardError.write(Data("pulsebms-relay: development admin key: \(key)\n".utf8))
        }
        let metrics = RequestMetrics()
        let password = ProcessInfo.processInfo.environment["PULSEBMS_RELAY_MQTT_PASSWORD"] ?? broker.password
        let client = try MosquittoClient(
            options: MQTTClientOptions(
                host: broker.host, port: broker.port, clientID: clientID, keepAliveSeconds: 30, username: broker.username,
                password: password),
            logger: logger)
        let offlineAfter = Duration.seconds(offlineAfterSeconds)
        let ingest = IngestService(
            client: client, store: store, metrics: metrics, logger: logger, shareGroup: shareGroup, offlineAfter: offlineAfter)
        let application = PulseBMSRelay.application(
            store: store, commands: ingest, metrics: metrics,
            verifier: JWTVerifier(keys: keys, issuer: issuer, audience: audience),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: rateLimit, windowSeconds: rateWindowSeconds)),
            offlineAfter: offlineAfter, host: host, port: port, logger: logger)
        let days = retentionDays.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard days.count == 4, days.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--retention-days takes four positive whole numbers: raw,minute,hour,day")
        }
        let retention = RetentionPolicy(
            raw: .seconds(days[0] * 86_400), minute: .seconds(days[1] * 86_400), hour: .seconds(days[2] * 86_400),
            day: .seconds(days[3] * 86_400))
        let upkeep = UpkeepService(store: store, retention: retention, interval: .seconds(60), logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [ingest, upkeep, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardError.write(Data("pulsebms-relay: http://\(host):\(port)/api/v1, broker \(broker.host):\(broker.port), data in \(dataDirectory)\n".utf8))
        try await group.run()
    }

}

extension PulseBMSRelay {
    /// The HTTP application: the one middleware, then the API's routes.
    static func application(
        store: any RelayStore, commands: any CommandSender, metrics: RequestMetrics, verifier: JWTVerifier,
        limiter: RateLimiter, offlineAfter: Duration, host: String, port: Int, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: RelayContext.self)
        router.add(
            middleware: RelayMiddleware(
                authenticator: RelayAuthenticator(verifier: verifier, store: store), limiter: limiter, metrics: metrics,
                logger: logger))
        RelayAPI(
            store: store, commands: commands, metrics: metrics, startedAt: .now, offlineAfter: offlineAfter, version: version
        ).register(on: router)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "pulsebms-relay"),
            logger: logger)
    }
}
