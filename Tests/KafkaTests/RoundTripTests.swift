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
            KafkaRecord(topic: "events", key: Array("deploy-\(index % 7)".utf8),
                        value: binary + [UInt8(index)],
                        headers: [KafkaHeader(name: "index", string: "\(index)"), KafkaHeader(name: "null", value: nil),
                                  KafkaHeader(name: "bin", value: [0, 1, 0])])
        }
        let reports = try await producer.send(records).map { try $0.get() }
        await producer.close()

        let consumer = try KafkaConsumer(config: TestSupport.consumerConfig(cluster, group: "g"), topics: ["events"],
                                         logger: TestSupport.logger)
        let received = try await TestSupport.poll(consumer) { $0.count >= 60 }
        await consumer.close()

        #expect(received.count == 60)
        let byIndex = Dictionary(uniqueKeysWithValues: received.map { (String(decoding: $0.header("index")?.value ?? [], as: UTF8.self), $0) })
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
            let indices = received.filter { $0.topicPartition == partition }.map { Int(String(decoding: $0.header("index")!.value!, as: UTF8.self))! }
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
