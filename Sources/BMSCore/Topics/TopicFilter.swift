/// An MQTT subscription filter, built from the hierarchy rather than typed by hand.
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter string, possibly with `+`/`#` wildcards or a `$share/{group}/` prefix.
    public let rawValue: String

    private init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// One device channel of one site (or every site), for every device:
    /// `pulsebms/{site|+}/+/{channel}`.
    public static func devices(_ channel: MQTTTopic.DeviceChannel, site: TopicIdentifier? = nil) -> TopicFilter {
        TopicFilter("\(MQTTTopic.root)/\(site?.rawValue ?? "+")/+/\(channel.rawValue)")
    }

    /// One coordinator channel of one site or every site: `pulsebms/{site|+}/coordinator/{channel}`.
    public static func coordinator(_ channel: MQTTTopic.CoordinatorChannel, site: TopicIdentifier? = nil) -> TopicFilter {
        TopicFilter("\(MQTTTopic.root)/\(site?.rawValue ?? "+")/coordinator/\(channel.rawValue)")
    }

    /// One fleet channel of one site or every site: `pulsebms/{site|+}/fleet/{channel}`.
    public static func fleet(_ channel: MQTTTopic.FleetChannel, site: TopicIdentifier? = nil) -> TopicFilter {
        TopicFilter("\(MQTTTopic.root)/\(site?.rawValue ?? "+")/fleet/\(channel.rawValue)")
    }

    /// Exactly one topic.
    public static func exactly(_ topic: MQTTTopic) -> TopicFilter {
        TopicFilter(topic.path)
    }

    /// What an edge agent subscribes to: its site's commands and power allocations.
    public static func agentSubscriptions(site: TopicIdentifier) -> [TopicFilter] {
        [.devices(.commands, site: site), .coordinator(.allocation, site: site)]
    }

    /// What the cloud relay subscribes to: telemetry, status and responses of every device, every
    /// coordinator's status and power allocations, and the fleet alerts.
    ///
    /// `pulsebms/+/+/status` also matches `pulsebms/{site}/coordinator/status` (parsing tells them apart), so
    /// no separate coordinator status filter is added: overlapping subscriptions can make a broker deliver a
    /// message twice. No device filter matches `coordinator/allocation`, so that one is added.
    public static let relaySubscriptions: [TopicFilter] = [
        .devices(.telemetry), .devices(.status), .devices(.responses), .coordinator(.allocation), .fleet(.alerts),
    ]

    /// The same filter as an MQTT 5 shared subscription, so that several relays split the messages.
    /// - Throws: `TopicError.invalidShareGroup` for an empty group or one with `/`, `+`, `#`.
    public func shared(group: String) throws(TopicError) -> TopicFilter {
        guard !group.isEmpty, !group.contains(where: { "/+#".contains($0) || $0.isWhitespace }) else {
            throw .invalidShareGroup(group)
        }
        return TopicFilter("$share/\(group)/\(rawValue)")
    }

    /// Whether a published topic matches this filter under MQTT's rules (a shared prefix is ignored).
    public func matches(_ topic: String) -> Bool {
        var filter = Substring(rawValue)
        if filter.hasPrefix("$share/") {
            let rest = filter.dropFirst("$share/".count)
            guard let slash = rest.firstIndex(of: "/") else { return false }
            filter = rest[rest.index(after: slash)...]
        }
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        // Wildcards at the first level never match topics that start with '$'.
        if topic.hasPrefix("$"), let first = filterLevels.first, first == "+" || first == "#" { return false }
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
