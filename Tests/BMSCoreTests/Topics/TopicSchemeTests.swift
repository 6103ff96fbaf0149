import Testing

@testable import BMSCore

@Suite("MQTT topic scheme")
struct TopicSchemeTests {
    static func id(_ text: String) -> TopicIdentifier { TopicIdentifier(uncheckedRawValue: text) }

    static let site = id("site_001")
    static let device = id("battery_pack_001")

    static let everyTopic: [(MQTTTopic, String)] =
        MQTTTopic.DeviceChannel.allCases.map {
            (MQTTTopic.device(site: site, device: device, $0), "pulsebms/site_001/battery_pack_001/\($0.rawValue)")
        }
        + MQTTTopic.CoordinatorChannel.allCases.map {
            (MQTTTopic.coordinator(site: site, $0), "pulsebms/site_001/coordinator/\($0.rawValue)")
        }
        + MQTTTopic.FleetChannel.allCases.map { (MQTTTopic.fleet(site: site, $0), "pulsebms/site_001/fleet/\($0.rawValue)") }
        + MQTTTopic.SystemChannel.allCases.map { (MQTTTopic.system($0), "pulsebms/system/\($0.rawValue)") }

    @Test func everyTopicKindBuildsAndParses() throws {
        #expect(Self.everyTopic.count == 10)
        for (topic, path) in Self.everyTopic {
            #expect(topic.path == path)
            #expect(try MQTTTopic(parsing: path) == topic)
        }
    }

    @Test(arguments: [
        "", "/", "pulsebms", "pulsebms/site_001", "pulsebms/site_001/pack/unknown", "other/site_001/pack/telemetry",
        "pulsebms/site_001/pack/telemetry/extra", "pulsebms/system/weather", "pulsebms/site_001/coordinator/summary",
        "pulsebms/site_001/fleet/status", "pulsebms//pack/telemetry", "pulsebms/site_001//telemetry",
        "pulsebms/site 1/pack/telemetry", "pulsebms/site_001/+/telemetry", "pulsebms/system/pack/telemetry",
    ])
    func rejectsTopicsOutsideTheHierarchy(topic: String) {
        #expect(throws: TopicError.self) { try MQTTTopic(parsing: topic) }
    }

    @Test(arguments: [
        "", String(repeating: "a", count: 65), "a/b", "a+b", "a#b", "a\u{0}b", "a b", "a\tb", "a\nb", "a\u{00A0}b",
        "coordinator", "fleet", "system",
    ])
    func rejectsForbiddenIdentifiers(text: String) {
        #expect(throws: TopicError.self) { try TopicIdentifier(text) }
        #expect(TopicIdentifier.problem(with: text) != nil)
    }

    @Test(arguments: ["a", String(repeating: "a", count: 64), "Fleet", "site-001", "パック"])
    func acceptsOrdinaryIdentifiers(text: String) throws {
        #expect(try TopicIdentifier(text).rawValue == text)
    }

    @Test func filtersMatchWhatTheyShould() throws {
        let telemetry = TopicFilter.devices(.telemetry)
        #expect(telemetry.rawValue == "pulsebms/+/+/telemetry")
        #expect(telemetry.matches("pulsebms/site_001/battery_pack_001/telemetry"))
        #expect(!telemetry.matches("pulsebms/site_001/battery_pack_001/status"))
        #expect(!telemetry.matches("pulsebms/site_001/battery_pack_001/telemetry/x"))

        let commands = TopicFilter.devices(.commands, site: Self.site)
        #expect(commands.rawValue == "pulsebms/site_001/+/commands")
        #expect(commands.matches("pulsebms/site_001/p/commands"))
        #expect(!commands.matches("pulsebms/site_002/p/commands"))

        #expect(TopicFilter.agentSubscriptions(site: Self.site).map(\.rawValue) == [
            "pulsebms/site_001/+/commands", "pulsebms/site_001/coordinator/allocation",
        ])
        #expect(TopicFilter.relaySubscriptions.map(\.rawValue) == [
            "pulsebms/+/+/telemetry", "pulsebms/+/+/status", "pulsebms/+/+/responses", "pulsebms/+/coordinator/allocation",
            "pulsebms/+/fleet/alerts",
        ])

        // Every topic the relay consumes is matched by exactly one of its filters, and no other topic is.
        for (topic, path) in Self.everyTopic {
            let matching = TopicFilter.relaySubscriptions.filter { $0.matches(path) }
            let expected: Int
            switch topic {
            case .device(_, _, .telemetry), .device(_, _, .status), .device(_, _, .responses), .coordinator(_, .status),
                .coordinator(_, .allocation), .fleet(_, .alerts):
                expected = 1
            default:
                expected = 0
            }
            #expect(matching.count == expected, "\(path)")
        }
    }

    @Test func sharedSubscriptions() throws {
        let shared = try TopicFilter.devices(.telemetry).shared(group: "relays")
        #expect(shared.rawValue == "$share/relays/pulsebms/+/+/telemetry")
        #expect(shared.matches("pulsebms/s/d/telemetry"))
        for group in ["", "a/b", "a+", "#", "a b"] {
            #expect(throws: TopicError.self) { try TopicFilter.devices(.telemetry).shared(group: group) }
        }
    }

    @Test func wildcardsFollowMQTTRules() {
        let everything = TopicFilter.exactly(.system(.health))
        #expect(everything.matches("pulsebms/system/health"))
        #expect(!everything.matches("pulsebms/system/announcements"))
    }
}

