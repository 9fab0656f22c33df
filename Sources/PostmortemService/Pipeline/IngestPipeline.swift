import Foundation
import Kafka
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle
import Synchronization

/// The consumer side of the service: polls batches from the input topics, applies each batch
/// in one PostgreSQL transaction and only then marks its messages processed, so offsets are
/// committed strictly after the effects are durable (at-least-once in, exactly-once effect).
///
/// Undecodable or invalid messages go to the dead-letter topic with the error in headers; so
/// does a message the database rejects on its own (found by re-applying a failed batch one
/// message at a time). A database or broker outage pauses progress: the batch is retried with
/// backoff and nothing is committed until it succeeds.
public final class IngestPipeline: Service, Sendable {
    /// Settings of the pipeline.
    public struct Settings: Sendable {
        /// Messages per batch (one transaction).
        public var maxBatch = 1000
        /// Bytes of message values per batch (about: the message crossing it is included), so
        /// batches of large metric events stay small enough to decode one while the previous
        /// one is in the database.
        public var maxBatchBytes = 4 << 20
        /// How long a poll waits for the first message.
        public var pollWait: Duration = .milliseconds(100)
        /// The dead-letter topic.
        public var deadLetterTopic = "deploy.postmortem.dlq"
        /// Backoff bounds while the database or the broker is unavailable.
        public var minBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(5)

        /// Default settings.
        public init() {}
    }

    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let pool: PostgresPool
    private let applier: BatchApplier
    private let decoder: EventDecoder
    private let settings: Settings
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Observable state for readiness and metrics.
    public let health = PipelineHealth()
    private let metrics: ServiceMetrics

    init(
        consumer: KafkaConsumer, producer: KafkaProducer, pool: PostgresPool, applier: BatchApplier,
        decoder: EventDecoder, settings: Settings, metrics: ServiceMetrics, clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.metrics = metrics
        self.consumer = consumer
        self.producer = producer
        self.pool = pool
        self.applier = applier
        self.decoder = decoder
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Consumes until graceful shutdown (or cancellation), then finishes the batch in hand,
    /// commits and leaves the group.
    ///
    /// The next batch is polled and decoded while the current one is in the database, so
    /// decoding runs on another core. A batch prefetched when the loop stops is dropped
    /// unprocessed: its offsets were never stored, so it is redelivered.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            var prefetched: Task<DecodedBatch, any Error>?
            defer { prefetched?.cancel() }
            while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                let batch: DecodedBatch
                if let prefetched { batch = try await prefetched.value } else { batch = try await pollAndDecode() }
                prefetched = nil
                guard !batch.messages.isEmpty else { continue }
                prefetched = Task { try await self.pollAndDecode() }
                guard await handle(batch) else { break }
                try consumer.markProcessed(batch.messages)
            }
            // The consumer closes below: let a poll in flight finish first.
            _ = try? await prefetched?.value
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
        await consumer.close()
    }

    /// Lag of the partitions assigned to this replica (for `/metrics`). It runs on the
    /// consumer's thread between polls, so broker questions get 100 ms at most: a slow broker
    /// leaves a partition's lag unknown rather than stalling consumption.
    func consumerLag() async throws -> [PartitionLag] {
        try await consumer.lag(timeout: .milliseconds(100))
    }

    /// A polled batch, decoded: what to apply and what to dead-letter.
    struct DecodedBatch: Sendable {
        var messages: [KafkaMessage]
        var accepted: [(message: KafkaMessage, event: AcceptedEvent)] = []
        var deadLetters: [DeadLetter] = []
    }

    private func pollAndDecode() async throws -> DecodedBatch {
        decode(try await consumer.poll(maxMessages: settings.maxBatch, maxBytes: settings.maxBatchBytes, maxWait: settings.pollWait))
    }

    /// Decodes `messages`; those that fail go to the dead-letter list with the reason.
    func decode(_ messages: [KafkaMessage]) -> DecodedBatch {
        var batch = DecodedBatch(messages: messages)
        let now = clock()  // bounds future timestamps
        for message in messages {
            let raw = RawEvent(value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) })
            do {
                let origin = DeployEventStore.Origin(topic: message.topic, partition: message.partition, offset: message.offset)
                batch.accepted.append((message, AcceptedEvent(event: try decoder.decode(raw, now: now), raw: raw, origin: origin)))
            } catch {
                batch.deadLetters.append(DeadLetter(message: message, error: error.description, kind: "invalid"))
            }
        }
        return batch
    }

    /// Applies one batch and dead-letters what must be. Returns false when shutdown interrupted
    /// the retries (nothing is marked processed; the batch will be redelivered).
    func handle(_ batch: DecodedBatch) async -> Bool {
        let started = ContinuousClock.now
        // Stamped now, not when decoded: a prefetched batch may have waited out a retry.
        let (accepted, now) = (batch.accepted, clock())
        guard let (outcome, rejected) = await retrying("apply batch", { try await self.apply(accepted, now: now) }) else { return false }
        let deadLetters = batch.deadLetters + rejected
        guard await retrying("dead-letter", { try await self.deadLetter(deadLetters) }) != nil else { return false }
        metrics.record(outcome, deadLettered: deadLetters.map(\.kind), duration: ContinuousClock.now - started)
        for triggers in outcome.openedTriggers { metrics.recordOpened(triggers: triggers) }
        return true
    }

    /// Applies the batch in one transaction; if the database rejects it for a reason that is
    /// not transient, applies each message alone and returns those it rejects.
    private func apply(
        _ batch: [(message: KafkaMessage, event: AcceptedEvent)], now: Date
    ) async throws -> (BatchOutcome, [DeadLetter]) {
        guard !batch.isEmpty else { return (BatchOutcome(), []) }
        let applier = self.applier
        do {
            let events = batch.map(\.event)
            let outcome = try await pool.withTransaction { try applier.apply(events, now: now, on: $0) }
            logger.debug("batch applied", metadata: ["events": "\(outcome.newEvents)", "duplicates": "\(outcome.duplicateEvents)", "points": "\(outcome.metricPoints)"])
            return (outcome, [])
        } catch let error where !Self.isTransient(error) {
            logger.warning("batch rejected; isolating the offending messages", metadata: ["error": "\(error)"])
        }
        var total = BatchOutcome()
        var rejected: [DeadLetter] = []
        for (message, event) in batch {
            do {
                total.add(try await pool.withTransaction { try applier.apply([event], now: now, on: $0) })
            } catch let error where !Self.isTransient(error) {
                rejected.append(DeadLetter(message: message, error: "rejected by the database: \(error)", kind: event.event.event.kind))
            }
        }
        return (total, rejected)
    }

    /// A message for the dead-letter topic: why, and its event kind (`invalid` when undecodable).
    struct DeadLetter: Sendable {
        var message: KafkaMessage
        var error: String
        var kind: String
    }

    private func deadLetter(_ messages: [DeadLetter]) async throws {
        guard !messages.isEmpty else { return }
        let records = messages.map { deadLetter in
            let message = deadLetter.message
            return KafkaRecord(
                topic: settings.deadLetterTopic, key: message.key, value: message.value,
                headers: message.headers + [
                    KafkaHeader(name: "dlq.error", string: deadLetter.error),
                    KafkaHeader(name: "dlq.topic", string: message.topic),
                    KafkaHeader(name: "dlq.partition", string: String(message.partition)),
                    KafkaHeader(name: "dlq.offset", string: String(message.offset)),
                ])
        }
        for case .failure(let error) in await producer.send(records) { throw error }
        for deadLetter in messages {
            let message = deadLetter.message
            logger.warning(
                "message dead-lettered",
                metadata: ["topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(deadLetter.error)"])
        }
    }

    /// Runs `operation` until it succeeds, backing off on transient failures. Returns nil when
    /// shutdown began while retrying.
    private func retrying<T>(_ what: String, _ operation: () async throws -> T) async -> T? {
        var backoff = settings.minBackoff
        while true {
            do {
                let value = try await operation()
                health.recordSuccess()
                return value
            } catch {
                health.recordFailure(error)
                logger.error("\(what) failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                if stopping.load(ordering: .relaxed) || Task.isCancelled { return nil }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, settings.maxBackoff)
            }
        }
    }

    /// Failures worth retrying as they are: the database or the broker is unreachable, or the
    /// transaction lost a serialization race or a deadlock.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PostgresError {
            return error.isConnectionFailure || error.sqlState == "40001" || error.sqlState == "40P01"
        }
        return error is KafkaError
    }
}

/// Whether the pipeline is stuck retrying a failure (readiness, metrics).
public final class PipelineHealth: Sendable {
    private struct State {
        var lastError: String?
        var failing = false
    }

    private let state = Mutex(State())

    /// The last failure while it persists (e.g. the database is down), nil once work succeeds.
    public var currentFailure: String? { state.withLock { $0.failing ? $0.lastError : nil } }

    func recordSuccess() { state.withLock { $0.failing = false } }

    func recordFailure(_ error: any Error) {
        state.withLock {
            $0.failing = true
            $0.lastError = "\(error)"
        }
    }
}
