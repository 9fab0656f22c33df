import ArgumentParser
import Foundation
import Kafka
import Logging
import PostmortemService
import ServiceLifecycle

/// `deploy-postmortem dev-broker`: a local Kafka (librdkafka mock cluster) for development.
///
/// Prints the bootstrap servers as the first line on stdout, then runs until SIGINT/SIGTERM.
/// `kcat -b <bootstrap> -L` lists its topics.
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run an in-process Kafka mock cluster on 127.0.0.1 until SIGINT/SIGTERM.",
        discussion:
            "Without --topic it creates the service's topics: \(defaultTopics.map(\.description).joined(separator: ", "))."
    )

    /// The service's topics (docs/architecture.md §3), 3 partitions each.
    static let defaultTopics = ServiceConfiguration.Topics().names.map { TopicSpec(name: $0, partitions: 3) }

    @Option(help: "Number of brokers.")
    var brokers = 1

    @Option(name: .customLong("topic"), help: "Topic to create as name:partitions (repeatable; replaces the defaults).")
    var topics: [TopicSpec] = []

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
    }

    func run() async throws {
        let specs = topics.isEmpty ? Self.defaultTopics : topics
        let brokers = brokers
        let logger = {
            var logger = Logger(label: "dev-broker")
            logger.logLevel = .info
            return logger
        }()
        // The bootstrap line announces readiness: a supervisor may send SIGTERM right after it.
        try await ShutdownSignals.run(logger: logger) {
            let cluster = try MockCluster(
                brokers: brokers, topics: Dictionary(specs.map { ($0.name, $0.partitions) }) { _, last in last })
            // Unbuffered: the first line reaches a reading process immediately.
            FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
            logger.info(
                "mock cluster up", metadata: ["brokers": "\(brokers)", "topics": "\(specs.map(\.description))"])
            try? await gracefulShutdown()
            cluster.shutdown()
            logger.info("mock cluster stopped")
        }
    }
}

/// `name:partitions` as given to `--topic`.
struct TopicSpec: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let name: String
    let partitions: Int

    init(name: String, partitions: Int) {
        self.name = name
        self.partitions = partitions
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let partitions = Int(parts[1]), partitions > 0 else { return nil }
        self.init(name: String(parts[0]), partitions: partitions)
    }

    var description: String { "\(name):\(partitions)" }
}
