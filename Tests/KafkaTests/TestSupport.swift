import Foundation
import Kafka
import Logging

/// Shared settings for tests against a ``MockCluster``: short timeouts so group operations
/// and failures resolve within seconds.
enum TestSupport {
    static let logger: Logger = {
        var logger = Logger(label: "kafka.test")
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }()

    static func producerConfig(_ cluster: MockCluster, _ extra: [String: String] = [:]) -> KafkaConfig {
        KafkaConfig([
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1",
            "reconnect.backoff.max.ms": "500", "retry.backoff.ms": "100",
        ]).merging(extra)
    }

    static func consumerConfig(_ cluster: MockCluster, group: String, _ extra: [String: String] = [:]) -> KafkaConfig {
        KafkaConfig([
            "bootstrap.servers": cluster.bootstrapServers, "group.id": group,
            "session.timeout.ms": "6000", "heartbeat.interval.ms": "300",
            "reconnect.backoff.max.ms": "500", "fetch.wait.max.ms": "50",
            "topic.metadata.refresh.interval.ms": "1000",
        ]).merging(extra)
    }

    /// Produces `count` records to each partition, value "p<partition>-<i>", key "k<i>".
    static func produce(_ producer: KafkaProducer, topic: String, partitions: Int32, count: Int) async throws {
        let records = (0..<partitions).flatMap { partition in
            (0..<count).map {
                KafkaRecord(
                    topic: topic, partition: partition, key: Array("k\($0)".utf8),
                    value: Array("p\(partition)-\($0)".utf8))
            }
        }
        for outcome in await producer.send(records) { _ = try outcome.get() }
    }

    /// A cluster with `topics` (name → partitions), each partition holding `count` records
    /// produced by ``produce(_:topic:partitions:count:)``.
    static func seededCluster(_ topics: [String: Int32], count: Int) async throws -> MockCluster {
        let cluster = try MockCluster(topics: topics.mapValues(Int.init))
        let producer = try KafkaProducer(config: producerConfig(cluster), logger: logger)
        for (topic, partitions) in topics {
            try await produce(producer, topic: topic, partitions: partitions, count: count)
        }
        await producer.close()
        return cluster
    }

    /// Polls until `done` holds for everything received, or `timeout` passes.
    static func poll(
        _ consumer: KafkaConsumer, timeout: Duration = .seconds(30),
        until done: ([KafkaMessage]) -> Bool
    ) async throws -> [KafkaMessage] {
        var received: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while !done(received), ContinuousClock.now < deadline {
            received += try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200))
        }
        return received
    }

    /// Offsets received per partition, in arrival order.
    static func offsets(_ messages: [KafkaMessage]) -> [TopicPartition: [Int64]] {
        Dictionary(grouping: messages, by: \.topicPartition).mapValues { $0.map(\.offset) }
    }

    static func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8))" }
}
