import ArgumentParser
import BMSCore
import Foundation
import Logging
import ServiceLifecycle

/// `pulsebms-agent run --config FILE`: polls and protects the configured packs until SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Poll and protect the configured packs (no network needed).")

    @Option(help: "The agent configuration file (YAML).")
    var config: String

    @Option(name: .customLong("state-dir"), help: "Where the local action record is kept.")
    var stateDirectory: String = "."

    func run() async throws {
        // A peer that went away (a status client that reset its connection) must cost a failed write, not the
        // process: SIGPIPE's default action would end the agent, and the packs' protection with it.
        signal(SIGPIPE, SIG_IGN)
        let logger = Logger(label: "pulsebms.agent")
        let configuration: AgentConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: config)
        } catch {
            for problem in error.fieldErrors { printError("\(config): \(problem)") }
            throw ExitCode(1)
        }
        let services = try AgentServices.build(
            configuration: configuration, configurationDirectory: URL(fileURLWithPath: config).deletingLastPathComponent(),
            stateDirectory: stateDirectory, logger: logger)
        logger.info("Agent started", metadata: ["site": "\(configuration.siteID)", "devices": "\(services.pollers.count)"])
        // Shutdown runs in reverse: acquisition stops first, forwarding (and the buffer) last.
        var group: [any Service] = []
        if let forwarding = services.forwarding { group.append(forwarding) }
        group.append(AcquisitionService(services: services, logger: logger))
        let statusPort = configuration.statusPort ?? 9721
        if statusPort != 0 {
            group.append(StatusService(siteID: configuration.siteID, services: services, port: statusPort, logger: logger))
        }
        if let notifier = SystemdNotifier.fromEnvironment() {
            group.append(SystemdService(notifier: notifier, pollers: services.pollers))
        }
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: group.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
    }
}
