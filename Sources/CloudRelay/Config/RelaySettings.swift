import BMSCore
import Foundation
import PulseMQTT
import Yams

/// Everything the relay runs with. Each setting comes from, in rising order of precedence: its default, the
/// configuration file (`--config`, YAML, snake_case keys), the environment (secrets only:
/// `PULSEBMS_RELAY_MQTT_PASSWORD`, `PULSEBMS_RELAY_DEV_TOKEN`), and the command line.
struct RelaySettings: Sendable, Equatable {
    var host = "127.0.0.1"
    var port = 8080
    var mqtt = "mqtt://127.0.0.1:1883"
    var mqttPassword: String?
    /// TLS to an `mqtts://` broker: the CA that signed its certificate (default: the system's bundle), and the
    /// relay's own certificate and key when the broker asks for one.
    var mqttCA: String?
    var mqttCertificate: String?
    var mqttKey: String?
    var dataDirectory = "./relay-data"
    var devToken: String?
    var jwks: String?
    var issuer: String?
    var audience: String?
    var clientID = "pulsebms-relay"
    var shareGroup: String?
    var rateLimit = 1000
    var rateWindowSeconds = 3600
    var offlineAfterSeconds = 300
    /// Days kept per resolution: raw, minute, hour, day.
    var retentionDays = [7, 30, 366, 3653]

    static let knownKeys: Set<String> = [
        "host", "port", "mqtt", "mqtt_password", "mqtt_ca", "mqtt_cert", "mqtt_key", "data_dir", "dev_token", "jwks", "jwt_issuer", "jwt_audience",
        "mqtt_client_id", "share_group", "rate_limit", "rate_window_seconds", "offline_after_seconds", "retention_days",
    ]

    /// Applies a configuration file's text; every problem is reported at once, with its key.
    mutating func apply(yaml text: String) throws(ValidationFailure) {
        let tree: JSONValue
        do {
            tree = try YAMLDecoder().decode(JSONValue.self, from: text)
        } catch {
            throw ValidationFailure([FieldError(field: "", message: "Unreadable YAML: \(error)")])
        }
        var validator = FieldValidator()
        guard let root = validator.object(tree, at: "", required: true) else { throw ValidationFailure(validator.errors) }
        validator.rejectUnknownKeys(root, known: Self.knownKeys, prefix: "")
        host = validator.string(root, "host", prefix: "", required: false) ?? host
        port = validator.integer(root, "port", prefix: "", required: false, minimum: 1, maximum: 65535) ?? port
        mqtt = validator.string(root, "mqtt", prefix: "", required: false) ?? mqtt
        mqttPassword = validator.string(root, "mqtt_password", prefix: "", required: false) ?? mqttPassword
        mqttCA = validator.string(root, "mqtt_ca", prefix: "", required: false) ?? mqttCA
        mqttCertificate = validator.string(root, "mqtt_cert", prefix: "", required: false) ?? mqttCertificate
        mqttKey = validator.string(root, "mqtt_key", prefix: "", required: false) ?? mqttKey
        dataDirectory = validator.string(root, "data_dir", prefix: "", required: false) ?? dataDirectory
        devToken = validator.string(root, "dev_token", prefix: "", required: false) ?? devToken
        jwks = validator.string(root, "jwks", prefix: "", required: false) ?? jwks
        issuer = validator.string(root, "jwt_issuer", prefix: "", required: false) ?? issuer
        audience = validator.string(root, "jwt_audience", prefix: "", required: false) ?? audience
        clientID = validator.string(root, "mqtt_client_id", prefix: "", required: false) ?? clientID
        shareGroup = validator.string(root, "share_group", prefix: "", required: false) ?? shareGroup
        rateLimit = validator.integer(root, "rate_limit", prefix: "", required: false, minimum: 1, maximum: 1_000_000_000) ?? rateLimit
        rateWindowSeconds = validator.integer(root, "rate_window_seconds", prefix: "", required: false, minimum: 1, maximum: 86_400) ?? rateWindowSeconds
        offlineAfterSeconds = validator.integer(root, "offline_after_seconds", prefix: "", required: false, minimum: 1, maximum: 31_536_000) ?? offlineAfterSeconds
        if let retention = validator.object(root["retention_days"], at: "retention_days", required: false) {
            validator.rejectUnknownKeys(retention, known: ["raw", "minute", "hour", "day"], prefix: "retention_days")
            for (index, key) in ["raw", "minute", "hour", "day"].enumerated() {
                if let days = validator.integer(retention, key, prefix: "retention_days", required: false, minimum: 1, maximum: 36_500) {
                    retentionDays[index] = days
                }
            }
        }
        guard validator.errors.isEmpty else { throw ValidationFailure(validator.errors) }
    }

    /// Secrets from the environment override the file.
    mutating func apply(environment: [String: String]) {
        if let password = environment["PULSEBMS_RELAY_MQTT_PASSWORD"], !password.isEmpty { mqttPassword = password }
        if let token = environment["PULSEBMS_RELAY_DEV_TOKEN"], !token.isEmpty { devToken = token }
    }

    /// Debian's bundle of the public CAs, for a broker whose certificate one of them signed.
    static let systemCABundle = "/etc/ssl/certs/ca-certificates.crt"

    /// The TLS options for `broker`, or `nil` for plain `mqtt://`. TLS files without `mqtts://`, a certificate
    /// without its key (or a key without its certificate), and a file that cannot be read are refused here,
    /// by their flag, rather than by the broker's handshake later.
    func mqttTLS(for broker: MQTTURL, isReadable: (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) })
        throws(RelayConfigurationError) -> MQTTTLSOptions?
    {
        guard broker.useTLS else {
            if mqttCA != nil || mqttCertificate != nil || mqttKey != nil {
                throw .invalid("--mqtt-ca/--mqtt-cert/--mqtt-key", "TLS files need an mqtts:// broker (--mqtt is \(mqtt))")
            }
            return nil
        }
        guard (mqttCertificate == nil) == (mqttKey == nil) else {
            throw .invalid(mqttCertificate == nil ? "--mqtt-cert" : "--mqtt-key", "a client certificate and its key go together")
        }
        let ca = mqttCA ?? Self.systemCABundle
        for (flag, path) in [("--mqtt-ca", ca), ("--mqtt-cert", mqttCertificate), ("--mqtt-key", mqttKey)] {
            if let path, !isReadable(path) { throw .invalid(flag, "cannot read \(path)") }
        }
        return MQTTTLSOptions(caFile: ca, certificateFile: mqttCertificate, keyFile: mqttKey)
    }

    var retention: RetentionPolicy {
        RetentionPolicy(
            raw: .seconds(retentionDays[0] * 86_400), minute: .seconds(retentionDays[1] * 86_400),
            hour: .seconds(retentionDays[2] * 86_400), day: .seconds(retentionDays[3] * 86_400))
    }
}
