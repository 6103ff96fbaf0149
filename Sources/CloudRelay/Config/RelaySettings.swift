import BMSCore
import Foundation
import Yams

/// Everything the relay runs with. Each setting comes from, in rising order of precedence: its default, the
/// configuration file (`--config`, YAML, snake_case keys), the environment (secrets only:
/// `PULSEBMS_RELAY_MQTT_PASSWORD`, `PULSEBMS_RELAY_DEV_TOKEN`), and the command line.
struct RelaySettings: Sendable, Equatable {
    var host = "127.0.0.1"
    var port = 8080
    var mqtt = "mqtt://127.0.0.1:1883"
    var mqttPassword: String?
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
        "host", "port", "mqtt", "mqtt_password", "data_dir", "dev_token", "jwks", "jwt_issuer", "jwt_audience",
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

    var retention: RetentionPolicy {
        RetentionPolicy(
            raw: .seconds(retentionDays[0] * 86_400), minute: .seconds(retentionDays[1] * 86_400),
            hour: .seconds(retentionDays[2] * 86_400), day: .seconds(retentionDays[3] * 86_400))
    }
}
