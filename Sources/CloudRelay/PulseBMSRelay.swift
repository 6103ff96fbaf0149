import ArgumentParser
import BMSCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
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
        subcommands: [ServeCommand.self, BenchIngestCommand.self, BenchQueryCommand.self, BenchWebSocketCommand.self],
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

    @Option(help: "Configuration file (YAML, snake_case keys as the flags: host, port, mqtt, data_dir, jwks, …).")
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "HTTP port (default 8080).")
    var port: Int?

    @Option(help: "The broker: mqtt://[user[:password]@]HOST[:PORT] or mqtts://… (default mqtt://127.0.0.1:1883).")
    var mqtt: String?

    @Option(name: .customLong("mqtt-ca"), help: "With mqtts://: the CA file that signed the broker's certificate (default \(RelaySettings.systemCABundle)).")
    var mqttCA: String?

    @Option(name: .customLong("mqtt-cert"), help: "With mqtts://: the relay's client certificate (PEM), for a broker that asks for one.")
    var mqttCertificate: String?

    @Option(name: .customLong("mqtt-key"), help: "With mqtts://: the key of --mqtt-cert (PEM).")
    var mqttKey: String?

    @Option(name: .customLong("data-dir"), help: "Where the SQLite database lives (default ./relay-data).")
    var dataDirectory: String?

    @Option(name: .customLong("dev-token"), help: "Install this admin API key (pbk_…) for development; 'generate' makes one and prints it.")
    var devToken: String?

    @Option(help: "JWKS file with the public keys (Ed25519 or P-256, each with a kid) that sign bearer tokens.")
    var jwks: String?

    @Option(name: .customLong("jwt-issuer"), help: "Required iss claim of bearer tokens.")
    var issuer: String?

    @Option(name: .customLong("jwt-audience"), help: "Required aud claim of bearer tokens.")
    var audience: String?

    @Option(name: .customLong("mqtt-client-id"), help: "Stable MQTT client id; the broker keeps its session across restarts (default pulsebms-relay).")
    var clientID: String?

    @Option(name: .customLong("share-group"), help: "Subscribe through the MQTT 5 shared subscription $share/GROUP/… .")
    var shareGroup: String?

    @Option(name: .customLong("rate-limit"), help: "Requests per key per window (default 1000).")
    var rateLimit: Int?

    @Option(name: .customLong("rate-window"), help: "Rate-limit window, seconds (default 3600).")
    var rateWindowSeconds: Int?

    @Option(name: .customLong("offline-after"), help: "A device with no message for this many seconds shows offline (default 300).")
    var offlineAfterSeconds: Int?

    @Option(name: .customLong("retention-days"), help: "Days kept per resolution: raw,minute,hour,day (default 7,30,366,3653).")
    var retentionDays: String?

    /// Defaults, then the file, then secrets from the environment, then the flags.
    func settings(environment: [String: String]) throws -> RelaySettings {
        var settings = RelaySettings()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("--config: cannot read \(config)") }
            do {
                try settings.apply(yaml: String(decoding: data, as: UTF8.self))
            } catch {
                throw ValidationError("\(config): " + error.fieldErrors.map { "\($0.field.isEmpty ? "<file>" : $0.field): \($0.message)" }.joined(separator: "; "))
            }
        }
        settings.apply(environment: environment)
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let mqtt { settings.mqtt = mqtt }
        if let mqttCA { settings.mqttCA = mqttCA }
        if let mqttCertificate { settings.mqttCertificate = mqttCertificate }
        if let mqttKey { settings.mqttKey = mqttKey }
        if let dataDirectory { settings.dataDirectory = dataDirectory }
        if let devToken { settings.devToken = devToken }
        if let jwks { settings.jwks = jwks }
        if let issuer { settings.issuer = issuer }
        if let audience { settings.audience = audience }
        if let clientID { settings.clientID = clientID }
        if let shareGroup { settings.shareGroup = shareGroup }
        if let rateLimit { settings.rateLimit = rateLimit }
        if let rateWindowSeconds { settings.rateWindowSeconds = rateWindowSeconds }
        if let offlineAfterSeconds { settings.offlineAfterSeconds = offlineAfterSeconds }
        if let retentionDays {
            let days = retentionDays.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard days.count == 4, days.allSatisfy({ (1...36_500).contains($0) }) else {
                throw ValidationError("--retention-days takes four positive whole numbers: raw,minute,hour,day")
            }
            settings.retentionDays = days
        }
        guard (1...65535).contains(settings.port), (1...1_000_000_000).contains(settings.rateLimit),
            (1...86_400).contains(settings.rateWindowSeconds), (1...31_536_000).contains(settings.offlineAfterSeconds)
        else {
            throw ValidationError("port must be 1–65535, rate limit 1–10⁹, rate window 1–86400 s, offline-after 1–31536000 s")
        }
        return settings
    }

    func run() async throws {
        // A write to a peer that went away fails with EPIPE instead of ending the relay.
        signal(SIGPIPE, SIG_IGN)
        var logger = Logger(label: "pulsebms.relay")
        logger.logLevel = .info
        let settings = try settings(environment: ProcessInfo.processInfo.environment)
        let broker: MQTTURL
        let tls: MQTTTLSOptions?
        do {
            broker = try MQTTURL(settings.mqtt)
            tls = try settings.mqttTLS(for: broker)
        } catch {
            throw ValidationError("\(error)")
        }
        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteRelayStore(directory: settings.dataDirectory)
        var keys: [String: VerificationKey] = [:]
        if let jwks = settings.jwks {
            guard let data = FileManager.default.contents(atPath: jwks) else { throw ValidationError("--jwks: cannot read \(jwks)") }
            do {
                keys = try VerificationKey.keySet(jwksJSON: data)
            } catch {
                throw ValidationError("--jwks \(jwks): \(error)")
            }
        }
        if let token = settings.devToken {
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
        let client = try MosquittoClient(
            options: MQTTClientOptions(
                host: broker.host, port: broker.port, clientID: settings.clientID, keepAliveSeconds: 30,
                username: broker.username, password: settings.mqttPassword ?? broker.password, tls: tls,
                incomingBufferLimit: IngestService.clientBufferLimit),
            logger: logger)
        let offlineAfter = Duration.seconds(settings.offlineAfterSeconds)
        let hub = LiveHub()
        let ingest = IngestService(
            client: client, store: store, metrics: metrics, logger: logger, shareGroup: settings.shareGroup, offlineAfter: offlineAfter,
            hub: hub)
        let application = PulseBMSRelay.application(
            store: store, commands: ingest, metrics: metrics,
            verifier: JWTVerifier(keys: keys, issuer: settings.issuer, audience: settings.audience),
            limiter: RateLimiter(policy: RateLimitPolicy(limit: settings.rateLimit, windowSeconds: settings.rateWindowSeconds)),
            offlineAfter: offlineAfter, host: settings.host, port: settings.port, logger: logger, hub: hub)
        let upkeep = UpkeepService(store: store, retention: settings.retention, interval: .seconds(60), logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [ingest, upkeep, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardError.write(Data(
            "pulsebms-relay: http://\(settings.host):\(settings.port)/api/v1, broker \(broker.useTLS ? "mqtts" : "mqtt")://\(broker.host):\(broker.port), data in \(settings.dataDirectory)\n".utf8))
        try await group.run()
    }
}

extension PulseBMSRelay {
    /// The HTTP application: the one middleware, then the API's routes.
    static func application(
        store: any RelayStore, commands: any CommandSender, metrics: RequestMetrics, verifier: JWTVerifier,
        limiter: RateLimiter, offlineAfter: Duration, host: String, port: Int, logger: Logger, hub: LiveHub = LiveHub()
    ) -> some ApplicationProtocol {
        let router = Router(context: RelayContext.self)
        let authenticator = RelayAuthenticator(verifier: verifier, store: store)
        router.add(middleware: RelayMiddleware(authenticator: authenticator, limiter: limiter, metrics: metrics, logger: logger))
        let api = RelayAPI(
            store: store, commands: commands, metrics: metrics, startedAt: .now, offlineAfter: offlineAfter, version: version,
            hub: hub)
        api.register(on: router)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                configuration: .init(http1: .init(additionalChannelHandlers: [HTTP10ConnectionClose.Installer()]))
            ) { request, channel, logger in
                await LiveSocket.shouldUpgrade(
                    request, channel: channel, hub: hub, authenticator: authenticator,
                    alertActions: { action, authorization, apiKey in
                        let principal = try await authenticator.authenticate(authorization: authorization, apiKey: apiKey)
                        let decision = limiter.check(principal, now: Timestamp(Date()))
                        guard decision.isAllowed else { throw APIError.rateLimited(decision) }
                        return try await api.performAlertAction(action, by: principal).current
                    },
                    logger: logger)
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "pulsebms-relay"),
            logger: logger)
    }
}
