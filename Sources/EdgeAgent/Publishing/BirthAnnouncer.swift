import BMSCore
import Foundation
import PulseMQTT

/// The agent's retained statuses: its own on `pulsebms/{site}/coordinator/status` (also its Last Will, as
/// `offline`), and one per pack on `pulsebms/{site}/{device}/status` with the pack's descriptor.
struct BirthAnnouncer: Sendable {
    let configuration: AgentConfiguration

    private var site: TopicIdentifier? { try? TopicIdentifier(configuration.siteID) }

    private func agentStatus(_ status: AgentLinkStatus) -> AgentStatusMessage {
        AgentStatusMessage(
            timestamp: Timestamp(Date()), siteID: configuration.siteID, status: status, agentVersion: AgentVersion.current,
            deviceIDs: configuration.devices.map(\.deviceID))
    }

    /// The Will: this agent offline, retained.
    func will() -> MQTTWill? {
        guard let site, let payload = try? WireCoding.encode(agentStatus(.offline)) else { return nil }
        return MQTTWill(topic: MQTTTopic.coordinator(site: site, .status).path, payload: Array(payload), qos: .atLeastOnce, retain: true)
    }

    /// Publishes one pack's status (retained), e.g. for `request_status`.
    func announce(device deviceID: String, on client: MosquittoClient) async throws {
        guard let site, let device = configuration.devices.first(where: { $0.deviceID == deviceID }),
            let id = try? TopicIdentifier(deviceID)
        else { return }
        let message = DeviceStatusMessage(
            timestamp: Timestamp(Date()), status: .online, descriptor: device.registration(siteID: configuration.siteID),
            firmwareVersion: device.firmwareVersion)
        try await client.publish(
            MQTTTopic.device(site: site, device: id, .status).path, payload: Array(try WireCoding.encode(message)),
            qos: .atLeastOnce, retain: true)
    }

    /// Publishes the agent's status and every pack's, retained.
    func announce(on client: MosquittoClient, status: AgentLinkStatus) async throws {
        guard let site else { return }
        let deviceStatus: DeviceStatus = status == .online ? .online : .offline
        for device in configuration.devices {
            guard let id = try? TopicIdentifier(device.deviceID) else { continue }
            let message = DeviceStatusMessage(
                timestamp: Timestamp(Date()), status: deviceStatus,
                descriptor: device.registration(siteID: configuration.siteID), firmwareVersion: device.firmwareVersion)
            try await client.publish(
                MQTTTopic.device(site: site, device: id, .status).path, payload: Array(try WireCoding.encode(message)),
                qos: .atLeastOnce, retain: true)
        }
        try await client.publish(
            MQTTTopic.coordinator(site: site, .status).path, payload: Array(try WireCoding.encode(agentStatus(status))),
            qos: .atLeastOnce, retain: true)
    }
}
