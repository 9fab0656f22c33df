internal import CRdKafka
import Logging
import Synchronization

/// A consumer-group member subscribed to one or more topics, polled in batches.
///
/// Delivery is at-least-once: offsets are stored only by ``markProcessed(_:)``
/// (`enable.auto.offset.store=false` is forced), committed periodically by librdkafka
/// (`enable.auto.commit`, default on), and committed synchronously when partitions are revoked
/// and on ``close()``. Rebalances work with eager (`range`, `roundrobin`) and
/// `cooperative-sticky` assignment.
///
/// Every blocking librdkafka call runs on the consumer's own thread, never on Swift's
/// cooperative pool. Non-fatal errors (broker down, …) are logged and published on ``errors``
/// while librdkafka keeps retrying; fatal ones are thrown by ``poll(maxMessages:maxWait:)``.
public final class KafkaConsumer: Sendable {
    /// Defaults applied under the caller's configuration.
    static let defaults = [
        "enable.auto.commit": "true", "auto.offset.reset": "earliest", "enable.partition.eof": "false",
    ]

    /// Non-fatal errors reported by librdkafka (newest 100 kept while nobody reads).
    public let errors: AsyncStream<KafkaError>
    let logger: Logger
    private let thread: DedicatedThread
    private let handles: Mutex<ConsumerHandles?>

    /// Creates the consumer and subscribes it to `topics`.
    /// - Parameters:
    ///   - config: librdkafka properties; `group.id` and `bootstrap.servers` are required.
    ///   - topics: topics to subscribe to.
    ///   - logger: receives librdkafka logs, errors and rebalance events.
    /// - Throws: ``KafkaError`` of kind ``KafkaError/Kind/configuration`` for a bad property.
    public init(config: KafkaConfig, topics: [String], logger: Logger = Logger(label: "kafka.consumer")) throws {
        guard config.groupID?.isEmpty == false else {
            throw KafkaError(kind: .configuration, message: "group.id is required", property: "group.id")
        }
        let effective = KafkaConfig(Self.defaults).merging(config.properties).merging([
            "enable.auto.offset.store": "false"
        ])
        let (errors, continuation) = AsyncStream.makeStream(of: KafkaError.self, bufferingPolicy: .bufferingNewest(100))
        var logger = logger
        logger[metadataKey: "kafka.group"] = "\(config.groupID ?? "")"
        let context = CallbackContext(
            logger: logger, errors: continuation, cooperativeRebalance: Rebalance.isCooperative(effective))
        let client = try NativeClient(config: effective, type: RD_KAFKA_CONSUMER, context: context) {
            Rebalance.install(on: $0)
        }
        self.handles = Mutex(try ConsumerHandles(client: client, topics: topics))
        self.errors = errors
        self.logger = logger
        self.thread = DedicatedThread(name: "kafka-consumer")
    }

    /// Waits up to `maxWait` for the first message, then returns it with the messages already
    /// fetched (up to `maxMessages` and about `maxBytes` of values in all, the message that
    /// crosses `maxBytes` included; in partition order) without waiting for more.
    ///
    /// Also serves rebalances; call it at least every `max.poll.interval.ms` (paused partitions
    /// included) to stay in the group. An empty array means nothing arrived within `maxWait`.
    /// - Throws: a fatal ``KafkaError``, or ``KafkaError/closed``.
    public func poll(maxMessages: Int = 500, maxBytes: Int = .max, maxWait: Duration = .milliseconds(100)) async throws
        -> [KafkaMessage]
    {
        let timeout = maxWait.milliseconds
        let limit = max(1, maxMessages)
        return try await onThread {
            try $0.consumeBatch(maxMessages: limit, maxBytes: maxBytes, timeoutMilliseconds: timeout)
        }
    }

    /// Stores the offset after the highest given message of each partition, so the next commit
    /// (periodic, on revoke or on close) records them as processed. Does not block.
    /// - Returns: partitions whose offsets were not stored because they are no longer assigned
    ///   to this consumer (their messages will be redelivered to the new owner).
    /// - Throws: ``KafkaError/closed``.
    @discardableResult
    public func markProcessed(_ messages: some Sequence<KafkaMessage>) throws -> [TopicPartition] {
        let next = ProcessedOffsets(messages).next
        guard !next.isEmpty else { return [] }
        return try handles.withLock { handles in
            guard let handles else { throw KafkaError.closed }
            let list = NativePartitionList(next.map { ($0.key, $0.value) })
            rd_kafka_offsets_store(handles.client.pointer, list.pointer)
            return list.entries.filter { $0.error != .noError }.map(\.topicPartition).sorted()
        }
    }

    /// Commits the stored offsets now (synchronously, on the consumer thread).
    /// - Throws: the commit failure, or ``KafkaError/closed``.
    public func commit() async throws {
        try await onThread { handles in
            if let error = Rebalance.commitStoredOffsets(handles.client.pointer) { throw error }
        }
    }

    /// Commits stored offsets, leaves the group (`rd_kafka_consumer_close`, which revokes and
    /// commits again) and releases the client. Later calls do nothing.
    public func close() async {
        let closing: ConsumerHandles? = handles.withLock { handles in
            defer { handles = nil }
            return handles
        }
        guard let closing else { return }
        _ = try? await thread.run { [logger] in
            if let error = Rebalance.commitStoredOffsets(closing.client.pointer) {
                logger.warning("commit on close failed", metadata: ["error": "\(error)"])
            }
            let code = rd_kafka_consumer_close(closing.client.pointer)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("consumer close failed", metadata: ["error": "\(KafkaErrorCode(code).name)"])
            }
            closing.destroy()
            logger.info("consumer closed")
        }
        thread.stop()
    }

    deinit { thread.stop() }

    /// Runs `body` on the consumer thread with the live handles.
    func onThread<T: Sendable>(_ body: @escaping @Sendable (ConsumerHandles) throws -> T) async throws -> T {
        try await thread.run { [self] in
            guard let live = handles.withLock({ $0 }) else { throw KafkaError.closed }
            return try body(live)
        }
    }
}
