import BMSCore
import Foundation
import Logging
import PulseMQTT
import ServiceLifecycle

/// The agent's long-running work, built from a validated configuration.
struct AgentServices {
    var buses: [ModbusBus]
    var canBuses: [CANBus]
    var pollers: [DevicePoller<ContinuousClock>]
    var actionLog: ActionLog
    /// Present when the configuration names a broker.
    var forwarding: ForwardingService?

    /// Builds buses, sources and pollers. Nothing is opened until the pollers run.
    static func build(
        configuration: AgentConfiguration, configurationDirectory: URL, stateDirectory: String?,
        logger: Logger
    ) throws -> AgentServices {
        let actionLog = ActionLog(path: stateDirectory.map { "\($0)/actions.jsonl" })
        var buses: [String: ModbusBus] = [:]
        var canBuses: [String: CANBus] = [:]
        for bus in configuration.buses {
            if let tcp = bus.modbusTCP {
                buses[bus.id] = ModbusBus(id: bus.id, endpoint: .tcp(host: tcp.host, port: tcp.port), responseTimeout: bus.responseTimeout)
            } else if let rtu = bus.modbusRTU {
                let endpoint = ModbusEndpoint.rtu(
                    device: rtu.device, baud: rtu.baud, parity: rtu.parity.letter, dataBits: rtu.dataBits, stopBits: rtu.stopBits)
                buses[bus.id] = ModbusBus(id: bus.id, endpoint: endpoint, responseTimeout: bus.responseTimeout)
            } else if bus.isCAN {
                let devices = configuration.devices.filter { $0.bus == bus.id }
                canBuses[bus.id] = try CANLinks.bus(
                    bus, devices: devices, configurationDirectory: configurationDirectory, logger: logger)
            }
        }
        var pollers: [DevicePoller<ContinuousClock>] = []
        var sources: [any PackSource] = []
        for device in configuration.devices {
            let source: any PackSource
            if let bus = buses[device.bus], let unitID = device.unitID {
                switch device.profile {
                case .sunspec:
                    source = SunSpecPackSource(deviceID: device.deviceID, unitID: unitID, bus: bus)
                case .registerMap:
                    let path = ConfigurationLoader.resolve(device.registerMap ?? "", relativeTo: configurationDirectory)
                    source = RegisterMapPackSource(
                        deviceID: device.deviceID, unitID: unitID, map: try RegisterMapLoader.load(path: path), bus: bus)
                case .canbusBMS, .dbc:
                    continue  // validation puts CAN profiles on CAN buses only
                }
            } else if let bus = canBuses[device.bus] {
                source = try CANPackSource.make(device: device, bus: bus, configurationDirectory: configurationDirectory)
            } else {
                continue  // validation guarantees every device's bus exists
            }
            sources.append(source)
            pollers.append(
                DevicePoller(
                    deviceID: device.deviceID, source: source, limits: try device.safetyLimits(),
                    policy: configuration.safetyPolicy ?? .standard, interval: device.pollInterval, clock: ContinuousClock(),
                    now: { Timestamp(Date()) }, actionLog: actionLog, logger: logger))
        }
        // Every pack listens now: the CAN buses may start.
        for bus in canBuses.values { bus.start() }
        var forwarding: ForwardingService?
        if let mqtt = configuration.mqtt {
            let buffer = try SQLiteTelemetryBuffer(path: "\(stateDirectory ?? ".")/telemetry.sqlite")
            let birth = BirthAnnouncer(configuration: configuration)
            let client = try MosquittoClient(
                options: MQTTClientOptions(
                    host: mqtt.host, port: mqtt.port ?? 1883,
                    clientID: mqtt.clientID ?? "pulsebms-agent-\(configuration.siteID)",
                    keepAliveSeconds: mqtt.keepaliveSeconds ?? 30, username: mqtt.username, password: mqtt.password,
                    tls: mqtt.tls.map { MQTTTLSOptions(caFile: $0.caFile, certificateFile: $0.certFile, keyFile: $0.keyFile) },
                    will: birth.will()),
                logger: logger)
            let forwarder = TelemetryForwarder(siteID: configuration.siteID, buffer: buffer, client: client, logger: logger)
            // Subscribe before any poller runs, so no sample is missed.
            let streams = zip(pollers, configuration.devices).map { poller, device in
                (poller.makeUpdateStream(keeping: 10_000), device.firmwareVersion)
            }
            let packs = Dictionary(
                uniqueKeysWithValues: zip(configuration.devices, zip(pollers, sources)).map { device, pair in
                    (device.deviceID, CommandProcessor.Pack(poller: pair.0, source: pair.1))
                })
            // One store for both: commands set the runtime parameters, allocations honour the power limit and
            // maintenance. Allocations first: a parameter change re-clamps the allocation in force before its
            // command completes (the commands hold the allocations, never the other way round).
            let commandStore = try CommandStore(path: "\(stateDirectory ?? ".")/commands.sqlite")
            let allocations = AllocationProcessor(
                configuration: configuration, packs: packs, store: commandStore, client: client, logger: logger)
            let commands = CommandProcessor(
                siteID: configuration.siteID, packs: packs, store: commandStore, client: client, birth: birth, logger: logger,
                onParametersChanged: { deviceID in try await allocations.reapply(deviceID: deviceID) })
            forwarding = ForwardingService(
                forwarder: forwarder, client: client, streams: streams, birth: birth, commands: commands,
                allocations: allocations, siteID: configuration.siteID, logger: logger, pollers: pollers,
                healthInterval: .milliseconds(Int64(configuration.healthIntervalSeconds ?? 60) * 1000))
        }
        return AgentServices(
            buses: Array(buses.values), canBuses: Array(canBuses.values), pollers: pollers, actionLog: actionLog, forwarding: forwarding)
    }
}

/// Forwards every poller's samples through the buffer to the broker, and replays the backlog.
///
/// It runs until the pollers' streams end (acquisition stops first on shutdown), then stops the MQTT client.
struct ForwardingService: Service {
    let forwarder: TelemetryForwarder
    let client: MosquittoClient
    let streams: [(AsyncStream<PollUpdate>, String?)]
    let birth: BirthAnnouncer
    let commands: CommandProcessor
    let allocations: AllocationProcessor
    let siteID: String
    let logger: Logger
    /// Every pack's poller, for the periodic health report.
    var pollers: [DevicePoller<ContinuousClock>] = []
    var healthInterval: Duration = .seconds(60)

    func run() async throws {
        client.start()
        let client = client
        let birth = birth
        let logger = logger
        let commands = commands
        let allocations = allocations
        let filters = (try? TopicIdentifier(siteID)).map { TopicFilter.agentSubscriptions(site: $0) } ?? []
        // On every connect: subscribe to commands and allocations, and announce the agent and every pack.
        let announcing = Task {
            for await event in client.connectionEvents {
                guard case .connected = event else { continue }
                do {
                    for filter in filters { try await client.subscribe(filter.rawValue) }
                    try await birth.announce(on: client, status: .online)
                    // The birth's coordinator status carries no allocation: the one in force follows it.
                    await allocations.announce()
                } catch {
                    logger.warning("Birth announcement failed", metadata: ["error": "\(error)"])
                }
            }
        }
        // Allocations are applied in order (a newer one replaces an older one) by their own task, so that the
        // message loop never waits behind setpoint writes or a status publish.
        let allocating = Task { await allocations.run() }
        // Local protection binds the allocation in force as soon as a poll moves a pack's limits.
        let reclamping = Task { [pollers] in
            await withTaskGroup(of: Void.self) { group in
                for poller in pollers {
                    let updates = poller.makeUpdateStream(keeping: 1)
                    group.addTask {
                        for await _ in updates { await allocations.packPolled(deviceID: poller.deviceID) }
                    }
                }
            }
        }
        // Each command runs in its own task, so an emergency shutdown never waits behind another command.
        let handling = Task {
            await withTaskGroup(of: Void.self) { group in
                for await message in client.messages {
                    if case .coordinator(_, .allocation)? = try? MQTTTopic(parsing: message.topic) {
                        allocations.submit(message)
                    } else {
                        group.addTask { await commands.handle(message) }
                    }
                }
            }
        }
        let health = Task { [pollers, healthInterval, forwarder, siteID] in
            let started = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: healthInterval)
                guard client.isConnected else { continue }
                let latest = pollers.compactMap(\.latest)
                let stats = try? forwarder.bufferStats()
                let elapsed = ContinuousClock.now - started
                let report = SystemHealthMessage(
                    timestamp: Timestamp(Date()), siteID: siteID, agentVersion: AgentVersion.current,
                    uptimeSeconds: Double(elapsed.components.seconds), packsTotal: pollers.count,
                    packsReachable: latest.filter(\.fresh).count, activeAlarms: latest.map(\.verdict.alarms.count).reduce(0, +),
                    latchedFaults: latest.map(\.verdict.latchedRuleIDs.count).reduce(0, +), bufferDepth: stats?.depth ?? 0,
                    bufferDropped: stats?.dropped ?? 0)
                if let payload = try? WireCoding.encode(report) {
                    try? await client.publish(MQTTTopic.system(.health).path, payload: Array(payload), qos: .atMostOnce)
                }
            }
        }
        defer {
            announcing.cancel()
            handling.cancel()
            allocations.finish()
            allocating.cancel()
            reclamping.cancel()
            health.cancel()
        }
        await withTaskGroup(of: Void.self) { outer in
            outer.addTask {
                // After shutdown starts, outstanding publishes get a few seconds for their PUBACK; then the
                // client stops and whatever was not acknowledged stays in the buffer for the next start.
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: .seconds(5))
                    await client.stop()
                } catch {
                    return  // everything finished first
                }
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await cancelWhenGracefulShutdown { await forwarder.drain() }
                }
                for (stream, firmware) in streams {
                    group.addTask { await forwarder.forward(stream, firmwareVersion: firmware) }
                }
            }
            outer.cancelAll()
        }
        // A clean stop says goodbye itself (the broker discards the Will on a normal disconnect) — for at most a
        // few seconds: a broker that vanishes mid-goodbye never acknowledges it, and must not hold the stop.
        if client.isConnected {
            let (finished, finish) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let goodbye = Task {
                try? await birth.announce(on: client, status: .offline)
                finish.yield()
            }
            let deadline = Task {
                try? await Task.sleep(for: .seconds(3))
                finish.yield()
            }
            for await _ in finished { break }
            goodbye.cancel()
            deadline.cancel()
        }
        await client.stop()
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
        for bus in services.canBuses { bus.stop() }
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

/// Tells systemd the agent is ready, and pings its watchdog only while every poller is alive: each has
/// started a read within twice its longest back-off. A dead pack does not stop the pings (its poller keeps
/// retrying); a poller stuck for good does, and systemd restarts the agent.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let pollers: [DevicePoller<ContinuousClock>]

    func run() async throws {
        notifier.notify("READY=1")
        guard let interval = notifier.watchdogInterval else {
            try? await gracefulShutdown()
            notifier.notify("STOPPING=1")
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let now = ContinuousClock.now
                if pollers.allSatisfy({ now - $0.lastAttempt < ($0.maximumBackoff + $0.interval) * 2 }) {
                    notifier.notify("WATCHDOG=1")
                }
            }
        }
        notifier.notify("STOPPING=1")
    }
}
