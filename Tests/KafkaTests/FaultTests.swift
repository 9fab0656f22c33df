import Kafka
import Testing

@Suite("Broker failures")
struct FaultTests {
    @Test("broker down then up: an undeliverable produce fails by its timeout, then producer and consumer recover")
    func brokerDownThenUp() async throws {
        let cluster = try MockCluster(topics: ["events": 1])
        let producer = try KafkaProducer(
            config: TestSupport.producerConfig(cluster, ["message.timeout.ms": "3000"]),
            logger: TestSupport.logger)
        let consumer = try KafkaConsumer(
            config: TestSupport.consumerConfig(cluster, group: "faults"), topics: ["events"],
            logger: TestSupport.logger)
        #expect(try await producer.send(KafkaRecord(topic: "events", value: Array("before".utf8))).offset == 0)
        let before = try await TestSupport.poll(consumer) { !$0.isEmpty }
        #expect(before.map(\.value) == [Array("before".utf8)])
        try consumer.markProcessed(before)
        try await consumer.commit()

        try cluster.setBrokerDown()
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaRecord(topic: "events", value: Array("lost".utf8)))
        }
        #expect(error?.kind == .delivery)
        #expect(error?.code == .messageTimedOut)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try await consumer.poll(maxWait: .milliseconds(500)).isEmpty)

        try cluster.setBrokerUp()
        let report = try await producer.send(KafkaRecord(topic: "events", value: Array("after".utf8)))
        #expect(report.offset == 1)
        let after = try await TestSupport.poll(consumer, timeout: .seconds(90)) { !$0.isEmpty }
        #expect(after.map(\.offset) == [1])
        #expect(after.map(\.value) == [Array("after".utf8)])
        await consumer.close()
        await producer.close()
    }

    @Test("injected produce errors are retried transparently by the idempotent producer")
    func injectedProduceErrors() async throws {
        let cluster = try MockCluster(topics: ["events": 1])
        try cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        let reports = try await producer.send((0..<5).map { KafkaRecord(topic: "events", value: [UInt8($0)]) }).map {
            try $0.get()
        }
        #expect(reports.map(\.offset) == [0, 1, 2, 3, 4])
        await producer.close()
    }

    @Test("brokerCount answers while a broker does, throws within its timeout while none does, and recovers")
    func brokerCountFollowsTheBrokers() async throws {
        let cluster = try MockCluster(brokers: 3, topics: ["events": 1])
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        #expect(try await producer.brokerCount(timeout: .seconds(5)) == 3)

        try cluster.setBrokerDown(2)
        #expect(try await producer.brokerCount(timeout: .seconds(5)) >= 1, "one broker down is not an outage")

        try cluster.setBrokerDown()
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) { try await producer.brokerCount(timeout: .seconds(1)) }
        #expect(error?.kind == .client)
        #expect(ContinuousClock.now - start < .seconds(3), "gave up after \(ContinuousClock.now - start)")

        try cluster.setBrokerUp()
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? await producer.brokerCount(timeout: .seconds(1))) != 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try await producer.brokerCount(timeout: .seconds(1)) == 3)
        await producer.close()
        await #expect(throws: KafkaError.self) { try await producer.brokerCount(timeout: .seconds(1)) }
    }
}
