// swift-tools-version: 6.0
import PackageDescription

/// Every target compiles in Swift 6 language mode (complete strict concurrency is its default).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "PulseBMS",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BMSCore", targets: ["BMSCore"]),
        .executable(name: "pulsebms-agent", targets: ["EdgeAgent"]),
        .executable(name: "pulsebms-relay", targets: ["CloudRelay"]),
        .executable(name: "pulsebms-sim", targets: ["Simulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The relay's HTTP server (the chosen part).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // The relay's live streams (the chosen part), and its client for the streams' tests.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.0.0"),
        // Ed25519 and P-256 signature checks for the relay's JWTs, SHA-256 for API keys: no hand-rolled crypto.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // Already resolved through Hummingbird; named so the relay can run blocking SQLite calls on NIO's thread pool.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Already resolved through Hummingbird; named for the type of its HTTP/1 codec, which the relay's
        // HTTP/1.0 handler goes in front of.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: [
        // MARK: - C libraries from Debian's -dev packages
        .systemLibrary(
            name: "CMosquitto", path: "Sources/CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(
            name: "CModbus", path: "Sources/CModbus", pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(
            name: "CSocketCAN", path: "Sources/CSocketCAN", pkgConfig: "libsocketcan",
            providers: [.apt(["libsocketcan-dev"])]),

        // MARK: - Pure core shared by both programs
        .target(name: "BMSCore", swiftSettings: strict),

        // MARK: - Adapters shared by both programs
        .target(
            name: "PulseMQTT",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"],
            swiftSettings: strict),

        // MARK: - Programs
        .executableTarget(
            name: "EdgeAgent",
            dependencies: [
                "BMSCore", "PulseMQTT", "CModbus", "CSocketCAN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["Adapters/Modbus/README.md", "Adapters/SQLite/README.md", "RegisterMaps"],
            swiftSettings: strict),
        .executableTarget(
            name: "CloudRelay",
            dependencies: [
                "BMSCore", "PulseMQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Storage/SQLite/README.md"],
            resources: [
                .copy("OpenAPI/openapi.json"), .copy("Dashboard/index.html"), .copy("Dashboard/dashboard.css"),
                .copy("Dashboard/dashboard.js"),
            ],
            swiftSettings: strict),

        .executableTarget(
            name: "Simulator",
            dependencies: [
                "BMSCore", "CModbus", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),

        // MARK: - Benchmarks (a plain executable: figures, never assertions)
        .executableTarget(
            name: "PulseBMSBench", dependencies: ["BMSCore"], path: "Benchmarks/PulseBMSBench", swiftSettings: strict),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["BMSCore"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "BMSCoreTests", dependencies: ["BMSCore", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(
            name: "EdgeAgentTests", dependencies: ["EdgeAgent", "BMSCore", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CloudRelayTests",
            dependencies: [
                "CloudRelay", "BMSCore", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests", dependencies: ["BMSCore", "PulseMQTT", "TestSupport"],
            exclude: ["Peers"],
            swiftSettings: strict),
    ]
)
