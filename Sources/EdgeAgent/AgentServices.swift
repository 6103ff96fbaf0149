import BMSCore
import Foundation
import Logging
import ServiceLifecycle

/// The agent's long-running work, built from a validated configuration.
struct AgentServices {
    var buses: [ModbusBus]
    var pollers: [DevicePoller<ContinuousClock>]
    var actionLog: ActionLog

    /// Builds buses, sources and pollers. Nothing is opened until the pollers run.
    static func build(
        configuration: AgentConfiguration, configurationDirectory: URL, stateDirectory: String?,
        logger: Logger
    ) throws -> AgentServices {
        let actionLog = ActionLog(path: stateDirectory.map { "\($0)/actions.jsonl" })
        var buses: [String: ModbusBus] = [:]
        for bus in configuration.buses {
            let endpoint: ModbusEndpoint
            if let tcp = bus.modbusTCP {
                endpoint = .tcp(host: tcp.host, port: tcp.port)
            } else if let rtu = bus.modbusRTU {
                endpoint = .rtu(device: rtu.device, baud: rtu.baud, parity: rtu.parity.letter, dataBits: rtu.dataBits, stopBits: rtu.stopBits)
            } else {
                continue  // validation guarantees one of the two
            }
            buses[bus.id] = ModbusBus(id: bus.id, endpoint: endpoint, responseTimeout: bus.responseTimeout)
        }
        var pollers: [DevicePoller<ContinuousClock>] = []
        for device in configuration.devices {
            guard let bus = buses[device.bus] else { continue }
            let source: any PackSource
            switch device.profile {
            case .sunspec:
                source = SunSpecPackSource(deviceID: device.deviceID, unitID: device.unitID, bus: bus)
            case .registerMap:
                let path = ConfigurationLoader.resolve(device.registerMap ?? "", relativeTo: configurationDirectory)
                source = RegisterMapPackSource(
                    deviceID: device.deviceID, unitID: device.unitID, map: try RegisterMapLoader.load(path: path), bus: bus)
            }
            pollers.append(
                DevicePoller(
                    deviceID: device.deviceID, source: source, limits: try device.safetyLimits(),
                    policy: configuration.safetyPolicy ?? .standard, interval: device.pollInterval, clock: ContinuousClock(),
                    now: { Timestamp(Date()) }, actionLog: actionLog, logger: logger))
        }
        return AgentServices(buses: Array(buses.values), pollers: pollers, actionLog: actionLog)
    }
}

/// Runs every poller until graceful shutdown, then stops the buses.
struct AcquisitionService: Service {
    let services: AgentServices
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for poller in services.pollers {
                    group.addTask { await poller.run() }
                    group.addTask { await logTransitions(of: poller) }
                }
            }
        }
        for bus in services.buses { bus.stop() }
    }

    private func logTransitions(of poller: DevicePoller<ContinuousClock>) async {
        for await update in poller.updates {
            for transition in update.verdict.transitions {
                logger.notice(
                    "Safety level changed",
                    metadata: [
                        "pack.id": "\(poller.deviceID)", "rule": "\(transition.ruleID)", "code": "\(transition.code)",
                        "from": "\(transition.from?.rawValue ?? "none")", "to": "\(transition.to?.rawValue ?? "none")",
                    ])
            }
        }
    }
}
