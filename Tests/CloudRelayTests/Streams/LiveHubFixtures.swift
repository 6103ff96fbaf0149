import BMSCore
import NIOCore
import Synchronization
import Testing

@testable import CloudRelay

/// The relay's clock in a test: it moves only when the test moves it.
final class ManualTime: Sendable {
    private let current: Mutex<Timestamp>

    init(_ start: Timestamp = StorageSamples.start) {
        current = Mutex(start)
    }

    var now: Timestamp { current.withLock { $0 } }

    func advance(milliseconds: Int64) {
        current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
    }
}

enum LiveSamples {
    static let everySite = Principal(subject: "viewer", role: .viewer, sites: nil, credential: .apiKey(id: "k_all"))
    static let siteOne = Principal(subject: "site-one", role: .viewer, sites: ["site_001"], credential: .apiKey(id: "k_one"))

    static func hub(capacity: Int = 256, slowLimit: Duration = .seconds(10)) -> (LiveHub, ManualTime) {
        let time = ManualTime()
        let hub = LiveHub(
            configuration: LiveHub.Configuration(queueCapacity: capacity, slowClientLimit: slowLimit),
            now: { time.now })
        return (hub, time)
    }

    static func sample(_ device: String, site: String = "site_001", second: Int) -> TelemetryMessage {
        sample(device, site: site, milliseconds: Int64(second) * 1000)
    }

    static func sample(_ device: String, site: String = "site_001", milliseconds: Int64) -> TelemetryMessage {
        StorageSamples.telemetry(
            device, site: site, sequence: UInt64(max(0, milliseconds)) + 1,
            at: StorageSamples.start.adding(milliseconds: milliseconds))
    }

    static func alert(
        _ id: String, site: String = "site_001", device: String = "p1", severity: Severity
    ) -> Alert {
        Alert(
            timestamp: StorageSamples.start, alertID: id, severity: severity, category: .temperature, siteID: site,
            deviceID: device, title: "High Cell Temperature", message: "Cell temperature exceeded 55°C threshold",
            data: ["threshold": 55], actions: [AlertAction(actionID: "acknowledge", label: "Acknowledge")])
    }

    static func fleet(_ site: String, at time: Timestamp) -> FleetStatus {
        FleetStatus(
            timestamp: time, siteID: site,
            summary: FleetSummary(
                totalDevices: 1, onlineDevices: 1, totalCapacity: 5.12, availableCapacity: 3, totalPower: -512,
                averageSoC: 60, averageSoH: 95, activeAlarms: 0),
            devices: [FleetDeviceStatus(deviceID: "p1", status: .online, soc: 60, power: -512, alarmCount: 0)])
    }

    /// The error body of the only reply, if it is an error.
    static func error(_ replies: [WebSocketServerMessage]) -> ErrorBody<JSONObject>? {
        guard replies.count == 1, case .error(let body) = replies[0] else { return nil }
        return body
    }

    /// Messages drained from a client, by kind, each kind in delivery order.
    struct Delivered {
        var telemetry: [LiveTelemetry] = []
        var fleet: [FleetStatus] = []
        var alerts: [Alert] = []
        var other: [LiveClient.Outbound] = []

        mutating func append(_ more: Delivered) {
            telemetry += more.telemetry
            fleet += more.fleet
            alerts += more.alerts
            other += more.other
        }
    }

    /// Everything queued for `client` now, without waiting for more.
    static func drain(_ client: LiveClient) async -> Delivered {
        var delivered = Delivered()
        while client.queuedCount > 0, let outbound = await client.next() {
            if case .message(let message, let encoded?) = outbound {
                // A shared encoding must be exactly this client's message.
                let decoded = try? WireCoding.decode(WebSocketServerMessage.self, from: Array(buffer: encoded))
                #expect(decoded == message)
            }
            switch outbound {
            case .message(.telemetry(let sample), _): delivered.telemetry.append(sample)
            case .message(.fleetStatus(let status), _): delivered.fleet.append(status)
            case .message(.alert(let alert), _): delivered.alerts.append(alert)
            default: delivered.other.append(outbound)
            }
        }
        return delivered
    }
}
