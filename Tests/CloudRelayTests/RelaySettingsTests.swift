import ArgumentParser
import BMSCore
import Foundation
import PulseMQTT
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
        #expect(try MQTTURL("mqtts://broker.example.com") == MQTTURL(host: "broker.example.com", port: 8883, useTLS: true))
        #expect(try MQTTURL("MQTTS://relay@broker:9883") == MQTTURL(host: "broker", port: 9883, useTLS: true, username: "relay"))
        for bad in ["http://x", "mqtt://", "mqtts://", "mqtt://host:99999", "mqtt://host/path", "not a url"] {
            #expect(throws: RelayConfigurationError.self, "\(bad)") { try MQTTURL(bad) }
        }
    }

    /// TLS files go with `mqtts://` only, a certificate with its key, and each must be readable; `mqtts://`
    /// alone trusts the system's CAs.
    @Test func brokerTLSSettings() throws {
        let readable: Set<String> = ["/pki/ca.crt", "/pki/relay.crt", "/pki/relay.key", RelaySettings.systemCABundle]
        func tls(_ url: String, ca: String? = nil, cert: String? = nil, key: String? = nil) throws(RelayConfigurationError) -> MQTTTLSOptions? {
            var settings = RelaySettings()
            settings.mqtt = url
            (settings.mqttCA, settings.mqttCertificate, settings.mqttKey) = (ca, cert, key)
            return try settings.mqttTLS(for: try MQTTURL(url), isReadable: readable.contains)
        }
        #expect(try tls("mqtt://broker") == nil)
        #expect(try tls("mqtts://broker") == MQTTTLSOptions(caFile: RelaySettings.systemCABundle))
        #expect(
            try tls("mqtts://broker", ca: "/pki/ca.crt", cert: "/pki/relay.crt", key: "/pki/relay.key")
                == MQTTTLSOptions(caFile: "/pki/ca.crt", certificateFile: "/pki/relay.crt", keyFile: "/pki/relay.key"))
        #expect(throws: RelayConfigurationError.self) { try tls("mqtt://broker", ca: "/pki/ca.crt") }
        #expect(throws: RelayConfigurationError.invalid("--mqtt-key", "a client certificate and its key go together")) {
            try tls("mqtts://broker", cert: "/pki/relay.crt")
        }
        #expect(throws: RelayConfigurationError.invalid("--mqtt-cert", "a client certificate and its key go together")) {
            try tls("mqtts://broker", key: "/pki/relay.key")
        }
        #expect(throws: RelayConfigurationError.invalid("--mqtt-ca", "cannot read /pki/missing.crt")) {
            try tls("mqtts://broker", ca: "/pki/missing.crt")
        }
        // From the file or the flags.
        var fromFile = RelaySettings()
        try fromFile.apply(yaml: "mqtt: mqtts://broker\nmqtt_ca: /pki/ca.crt\nmqtt_cert: /pki/relay.crt\nmqtt_key: /pki/relay.key\n")
        #expect(fromFile.mqttCA == "/pki/ca.crt" && fromFile.mqttCertificate == "/pki/relay.crt" && fromFile.mqttKey == "/pki/relay.key")
        let flagged = try ServeCommand.parse(["--mqtt-ca", "/a.crt", "--mqtt-cert", "/b.crt", "--mqtt-key", "/b.key"]).settings(environment: [:])
        #expect(flagged.mqttCA == "/a.crt" && flagged.mqttCertificate == "/b.crt" && flagged.mqttKey == "/b.key")
    }
}
