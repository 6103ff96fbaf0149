import ArgumentParser
import CModbus
import CMosquitto

enum AgentVersion {
    static let current = "0.1.0"
}

/// `pulsebms-agent version`: the agent's version and the C libraries it runs with, for support tickets.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the agent's version and the versions of its C libraries.")

    func run() {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        print("pulsebms-agent \(AgentVersion.current)")
        print("libmosquitto \(major).\(minor).\(revision)")
        print("libmodbus \(libmodbus_version_major).\(libmodbus_version_minor).\(libmodbus_version_micro)")
    }
}
