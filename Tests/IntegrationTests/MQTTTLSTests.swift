import BMSCore
import Foundation
import PulseMQTT
import Testing
import TestSupport

/// MQTT over TLS with client certificates, against mosquitto requiring them (a site's identity is its
/// certificate). Certificates are made for the test with openssl.
@Suite("MQTT over TLS", .serialized)
struct MQTTTLSTests {
    @Test func clientCertificateConnectsAndPublishes() async throws {
        let pki = try TemporaryDirectory("pki")
        defer { pki.remove() }
        try await Self.makeCertificates(in: pki)
        try await MosquittoBroker.withRunning(extraConfig: Self.requiringCertificates(pki)) { broker in
            let tls = MQTTTLSOptions(
                caFile: pki.file("ca.crt").path, certificateFile: pki.file("client.crt").path, keyFile: pki.file("client.key").path)
            let site = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "site-tls", tls: tls))
            site.start()
            try await site.waitUntilConnected()
            try await site.subscribe("pulsebms/site_tls/+/telemetry")
            try await site.publish("pulsebms/site_tls/p/telemetry", payload: Array("{}".utf8), qos: .atLeastOnce)
            var messages = site.messages.makeAsyncIterator()
            #expect(await messages.next()?.topic == "pulsebms/site_tls/p/telemetry")
            await site.stop()
            #expect(broker.log.contains("u'site_tls'"), "the broker takes the certificate's CN as the identity")

            // Without a client certificate the handshake fails: the client never connects.
            let stranger = try MosquittoClient(
                options: MQTTClientOptions(port: broker.port, clientID: "stranger", tls: MQTTTLSOptions(caFile: pki.file("ca.crt").path)))
            stranger.start()
            let connected = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await stranger.waitUntilConnected()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(3))  // a bounded window for a connection that must not happen
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(!connected)
            await stranger.stop()
        }
    }

    /// The relay subscribes over TLS with its own certificate (the broker takes its CN as its identity) and
    /// serves what a site publishes over TLS; the same relay without its certificate never connects.
    @Test func relayIngestsOverTLSWithItsCertificate() async throws {
        let pki = try TemporaryDirectory("pki")
        defer { pki.remove() }
        try await Self.makeCertificates(in: pki)
        try await MosquittoBroker.withRunning(extraConfig: Self.requiringCertificates(pki)) { broker in
            let relay = try await RelayEndToEndTests.startRelay(
                brokerPort: broker.port, broker: "mqtts://127.0.0.1:\(broker.port)",
                arguments: ["--mqtt-ca", pki.file("ca.crt").path, "--mqtt-cert", pki.file("relay.crt").path, "--mqtt-key", pki.file("relay.key").path])
            defer { relay.directory.remove() }
            #expect(relay.register("pack_tls", site: "site_tls") == 201)
            try await eventually("the relay connected with its certificate", seconds: 10) {
                relay.call("GET", "/api/v1/health").json?["services"]?["mqtt"]?.stringValue == "healthy"
            }
            #expect(broker.log.contains("u'pulsebms-relay'"), "the broker takes the relay certificate's CN as its identity")

            let tls = MQTTTLSOptions(
                caFile: pki.file("ca.crt").path, certificateFile: pki.file("client.crt").path, keyFile: pki.file("client.key").path)
            let site = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "site-tls", tls: tls))
            site.start()
            try await site.waitUntilConnected()
            var sample = MQTTRoundTripTests.telemetry(sequenceNumber: 1)
            sample.timestamp = Timestamp(Date())
            sample.deviceInfo = DeviceInfo(deviceID: "pack_tls", siteID: "site_tls", firmwareVersion: "1.2.3")
            try await site.publish("pulsebms/site_tls/pack_tls/telemetry", payload: Array(try WireCoding.encode(sample)), qos: .atLeastOnce)
            try await eventually("the sample served", seconds: 10) {
                (relay.call("GET", "/api/v1/telemetry/pack_tls?resolution=raw").json?["data_points"]?.numberValue ?? 0) == 1
            }
            await site.stop()
            await relay.process.terminate()

            // The same relay without its certificate: the broker refuses the handshake, nothing is subscribed.
            func refusals() -> Int {
                broker.log.components(separatedBy: "peer did not return a certificate").count
                    + broker.log.components(separatedBy: "OpenSSL Error").count - 2
            }
            let refusalsBefore = refusals()
            let anonymous = try await RelayEndToEndTests.startRelay(
                brokerPort: broker.port, broker: "mqtts://127.0.0.1:\(broker.port)", arguments: ["--mqtt-ca", pki.file("ca.crt").path])
            defer { anonymous.directory.remove() }
            try await eventually("the broker refused a handshake without a certificate", seconds: 10) { refusals() > refusalsBefore }
            #expect(anonymous.call("GET", "/api/v1/health").json?["services"]?["mqtt"]?.stringValue == "unhealthy")
            await anonymous.process.terminate()
        }
    }

    /// mosquitto over TLS with the test CA, asking every client for a certificate and naming it by its CN.
    static func requiringCertificates(_ pki: TemporaryDirectory) -> [String] {
        [
            "cafile \(pki.file("ca.crt").path)", "certfile \(pki.file("server.crt").path)",
            "keyfile \(pki.file("server.key").path)", "require_certificate true", "use_identity_as_username true",
        ]
    }

    static func makeCertificates(in directory: TemporaryDirectory) async throws {
        let openssl = try ChildProcess.locate("openssl")
        let path = { (name: String) in directory.file(name).path }
        try "subjectAltName=IP:127.0.0.1\n".write(to: directory.file("server.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "2", "-subj", "/CN=PulseBMS test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("server.crt"), "-days", "2", "-extfile", path("server.ext")],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=site_tls"],
            ["x509", "-req", "-in", path("client.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("client.crt"), "-days", "2"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("relay.key"), "-out", path("relay.csr"), "-subj", "/CN=pulsebms-relay"],
            ["x509", "-req", "-in", path("relay.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("relay.crt"), "-days", "2"],
        ]
        for arguments in steps {
            let step = try ChildProcess(openssl, arguments, outputFile: path("openssl.log"))
            await step.waitForExit()
            guard step.exitCode == 0 else {
                throw TestSupportError.didNotStart("openssl \(arguments[0]): \((try? String(contentsOfFile: path("openssl.log"), encoding: .utf8)) ?? "")")
            }
        }
    }
}
