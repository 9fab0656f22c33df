// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "deploy-postmortem",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "deploy-postmortem", targets: ["deploy-postmortem"]),
        .executable(name: "deploy-postmortem-bench", targets: ["deploy-postmortem-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C module maps only.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
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

        // Throwaway PostgreSQL clusters for tests, benchmarks and the local demo.
        .target(name: "LocalPostgres"),

        // Wiring of the service: schema migrations, store, pipeline.
        .target(
            name: "PostmortemService",
            dependencies: [
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")]
        ),

        .executableTarget(
            name: "deploy-postmortem",
            dependencies: [
                "Postgres",
                "PostmortemCore",
                "PostmortemService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "deploy-postmortem-bench",
            dependencies: [
                "Postgres",
                "LocalPostgres",
                "PostmortemService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Shared by the test targets: the throwaway cluster and helpers.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", "LocalPostgres"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "PostmortemCoreTests",
            dependencies: ["PostmortemCore"]
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "LocalPostgres", "TestSupport"]
        ),
        .testTarget(
            name: "PostmortemServiceTests",
            dependencies: ["PostmortemService", "Postgres", "LocalPostgres", "TestSupport", "deploy-postmortem"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
