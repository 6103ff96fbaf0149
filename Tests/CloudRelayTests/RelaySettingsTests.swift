import ArgumentParser
import BMSCore
import Foundation
import Testing

@testable import CloudRelay

/// Where each relay setting comes from: default < file < environment (secrets) < flag.
@Suite("Relay settings")
struct RelaySettingsTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/relay.yaml").path

    @Test func defaultsWithoutAnyFile() throws {
        let settings = try ServeCommand.parse([]).settings(environment: [:])
        #expect(settings == RelaySettings())
        #expect(settings.port == 8080 && settings.mqtt == "mqtt://127.0.0.1:1883" && settings.dataDirectory == "./relay-data")
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let command = try ServeCommand.parse(["--config", Self.example, "--port", "9090", "--retention-days", "1,2,3,4"])
        let settings = try command.settings(environment: ["PULSEBMS_RELAY_MQTT_PASSWORD": "s3cret", "PULSEBMS_RELAY_DEV_TOKEN": ""])
        #expect(settings.port == 9090)  // the flag wins over the file's 8080
        #expect(settings.clientID == "pulsebms-relay-1")  // from the file
        #expect(settings.mqtt == "mqtt://relay@127.0.0.1:1883")
        #expect(settings.mqttPassword == "s3cret")  // from the environment
        #expect(settings.devToken == nil)  // an empty variable sets nothing
        #expect(settings.retentionDays == [1, 2, 3, 4])
        #expect(settings.retention.raw == .seconds(86_400))
    }

    @Test func everyProblemInTheFileIsReported() {
        var settings = RelaySettings()
        do {
            try settings.apply(yaml: "port: 70000\nrate_limit: 0\ncolour: blue\nretention_days: { raw: -1, week: 2 }\n")
            Issue.record("accepted a broken file")
        } catch {
            #expect(Set(error.fieldErrors.map(\.field)) == ["port", "rate_limit", "colour", "retention_days.raw", "retention_days.week"])
        }
        #expect(throws: ValidationFailure.self) { try settings.apply(yaml: "- a list") }
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--retention-days", "1,2"]).settings(environment: [:]) }
    }

    @Test func brokerURLs() throws {
        #expect(try MQTTURL("mqtt://broker.example.com") == MQTTURL(host: "broker.example.com", port: 1883, useTLS: false))
        let local = try MQTTURL("mqtt://user:pw@10.0.0.5:1884")
        #expect(local.port == 1884 && !local.useTLS && local.username == "user" && local.password == "pw")
        // TLS to the broker is not wired in the relay yet: refused, never a silent plain-text connection.
        for bad in ["mqtts://broker:8883", "http://x", "mqtt://", "mqtt://host:99999", "mqtt://host/path", "not a url"] {
            #expect(throws: RelayConfigurationError.self, "\(bad)") { try MQTTURL(bad) }
        }
    }
}
