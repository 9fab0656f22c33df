import Foundation
import Kafka
import Logging
import Postgres
import PostmortemService

/// A running service for the HTTP benchmarks: a mock Kafka cluster, the server on `port` over
/// `postgres`, and a random read token.
struct BenchServer {
    let broker: MockCluster
    let server: PostmortemServer
    let configuration: ServiceConfiguration
    /// A read token the server accepts.
    let token: String
    private let task: Task<Void, any Error>

    /// Starts the service (consumer group `group`) on `port`, its read pool of `readPoolSize`
    /// connections when given.
    init(postgres: PostgresConfiguration, port: Int, group: String, readPoolSize: Int? = nil) throws {
        broker = try MockCluster(topics: ServiceConfiguration.Topics().all(partitions: 6))
        token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var configuration = ServiceConfiguration(
            database: postgres,
            kafka: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "group.id": group, "linger.ms": "1"]))
        configuration.http.port = port
        if let readPoolSize { configuration.database.readPoolSize = readPoolSize }
        configuration.api.tokens = try APITokens(parsing: "bench:read:\(token)")
        self.configuration = configuration
        let server = try PostmortemServer(configuration: configuration, logger: logger)
        self.server = server
        task = Task { try await server.run(handlesSignals: false) }
    }

    /// Stops the service and the cluster.
    func stop() async {
        task.cancel()
        _ = await task.result
        broker.shutdown()
    }
}
