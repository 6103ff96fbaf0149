import ArgumentParser

/// `pulsebms-relay`: the cloud side of PulseBMS.
@main
struct PulseBMSRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulsebms-relay",
        abstract: "PulseBMS cloud relay: ingests many sites' MQTT streams and serves the REST and WebSocket API.",
        discussion: """
            Subscribes to the sites' telemetry, status and command responses, stores them, serves the API of \
            the spec with authentication and rate limits, and forwards commands and power allocations to sites.

            This early build does none of that yet; README.md says what works so far.
            """,
        version: "0.1.0")
}
