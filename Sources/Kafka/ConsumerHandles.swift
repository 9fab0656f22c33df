internal import CRdKafka
import Synchronization

/// A subscribed consumer's `rd_kafka_t` and its consumer queue.
final class ConsumerHandles: @unchecked Sendable {
    let client: NativeClient
    let queue: OpaquePointer
    private let destroyed = Atomic(false)

    init(client: NativeClient, topics: [String]) throws {
        rd_kafka_poll_set_consumer(client.pointer)
        let subscription = NativePartitionList(
            topics.map { (TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), nil) })
        let code = rd_kafka_subscribe(client.pointer, subscription.pointer)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(kind: .client, code, context: "subscribe to \(topics) failed")
        }
        guard let queue = rd_kafka_queue_get_consumer(client.pointer) else {
            throw KafkaError(kind: .client, code: .state, message: "no consumer queue")
        }
        self.client = client
        self.queue = queue
    }

    /// Blocks up to `timeoutMilliseconds` for the first message, then takes the messages already
    /// fetched, up to `maxMessages` and about `maxBytes` of values in all, without waiting for
    /// more: a lone message is handed over at once (latency), a backlog in full batches
    /// (throughput). Error events go to the client's logger and error stream.
    func consumeBatch(maxMessages: Int, maxBytes: Int, timeoutMilliseconds: Int32) throws -> [KafkaMessage] {
        guard let first = rd_kafka_consume_queue(queue, timeoutMilliseconds) else {
            if let fatal = KafkaError.fatal(of: client.pointer) { throw fatal }
            return []
        }
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxMessages)
        defer { buffer.deallocate() }
        buffer[0] = first
        var count = 1
        var bytes = first.pointee.len
        while count < maxMessages, bytes < maxBytes, let next = rd_kafka_consume_queue(queue, 0) {
            buffer[count] = next
            count += 1
            bytes += next.pointee.len
        }
        var messages: [KafkaMessage] = []
        messages.reserveCapacity(count)
        var topicNames: [OpaquePointer: String] = [:]
        for index in 0..<count {
            guard let message = buffer[index] else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                report(message)
                continue
            }
            let topic =
                message.pointee.rkt.map { rkt in
                    topicNames[rkt]
                        ?? {
                            let name = String(cString: rd_kafka_topic_name(rkt))
                            topicNames[rkt] = name
                            return name
                        }()
                } ?? ""
            messages.append(KafkaMessage(copying: message, topicName: topic))
        }
        if let fatal = KafkaError.fatal(of: client.pointer) { throw fatal }
        return messages
    }

    private func report(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let error = KafkaError(
            kind: .client, code: KafkaErrorCode(message.pointee.err),
            message: String(cString: rd_kafka_message_errstr(message)))
        client.context.logger.warning("consumer error", metadata: ["error": "\(error)"])
        client.context.errors.yield(error)
    }

    /// Releases the queue, then destroys the client (blocking; call on the consumer thread).
    func destroy() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_queue_destroy(queue)
        client.destroy()
    }

    deinit { destroy() }
}
