import Foundation
import PulseMQTT
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A process with many open descriptors — a relay serving a thousand WebSocket clients — gets a socket
/// numbered beyond `select`'s 1024 when its MQTT link reconnects. libmosquitto's own loop refuses such a
/// socket, so the client would never connect again; ours waits with `poll`.
///
/// Runs alone (scripts/test.sh): it holds every descriptor number below 1100 while it runs, which the tests
/// beside it would be short of, and one of them closing a descriptor would hand the client a low number.
@Suite("MQTT with a high descriptor number")
struct MQTTHighDescriptorTests {
    static let wanted = 1100

    /// The process may open enough descriptors (the soft limit is raised up to the hard one).
    static var hardLimitAllows: Bool {
        var limit = rlimit()
        return getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_max >= rlim_t(wanted + 100)
    }

    @Test(.enabled(if: hardLimitAllows, "the hard limit on open files is below 1,200"))
    func aClientWhoseSocketIsNumberedBeyond1024ConnectsPublishesAndReceives() async throws {
        let wanted = Self.wanted
        var limit = rlimit()
        try #require(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let original = limit
        if limit.rlim_cur < rlim_t(wanted + 100) {
            limit.rlim_cur = rlim_t(wanted + 100)
            try #require(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        }
        defer {
            var restored = original
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &restored)
        }

        try await MosquittoBroker.withRunning { broker in
            // Every number below `wanted` taken (the broker, a child, started before and inherits none).
            var fillers: [Int32] = []
            defer { for filler in fillers { close(filler) } }
            while fillers.last.map({ $0 < wanted }) ?? true {
                let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
                try #require(descriptor >= 0, "open: \(String(cString: strerror(errno)))")
                fillers.append(descriptor)
            }

            let client = try MosquittoClient(options: MQTTClientOptions(port: broker.port, clientID: "high-fd-\(UUID().uuidString.prefix(6))"))
            client.start()
            do {
                let connected = try await withTimeout(.seconds(15)) { (try? await client.waitUntilConnected()) != nil }
                try #require(connected == true, "no connection with a socket numbered beyond 1024")
                #expect(client.socketDescriptor >= 1024)

                try await client.subscribe("pulsebms/test/high-fd")
                try await client.publish("pulsebms/test/high-fd", payload: Array("beyond select".utf8), qos: .atLeastOnce)
                let received = try await withTimeout(.seconds(10)) { () -> MQTTMessage? in
                    for await message in client.messages { return message }
                    return nil
                }
                #expect(received.map { String(decoding: $0.payload, as: UTF8.self) } == "beyond select")
            } catch {
                await client.stop()
                throw error
            }
            await client.stop()
        }
    }
}
