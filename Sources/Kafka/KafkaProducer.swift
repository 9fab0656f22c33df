internal import CRdKafka
import Logging
import Synchronization

/// A producer that awaits delivery reports, idempotent by default (`enable.idempotence=true`).
///
/// Messages are copied into librdkafka's queue without blocking; a dedicated thread serves
/// delivery reports (`rd_kafka_poll`) and runs ``flush(timeout:)`` and ``close(timeout:)``,
/// so Swift's cooperative pool never blocks. A message that cannot be delivered within
/// `message.timeout.ms` fails with ``KafkaErrorCode/messageTimedOut``.
public final class KafkaProducer: Sendable {
    /// Defaults applied under the caller's configuration.
    static let defaults = ["enable.idempotence": "true"]

    /// Non-fatal errors reported by librdkafka (newest 100 kept while nobody reads).
    public let errors: AsyncStream<KafkaError>
    private let logger: Logger
    private let thread: DedicatedThread
    private let client: Mutex<NativeClient?>

    /// Creates the producer.
    /// - Parameters:
    ///   - config: librdkafka properties; `bootstrap.servers` is required.
    ///   - logger: receives librdkafka logs and errors.
    /// - Throws: ``KafkaError`` of kind ``KafkaError/Kind/configuration`` for a bad property.
    public init(config: KafkaConfig, logger: Logger = Logger(label: "kafka.producer")) throws {
        let (errors, continuation) = AsyncStream.makeStream(of: KafkaError.self, bufferingPolicy: .bufferingNewest(100))
        let context = CallbackContext(logger: logger, errors: continuation)
        let native = try NativeClient(
            config: KafkaConfig(Self.defaults).merging(config.properties),
            type: RD_KAFKA_PRODUCER, context: context
        ) { DeliveryTicket.install(on: $0) }
        self.client = Mutex(native)
        self.errors = errors
        self.logger = logger
        self.thread = DedicatedThread(name: "kafka-producer") { rd_kafka_poll(native.pointer, 100) }
    }

    /// Produces one record and waits for its delivery report. Cancellation does not recall a
    /// queued message (its report still arrives within `message.timeout.ms`); a cancelled task
    /// stops waiting for room in a full queue and gets ``KafkaErrorCode/queueFull``.
    /// - Throws: ``KafkaError`` of kind ``KafkaError/Kind/delivery`` if it was not delivered.
    public func send(_ record: KafkaRecord) async throws -> DeliveryReport {
        try await send([record])[0].get()
    }

    /// Produces `records` in order and waits for all delivery reports.
    /// - Returns: one outcome per record, in the same order; failures are per message.
    public func send(_ records: [KafkaRecord]) async -> [Result<DeliveryReport, KafkaError>] {
        let batch = DeliveryBatch(count: records.count)
        for (index, record) in records.enumerated() {
            await enqueue(record, ticket: DeliveryTicket(batch: batch, index: index))
        }
        return await batch.outcomes()
    }

    /// Enqueues one record, waiting while librdkafka's local queue is full.
    private func enqueue(_ record: KafkaRecord, ticket: DeliveryTicket) async {
        while true {
            let opaque = Unmanaged.passRetained(ticket)
            let code = client.withLock { client -> KafkaErrorCode in
                guard let client else { return .purgedQueue }
                return NativeProduce.enqueue(client.pointer, record, opaque: opaque.toOpaque())
            }
            guard code != .noError else { return }
            opaque.release()
            if code == .queueFull, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(1))
                continue
            }
            let error =
                code == .purgedQueue
                ? KafkaError.closed
                : KafkaError(kind: .delivery, code: code, message: "cannot produce to \(record.topic): \(code)")
            ticket.batch.complete(ticket.index, .failure(error))
            return
        }
    }

    /// Waits until every queued message is delivered or failed.
    /// - Throws: ``KafkaError`` if messages remain after `timeout`, or ``KafkaError/closed``.
    public func flush(timeout: Duration = .seconds(10)) async throws {
        try await thread.run { [self] in
            guard let native = client.withLock({ $0 }) else { throw KafkaError.closed }
            let code = rd_kafka_flush(native.pointer, timeout.milliseconds)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(
                    kind: .client, code, context: "flush: \(rd_kafka_outq_len(native.pointer)) messages left")
            }
        }
    }

    /// Asks the cluster for its brokers — a Metadata request to whichever broker answers — which
    /// proves that at least one broker is reachable; a health check that works with any Kafka.
    /// Runs on the producer's thread (so it never races ``close(timeout:)``): delivery reports
    /// wait while it does, at most `timeout`, and only that long when no broker answers.
    /// - Returns: how many brokers the cluster reports.
    /// - Throws: ``KafkaError`` when no broker answered within `timeout`, or ``KafkaError/closed``.
    public func brokerCount(timeout: Duration) async throws -> Int {
        try await thread.run { [self] in
            guard let native = client.withLock({ $0 }) else { throw KafkaError.closed }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let code = rd_kafka_metadata(native.pointer, 0, nil, &metadata, timeout.milliseconds)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(kind: .client, code, context: "metadata request")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            return Int(metadata.pointee.broker_cnt)
        }
    }

    /// Flushes for up to `timeout`, fails what is still queued (``KafkaErrorCode/purgedQueue``),
    /// and releases the client. Later calls do nothing.
    public func close(timeout: Duration = .seconds(10)) async {
        let closing: NativeClient? = client.withLock { client in
            defer { client = nil }
            return client
        }
        guard let closing else { return }
        _ = try? await thread.run { [logger, thread] in
            thread.stop()
            if rd_kafka_flush(closing.pointer, timeout.milliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning(
                    "producer closed with undelivered messages",
                    metadata: ["count": "\(rd_kafka_outq_len(closing.pointer))"])
                rd_kafka_purge(closing.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                rd_kafka_flush(closing.pointer, 1000)
            }
            closing.destroy()
            logger.info("producer closed")
        }
    }

    deinit { thread.stop() }
}
