/// MQTT delivery guarantee.
public enum MQTTQoS: Int32, Sendable, Codable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2
}

/// A message received on a subscription.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// The message the broker publishes for a client that disappears without a clean disconnect.
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = true) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// TLS files; the client certificate is what gives a site its identity at the broker.
public struct MQTTTLSOptions: Sendable, Equatable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// How a `MosquittoClient` connects.
public struct MQTTClientOptions: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Stable across restarts, so that the broker keeps the session.
    public var clientID: String
    public var keepAliveSeconds: Int
    /// `false` (the default) resumes the broker's session, so nothing published while away is lost.
    public var cleanStart: Bool
    /// How long the broker keeps the session after a disconnect (MQTT 5 Session Expiry Interval).
    public var sessionExpirySeconds: UInt32
    public var username: String?
    public var password: String?
    public var tls: MQTTTLSOptions?
    public var will: MQTTWill?
    /// First wait before reconnecting; it doubles after each failure up to `maximumReconnectDelay`.
    public var initialReconnectDelay: Duration
    public var maximumReconnectDelay: Duration
    /// Received messages held for a slow reader; beyond them the client stops reading from the broker.
    public var incomingBufferLimit: Int

    public init(
        host: String = "127.0.0.1", port: Int = 1883, clientID: String, keepAliveSeconds: Int = 30,
        cleanStart: Bool = false, sessionExpirySeconds: UInt32 = 7 * 24 * 3600, username: String? = nil,
        password: String? = nil, tls: MQTTTLSOptions? = nil, will: MQTTWill? = nil,
        initialReconnectDelay: Duration = .milliseconds(100), maximumReconnectDelay: Duration = .seconds(30),
        incomingBufferLimit: Int = 100_000
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepAliveSeconds = keepAliveSeconds
        self.cleanStart = cleanStart
        self.sessionExpirySeconds = sessionExpirySeconds
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.initialReconnectDelay = initialReconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
        self.incomingBufferLimit = incomingBufferLimit
    }
}

/// A change of the link to the broker.
public enum MQTTConnectionEvent: Sendable, Equatable {
    /// CONNACK accepted; `sessionPresent` tells whether the broker resumed the previous session.
    case connected(sessionPresent: Bool)
    /// CONNACK refused with an MQTT 5 reason code.
    case refused(reasonCode: Int32)
    /// The link closed; `reasonCode` 0 means a requested disconnect.
    case disconnected(reasonCode: Int32)
}

/// Why an MQTT operation failed.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No link to the broker right now; try again after reconnecting.
    case notConnected
    /// The broker refused the connection (bad credentials, not authorised, …).
    case connectionRefused(reasonCode: Int32)
    /// The broker refused a publish (MQTT 5 PUBACK reason ≥ 0x80, e.g. 0x87 not authorised by an ACL).
    case publishRejected(reasonCode: Int32)
    /// The broker refused a subscription.
    case subscriptionRejected(filter: String, reasonCode: Int32)
    /// libmosquitto returned an error code.
    case library(operation: String, code: Int32, message: String)
    /// The client was stopped before the operation completed.
    case stopped
    /// The waiting task was cancelled; the operation may still complete at the broker.
    case cancelled

    /// Whether retrying later can succeed.
    public var isTransient: Bool {
        switch self {
        case .notConnected, .stopped, .cancelled: true
        case .library(_, let code, _): code == 4 /* MOSQ_ERR_NO_CONN */ || code == 7 /* CONN_LOST */ || code == 14 /* ERRNO */
        case .connectionRefused, .publishRejected, .subscriptionRejected: false
        }
    }

    public var description: String {
        switch self {
        case .notConnected: "not connected to the MQTT broker"
        case .connectionRefused(let code): "the broker refused the connection (reason 0x\(String(code, radix: 16)))"
        case .publishRejected(let code): "the broker refused the publish (reason 0x\(String(code, radix: 16)))"
        case .subscriptionRejected(let filter, let code):
            "the broker refused the subscription to '\(filter)' (reason 0x\(String(code, radix: 16)))"
        case .library(let operation, let code, let message): "\(operation) failed: \(message) (libmosquitto \(code))"
        case .stopped: "the MQTT client was stopped"
        case .cancelled: "cancelled while waiting for the broker"
        }
    }
}
