import Foundation

/// The broker the relay subscribes to: `mqtt://[user[:password]@]host[:port]` (default port 1883) or
/// `mqtts://…` (default port 8883; TLS with the CA from `--mqtt-ca`, and `--mqtt-cert`/`--mqtt-key` when the
/// broker asks for a client certificate).
struct MQTTURL: Sendable, Equatable {
    var host: String
    var port: Int
    var useTLS: Bool
    var username: String?
    var password: String?

    init(host: String, port: Int, useTLS: Bool, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
        self.username = username
        self.password = password
    }

    init(_ text: String) throws(RelayConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .invalid("--mqtt", "'\(text)' is not a URL (expected mqtt://HOST[:PORT])")
        }
        switch scheme {
        case "mqtt": useTLS = false
        case "mqtts": useTLS = true
        default: throw .invalid("--mqtt", "scheme '\(scheme)' is not mqtt or mqtts")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalid("--mqtt", "'\(text)' names no host") }
        self.host = host
        let port = components.port ?? (useTLS ? 8883 : 1883)
        guard (1...65535).contains(port) else { throw .invalid("--mqtt", "port \(port) is out of range") }
        self.port = port
        guard components.path.isEmpty || components.path == "/" else {
            throw .invalid("--mqtt", "'\(text)' has a path; a broker URL has none")
        }
        username = components.user
        password = components.password
    }
}

/// A relay setting that cannot be used, named by its flag or key.
struct RelayConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    var setting: String
    var reason: String

    static func invalid(_ setting: String, _ reason: String) -> RelayConfigurationError {
        RelayConfigurationError(setting: setting, reason: reason)
    }

    var description: String { "\(setting): \(reason)" }
}
