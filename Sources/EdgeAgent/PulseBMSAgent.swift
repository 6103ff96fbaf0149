import ArgumentParser

/// `pulsebms-agent`: the edge agent of a battery site.
@main
struct PulseBMSAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulsebms-agent",
        abstract: "PulseBMS edge agent: reads battery packs, protects them locally, and forwards their data.",
        discussion: """
            Runs on a site gateway. It polls packs over Modbus and CAN, checks every sample against the pack's \
            safety limits and acts locally, stores every sample until the MQTT broker has acknowledged it, and \
            executes cloud commands and power allocations only after local safety checks.

            README.md says what works so far.
            """,
        version: AgentVersion.current,
        subcommands: [RunCommand.self, StatusCommand.self, CheckConfigCommand.self, ProbeCommand.self, CanDecodeCommand.self, VersionCommand.self, BenchPollCommand.self, BenchForwardCommand.self])
}
