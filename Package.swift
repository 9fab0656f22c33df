// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "deploy-postmortem",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "deploy-postmortem", targets: ["deploy-postmortem"]),
        .executable(name: "deploy-postmortem-bench", targets: ["deploy-postmortem-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        // Already in the graph through Hummingbird; named for the HTTP connection guard.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        // Already in the graph through HummingbirdTesting; the Prometheus metric source's HTTP client.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        // Already in the graph through Hummingbird; the UI names header fields (cookies, proxy header).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // The web UI's server-rendered pages (templates compiled in, HTML-escaping by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // C module maps only.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // Kafka client over librdkafka: consumer, idempotent producer, config, mock cluster. No domain knowledge.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // PostgreSQL client over libpq. No domain knowledge.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Pure domain: decoding, timeline, correlation, gate analysis, action items, rendering. No I/O.
        .target(name: "PostmortemCore"),

        // Five realistic deploy stories as input events, for the demo and end-to-end tests.
        .target(name: "DemoScenarios", dependencies: ["PostmortemCore"]),

        // Throwaway PostgreSQL clusters (and Prometheus servers) for tests, benchmarks and the local demo.
        .target(name: "LocalPostgres"),

        // Wiring of the service: schema migrations, store, pipeline, outbox relay, HTTP API.
        .target(
            name: "PostmortemService",
            dependencies: [
                "Kafka",
                "Postgres",
                "PostmortemCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // OpenAPI/openapi.yaml links to docs/openapi.yaml: one document, compiled in.
            resources: [.copy("Migrations"), .embedInCode("OpenAPI/openapi.yaml")]
        ),

        .executableTarget(
            name: "deploy-postmortem",
            dependencies: [
                "DemoScenarios",
                "Kafka",
                "LocalPostgres",
                "Postgres",
                "PostmortemCore",
                "PostmortemService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(
            name: "deploy-postmortem-bench",
            dependencies: [
                "Kafka",
                .product(name: "Logging", package: "swift-log"),
                "Postgres",
                "LocalPostgres",
                "PostmortemService",
                "PostmortemCore",
                "DemoScenarios",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The UI benchmark's browser-like client.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // Shared by the test targets: the throwaway cluster and helpers.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", "LocalPostgres"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: [
                "Kafka", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "DemoScenariosTests",
            dependencies: ["DemoScenarios", "PostmortemCore"]
        ),
        .testTarget(
            name: "PostmortemCoreTests",
            dependencies: ["PostmortemCore"],
            // Vendored CDEvents schemas and conformance examples, read through #filePath.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "LocalPostgres", "TestSupport"]
        ),
        .testTarget(
            name: "PostmortemServiceTests",
            dependencies: [
                "PostmortemService", "PostmortemCore", "DemoScenarios", "Postgres", "Kafka", "LocalPostgres",
                "TestSupport", "deploy-postmortem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The UI's browser test puts an authenticating proxy in front of the service.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
