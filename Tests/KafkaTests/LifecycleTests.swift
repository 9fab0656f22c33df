import Kafka
import Logging
import ServiceLifecycle
import Testing

@Suite("Service lifecycle")
struct LifecycleTests {
    @Test("graceful shutdown commits processed offsets, leaves the group and flushes the producer")
    func gracefulShutdown() async throws {
        let cluster = try MockCluster(topics: ["events": 1])
        let seed = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        for outcome in await seed.send((0..<10).map { KafkaRecord(topic: "events", value: [UInt8($0)]) }) {
            _ = try outcome.get()
        }
        await seed.close()

        let config = TestSupport.consumerConfig(cluster, group: "lifecycle", ["enable.auto.commit": "false"])
        let consumer = try KafkaConsumer(config: config, topics: ["events"], logger: TestSupport.logger)
        let producer = try KafkaProducer(
            config: TestSupport.producerConfig(cluster, ["linger.ms": "5000"]),
            logger: TestSupport.logger)
        let group = ServiceGroup(services: [consumer, producer], logger: TestSupport.logger)
        let running = Task { try await group.run() }

        let received = try await TestSupport.poll(consumer) { $0.count >= 10 }
        #expect(received.map(\.offset) == Array(0..<10))
        try consumer.markProcessed(received.prefix(4))
        let lingering = Task { try await producer.send(KafkaRecord(topic: "events", value: [99])) }
        try await Task.sleep(for: .milliseconds(200))

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(try await lingering.value.offset == 10)
        await #expect(throws: KafkaError.self) { try await consumer.poll() }

        let restarted = try KafkaConsumer(config: config, topics: ["events"], logger: TestSupport.logger)
        let resumed = try await TestSupport.poll(restarted) { $0.count >= 7 }
        #expect(resumed.map(\.offset) == Array(4..<11))
        await restarted.close()
    }
}
