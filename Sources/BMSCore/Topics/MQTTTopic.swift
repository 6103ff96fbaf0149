/// Every topic of the spec's MQTT hierarchy, built and parsed in one place.
///
/// ```
/// pulsebms/{site}/{device}/telemetry|commands|status|responses
/// pulsebms/{site}/coordinator/allocation|status
/// pulsebms/{site}/fleet/summary|alerts
/// pulsebms/system/health|announcements
/// ```
public enum MQTTTopic: Sendable, Hashable, CustomStringConvertible {
    case device(site: TopicIdentifier, device: TopicIdentifier, DeviceChannel)
    case coordinator(site: TopicIdentifier, CoordinatorChannel)
    case fleet(site: TopicIdentifier, FleetChannel)
    case system(SystemChannel)

    /// The first level of every topic.
    public static let root = "pulsebms"

    /// Per-device topics.
    public enum DeviceChannel: String, Sendable, CaseIterable {
        /// Device → cloud.
        case telemetry
        /// Cloud → device.
        case commands
        /// Device → cloud, retained.
        case status
        /// Device → cloud, command lifecycle.
        case responses
    }

    /// Per-site coordinator topics.
    public enum CoordinatorChannel: String, Sendable, CaseIterable {
        /// Cloud → site.
        case allocation
        /// Site → cloud.
        case status
    }

    /// Per-site fleet topics, cloud → subscribers.
    public enum FleetChannel: String, Sendable, CaseIterable {
        case summary, alerts
    }

    /// System-wide topics.
    public enum SystemChannel: String, Sendable, CaseIterable {
        case health, announcements
    }

    /// The topic string.
    public var path: String {
        switch self {
        case .device(let site, let device, let channel):
            "\(Self.root)/\(site)/\(device)/\(channel.rawValue)"
        case .coordinator(let site, let channel):
            "\(Self.root)/\(site)/coordinator/\(channel.rawValue)"
        case .fleet(let site, let channel):
            "\(Self.root)/\(site)/fleet/\(channel.rawValue)"
        case .system(let channel):
            "\(Self.root)/system/\(channel.rawValue)"
        }
    }

    public var description: String { path }

    /// The site the topic belongs to, `nil` for system topics.
    public var site: TopicIdentifier? {
        switch self {
        case .device(let site, _, _), .coordinator(let site, _), .fleet(let site, _): site
        case .system: nil
        }
    }

    /// Parses a topic string.
    /// - Throws: `TopicError` when it is not one of the hierarchy's topics or holds an invalid id.
    public init(parsing topic: String) throws(TopicError) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard levels.first == Self.root else { throw .notAPulseBMSTopic(topic) }
        switch levels.count {
        case 3 where levels[1] == "system":
            guard let channel = SystemChannel(rawValue: levels[2]) else { throw .notAPulseBMSTopic(topic) }
            self = .system(channel)
        case 4:
            let site = try TopicIdentifier(levels[1])
            switch levels[2] {
            case "coordinator":
                guard let channel = CoordinatorChannel(rawValue: levels[3]) else { throw .notAPulseBMSTopic(topic) }
                self = .coordinator(site: site, channel)
            case "fleet":
                guard let channel = FleetChannel(rawValue: levels[3]) else { throw .notAPulseBMSTopic(topic) }
                self = .fleet(site: site, channel)
            default:
                guard let channel = DeviceChannel(rawValue: levels[3]) else { throw .notAPulseBMSTopic(topic) }
                self = .device(site: site, device: try TopicIdentifier(levels[2]), channel)
            }
        default:
            throw .notAPulseBMSTopic(topic)
        }
    }
}
