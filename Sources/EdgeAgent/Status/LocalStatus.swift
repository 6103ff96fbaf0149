import BMSCore
import Foundation
import Prometheus

/// What a technician sees without a network: every pack, the broker link and the buffer.
struct LocalStatus: Codable, Sendable, Equatable {
    struct Pack: Codable, Sendable, Equatable {
        var deviceID: String
        var state: String
        var soc: Double?
        var soh: Double?
        var cellVoltageMin: Double?
        var cellVoltageMax: Double?
        var temperatureMin: Double?
        var temperatureMax: Double?
        var activeAlarms: [String]
        var latchedRules: [String]
        var lastSuccessfulPoll: Timestamp?
        var requests: Int
        var timeouts: Int
        var exceptions: Int
        var meanLatencyMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case state, soc, soh
            case cellVoltageMin = "cell_voltage_min"
            case cellVoltageMax = "cell_voltage_max"
            case temperatureMin = "temperature_min"
            case temperatureMax = "temperature_max"
            case activeAlarms = "active_alarms"
            case latchedRules = "latched_rules"
            case lastSuccessfulPoll = "last_successful_poll"
            case requests, timeouts, exceptions
            case meanLatencyMilliseconds = "mean_latency_ms"
        }
    }

    var siteID: String
    var timestamp: Timestamp
    var packs: [Pack]
    /// `nil` when the agent has no broker configured.
    var brokerConnected: Bool?
    var bufferDepth: Int?
    var oldestUnsentAgeSeconds: Double?
    var bufferDropped: Int?

    enum CodingKeys: String, CodingKey {
        case siteID = "site_id"
        case timestamp, packs
        case brokerConnected = "broker_connected"
        case bufferDepth = "buffer_depth"
        case oldestUnsentAgeSeconds = "oldest_unsent_age_seconds"
        case bufferDropped = "buffer_dropped"
    }

    /// The status now.
    static func collect(siteID: String, services: AgentServices, now: Timestamp = Timestamp(Date())) -> LocalStatus {
        let packs = services.pollers.map { poller -> Pack in
            let latest = poller.latest
            let input = latest.map { SafetyInput($0.snapshot) }
            let counters = poller.counters
            return Pack(
                deviceID: poller.deviceID,
                state: latest?.fresh == false ? "unreachable" : (latest?.snapshot.operationalState?.value.rawValue ?? "unknown"),
                soc: latest?.snapshot.soc?.freshValue, soh: latest?.snapshot.soh?.freshValue,
                cellVoltageMin: input?[.minCellVoltage]?.value, cellVoltageMax: input?[.maxCellVoltage]?.value,
                temperatureMin: input?[.minTemperature]?.value, temperatureMax: input?[.maxTemperature]?.value,
                activeAlarms: latest?.verdict.alarms.map { "\($0.code) \($0.severity.rawValue)" } ?? [],
                latchedRules: latest?.verdict.latchedRuleIDs ?? [],
                lastSuccessfulPoll: latest.map { $0.snapshot.lastFreshRead }, requests: counters.requests,
                timeouts: counters.timeouts, exceptions: counters.exceptions,
                meanLatencyMilliseconds: counters.meanLatencyMilliseconds)
        }
        var status = LocalStatus(siteID: siteID, timestamp: now, packs: packs)
        if let forwarding = services.forwarding {
            status.brokerConnected = forwarding.client.isConnected
            if let stats = try? forwarding.forwarder.bufferStats() {
                status.bufferDepth = stats.depth
                status.bufferDropped = stats.dropped
                status.oldestUnsentAgeSeconds = stats.oldest.map { Double(now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000 }
            }
        }
        return status
    }

    /// The same figures in the Prometheus text format.
    func prometheus() -> String {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ unit: String, _ help: String, _ value: Double?, _ labels: [(String, String)] = []) {
            guard let value else { return }
            let descriptor = MetricNameDescriptor(namespace: "pulsebms", metricName: name, unitName: unit, helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
        }
        func counter(_ name: String, _ help: String, _ value: Int?, _ labels: [(String, String)] = []) {
            guard let value else { return }
            let descriptor = MetricNameDescriptor(namespace: "pulsebms", metricName: name, unitName: "total", helpText: help)
            registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: Int64(value))
        }
        for pack in packs {
            let labels = [("device_id", pack.deviceID)]
            gauge("pack_soc", "percent", "State of charge", pack.soc, labels)
            gauge("pack_cell_voltage_max", "volts", "Highest cell voltage", pack.cellVoltageMax, labels)
            gauge("pack_cell_voltage_min", "volts", "Lowest cell voltage", pack.cellVoltageMin, labels)
            gauge("pack_temperature_max", "celsius", "Highest temperature", pack.temperatureMax, labels)
            gauge("pack_active_alarms", "count", "Active alarms", Double(pack.activeAlarms.count), labels)
            gauge("pack_latched_faults", "count", "Latched critical faults", Double(pack.latchedRules.count), labels)
            counter("modbus_requests", "Modbus reads", pack.requests, labels)
            counter("modbus_timeouts", "Modbus reads that timed out", pack.timeouts, labels)
            counter("modbus_exceptions", "Modbus exception replies", pack.exceptions, labels)
        }
        gauge("broker_connected", "bool", "1 while the MQTT link is up", brokerConnected.map { $0 ? 1 : 0 })
        gauge("buffer_depth", "rows", "Samples waiting for the broker", bufferDepth.map(Double.init))
        gauge("buffer_oldest_unsent_age", "seconds", "Age of the oldest unsent sample", oldestUnsentAgeSeconds)
        counter("buffer_dropped", "Samples dropped because the buffer was full or too old", bufferDropped)
        return registry.emitToString()
    }
}
