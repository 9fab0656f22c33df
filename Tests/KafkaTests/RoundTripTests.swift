import Kafka
import Testing

@Suite("Produce and consume")
struct RoundTripTests {
    @Test("round trip keeps keys, headers, binary values and per-partition order")
    func roundTrip() async throws {
        let cluster = try MockCluster(brokers: 3, topics: ["events": 3])
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        let binary: [UInt8] = Array(0...255) + [0, 0, 255]
        let records = (0..<60).map { index in
            KafkaRecord(
                topic: "events", key: Array("deploy-\(index % 7)".utf8),
                value: binary + [UInt8(index)],
                headers: [
                    KafkaHeader(name: "index", string: "\(index)"), KafkaHeader(name: "null", value: nil),
                    KafkaHeader(name: "bin", value: [0, 1, 0]),
                ])
        }
        let reports = try await producer.send(records).map { try $0.get() }
        await producer.close()

        let consumer = try KafkaConsumer(
            config: TestSupport.consumerConfig(cluster, group: "g"), topics: ["events"],
            logger: TestSupport.logger)
        let received = try await TestSupport.poll(consumer) { $0.count >= 60 }
        await consumer.close()

        #expect(received.count == 60)
        let byIndex = Dictionary(
            uniqueKeysWithValues: received.map {
                (String(decoding: $0.header("index")?.value ?? [], as: UTF8.self), $0)
            })
        for (index, record) in records.enumerated() {
            let message = try #require(byIndex["\(index)"])
            #expect(message.key == record.key)
            #expect(message.value == record.value)
            #expect(message.headers == record.headers)
            #expect(message.partition == reports[index].partition)
            #expect(message.offset == reports[index].offset)
            #expect(message.timestampMilliseconds != nil)
        }
        // Same key → same partition; within a partition, production order == offset order == arrival order.
        for (partition, offsets) in TestSupport.offsets(received) {
            #expect(offsets == Array(0..<Int64(offsets.count)), "partition \(partition)")
            let indices = received.filter { $0.topicPartition == partition }.map {
                Int(String(decoding: $0.header("index")!.value!, as: UTF8.self))!
            }
            #expect(indices == indices.sorted())
        }
        let partitionsByKey = Dictionary(grouping: received, by: { $0.key! }).mapValues { Set($0.map(\.partition)) }
        #expect(partitionsByKey.values.allSatisfy { $0.count == 1 })
    }

    @Test("a batch reports delivery failures per message")
    func batchFailuresPerMessage() async throws {
        let cluster = try MockCluster(topics: ["events": 2])
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        let outcomes = await producer.send([
            KafkaRecord(topic: "events", partition: 0, value: [1]),
            KafkaRecord(topic: "events", partition: 7, value: [2]),
            KafkaRecord(topic: "events", partition: 1, value: [3]),
        ])
        await producer.close()
        #expect(try outcomes[0].get() == DeliveryReport(topic: "events", partition: 0, offset: 0))
        #expect(try outcomes[2].get() == DeliveryReport(topic: "events", partition: 1, offset: 0))
        #expect(throws: KafkaError.self) { try outcomes[1].get() }
        if case .failure(let error) = outcomes[1] {
            #expect(error.kind == .delivery)
            #expect(error.code == .unknownPartition)
        }
    }
}

@Suite("Poll batches")
struct PollBatchTests {
    @Test("a lone message is handed over without waiting for the batch to fill")
    func loneMessageDoesNotWaitForMaxWait() async throws {
        let cluster = try MockCluster(topics: ["events": 1])
        let consumer = try KafkaConsumer(
            config: TestSupport.consumerConfig(cluster, group: "lone"), topics: ["events"],
            logger: TestSupport.logger)
        let deadline = ContinuousClock.now + .seconds(30)
        while try await consumer.assignment().isEmpty, ContinuousClock.now < deadline {
            _ = try await consumer.poll(maxMessages: 10, maxWait: .milliseconds(100))
        }
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        _ = try await producer.send(KafkaRecord(topic: "events", value: [42]))
        await producer.close()

        // Asking for 500 messages within 20 s must not wait the 20 s for the other 499.
        let started = ContinuousClock.now
        let messages = try await consumer.poll(maxMessages: 500, maxWait: .seconds(20))
        let waited = ContinuousClock.now - started
        await consumer.close()
        #expect(messages.map(\.value) == [[42]])
        #expect(waited < .seconds(10), "waited \(waited)")
    }

    @Test("maxBytes caps a batch; the message that crosses it is the last one")
    func maxBytesCapsTheBatch() async throws {
        let cluster = try MockCluster(topics: ["events": 1])
        let producer = try KafkaProducer(config: TestSupport.producerConfig(cluster), logger: TestSupport.logger)
        let records = (0..<20).map { KafkaRecord(topic: "events", value: Array(repeating: UInt8($0), count: 1000)) }
        for outcome in await producer.send(records) { _ = try outcome.get() }
        await producer.close()
        let consumer = try KafkaConsumer(
            config: TestSupport.consumerConfig(cluster, group: "bytes"), topics: ["events"],
            logger: TestSupport.logger)
        var batches: [[KafkaMessage]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while batches.joined().count < 20, ContinuousClock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 100, maxBytes: 2500, maxWait: .milliseconds(200))
            if !batch.isEmpty { batches.append(batch) }
        }
        await consumer.close()
        #expect(batches.joined().map { $0.value[0] } == (0..<20).map(UInt8.init))
        #expect(batches.allSatisfy { $0.count <= 3 && $0.dropLast().reduce(0) { $0 + $1.value.count } < 2500 })
        #expect(
            batches.contains { $0.count == 3 }, "a backlog fills batches up to the byte cap: \(batches.map(\.count))")
    }
}
