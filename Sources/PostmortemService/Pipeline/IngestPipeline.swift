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
        public var deadLetterTopic = ServiceConfiguration.Topics().deadLetter
        /// Largest message value sent to the dead-letter topic; a larger one is truncated to
        /// this many bytes (its size and SHA-256 go in headers). The server keeps it 64 KiB under
        /// the producer's `message.max.bytes`; a record the topic still refuses is sent again
        /// as a short excerpt without the original headers.
        public var deadLetterMaxValueBytes = 1_000_000 - 65_536
        /// How often an idle replica looks for analysis work left queued (by a replica that
        /// crashed between its two transactions, say).
        public var idleAnalysisInterval: Duration = .seconds(1)
        /// Backoff while the database or the broker is unavailable.
        public var backoff = Backoff.Policy()

        /// Default settings.
        public init() {}
    }

    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let pool: PostgresPool
    private let applier: ApplyBatch
    private let repositories: PostgresTransaction.Repositories
    private let analysis: AnalysisStep
    private let queue: AnalysisQueue
    private let decoder: EventDecoder
    private let settings: Settings
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Observable state for readiness and metrics.
    public let health = PipelineHealth()
    private let metrics: ServiceMetrics

    init(
        consumer: KafkaConsumer, producer: KafkaProducer, pool: PostgresPool, applier: ApplyBatch,
        repositories: PostgresTransaction.Repositories, analysis: AnalysisStep, decoder: EventDecoder,
        settings: Settings,
        metrics: ServiceMetrics, clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.metrics = metrics
        self.consumer = consumer
        self.producer = producer
        self.pool = pool
        self.applier = applier
        self.repositories = repositories
        self.analysis = analysis
        self.queue = analysis.queue
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
            var lastAnalysis = ContinuousClock.now
            while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                let batch: DecodedBatch
                if let prefetched { batch = try await prefetched.value } else { batch = try await pollAndDecode() }
                prefetched = nil
                guard !batch.messages.isEmpty else {
                    if ContinuousClock.now - lastAnalysis >= settings.idleAnalysisInterval {
                        guard await analyzeQueuedWork() else { break }
                        lastAnalysis = .now
                    }
                    continue
                }
                lastAnalysis = .now
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
        /// Valid messages of a CDEvents type the product does not use, counted as `ignored`.
        var ignored = 0
    }

    private func pollAndDecode() async throws -> DecodedBatch {
        decode(
            try await consumer.poll(
                maxMessages: settings.maxBatch, maxBytes: settings.maxBatchBytes, maxWait: settings.pollWait))
    }

    /// Decodes `messages`; those that fail go to the dead-letter list with the reason.
    func decode(_ messages: [KafkaMessage]) -> DecodedBatch {
        var batch = DecodedBatch(messages: messages)
        let now = clock()  // bounds future timestamps
        for message in messages {
            let raw = RawEvent(value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) })
            do {
                let origin = DeployRepository.Origin(
                    topic: message.topic, partition: message.partition, offset: message.offset)
                batch.accepted.append(
                    (message, AcceptedEvent(event: try decoder.decode(raw, now: now), raw: raw, origin: origin)))
            } catch  where error.isIgnored {
                batch.ignored += 1
            } catch {
                batch.deadLetters.append(DeadLetter(message: message, error: error.description, kind: "invalid"))
            }
        }
        return batch
    }

    /// Applies one batch, dead-letters what must be, then runs the analysis step. Returns
    /// false when shutdown interrupted the retries (nothing is marked processed; the batch will
    /// be redelivered, and what was stored is a no-op the second time).
    func handle(_ batch: DecodedBatch) async -> Bool {
        let started = ContinuousClock.now
        // Stamped now, not when decoded: a prefetched batch may have waited out a retry.
        let (accepted, now) = (batch.accepted, clock())
        guard let (applied, rejected, known) = await retrying("apply batch", { try await self.apply(accepted) }) else {
            return false
        }
        for conflict in applied.conflicts {
            logger.warning(
                "conflicting duplicate: one source and id with different contents; the smallest content digest is kept",
                metadata: [
                    "event_source": "\(conflict.key.source)", "event_id": "\(conflict.key.id)",
                    "kept_digest": "\(conflict.kept)", "other_digests": "\(conflict.others.joined(separator: ","))",
                ])
        }
        if applied.headersDropped > 0 {
            logger.warning(
                "Kafka headers the contract does not read were dropped over the per-event cap; the events were stored",
                metadata: [
                    "headers_dropped": "\(applied.headersDropped)", "max_headers": "\(StoredHeaders.maxOtherHeaders)",
                    "max_bytes": "\(StoredHeaders.maxOtherBytes)",
                ])
        }
        let deadLettered = batch.deadLetters + rejected
        var undelivered = deadLettered
        guard await retrying("dead-letter", { try await self.deadLetter(&undelivered) }) != nil else { return false }
        guard let analyzed = await retrying("analyze", { try await self.analyze(known: known, now: now) }) else {
            return false
        }
        var outcome = applied
        for _ in 0..<batch.ignored { outcome.count("cdevents", .ignored) }
        metrics.record(outcome, deadLettered: deadLettered.map(\.kind), duration: ContinuousClock.now - started)
        metrics.recordAnalysis(analyzed)
        return true
    }

    /// Runs the analysis step when work is queued (from this replica or one that stopped
    /// before analyzing). Returns false when shutdown interrupted the retries.
    private func analyzeQueuedWork() async -> Bool {
        let queue = self.queue
        guard
            let pending = await retrying(
                "look for analysis work", { try await pool.withConnection { try queue.hasWork(on: $0) } })
        else { return false }
        guard pending else { return true }
        guard let outcome = await retrying("analyze", { try await self.analyze(known: [:], now: self.clock()) }) else {
            return false
        }
        metrics.recordAnalysis(outcome)
        return true
    }

    /// One analysis step in its own transaction.
    private func analyze(known: [EventKey: DecodedEvent], now: Date) async throws -> AnalysisOutcome {
        let analysis = self.analysis
        return try await pool.withTransaction { try analysis.run(known: known, now: now, on: $0) }
    }

    /// Stores the batch in one transaction; if the database rejects it for a reason that is
    /// not transient, stores each message alone and returns those it rejects. Also returns the
    /// events stored now, decoded, for the analysis step.
    private func apply(
        _ batch: [(message: KafkaMessage, event: AcceptedEvent)]
    ) async throws -> (BatchOutcome, [DeadLetter], [EventKey: DecodedEvent]) {
        guard !batch.isEmpty else { return (BatchOutcome(), [], [:]) }
        let (applier, repositories) = (self.applier, self.repositories)
        do {
            let events = batch.map(\.event)
            let (outcome, written) = try await pool.withTransaction {
                try applier.run(events, in: repositories.transaction(on: $0))
            }
            logger.debug(
                "batch applied",
                metadata: [
                    "events": "\(outcome.newEvents)", "duplicates": "\(outcome.duplicateEvents)",
                    "points": "\(outcome.metricPoints)",
                ])
            return (outcome, [], written)
        } catch let error where !Self.isTransient(error) {
            logger.warning("batch rejected; isolating the offending messages", metadata: ["error": "\(error)"])
        }
        var total = BatchOutcome()
        var rejected: [DeadLetter] = []
        var known: [EventKey: DecodedEvent] = [:]
        for (message, event) in batch {
            do {
                let (outcome, written) = try await pool.withTransaction {
                    try applier.run([event], in: repositories.transaction(on: $0))
                }
                total.add(outcome)
                // A later copy is written only when it replaced the earlier one.
                known.merge(written) { _, later in later }
            } catch let error where !Self.isTransient(error) {
                rejected.append(
                    DeadLetter(
                        message: message, error: "rejected by the database: \(error)", kind: event.event.event.kind))
            }
        }
        return (total, rejected, known)
    }

    /// A message for the dead-letter topic: why, and its event kind (`invalid` when undecodable).
    struct DeadLetter: Sendable {
        var message: KafkaMessage
        var error: String
        var kind: String
        /// Send only headers about it and a short excerpt: the full record was too large.
        var excerptOnly = false
    }

    /// Sends `pending` to the dead-letter topic, removing each one once delivered, so a retry
    /// after a partial failure sends only what is still pending. A record the producer or the
    /// broker finds too large is sent again at once as an excerpt.
    private func deadLetter(_ pending: inout [DeadLetter]) async throws {
        while !pending.isEmpty {
            let records = pending.map { letter in
                DeadLetterRecord.make(
                    for: letter.message, error: letter.error, topic: settings.deadLetterTopic,
                    maxValueBytes: letter.excerptOnly
                        ? DeadLetterRecord.excerptBytes : settings.deadLetterMaxValueBytes,
                    keepHeaders: !letter.excerptOnly)
            }
            var stillPending: [DeadLetter] = []
            var failure: KafkaError?
            for (letter, result) in zip(pending, await producer.send(records)) {
                switch result {
                case .success:
                    let message = letter.message
                    logger.warning(
                        "message dead-lettered",
                        metadata: [
                            "topic": "\(message.topic)", "partition": "\(message.partition)",
                            "offset": "\(message.offset)",
                            "error": "\(letter.error.prefix(500))",
                        ])
                case .failure(let error) where error.code == .messageSizeTooLarge && !letter.excerptOnly:
                    var excerpt = letter
                    excerpt.excerptOnly = true
                    stillPending.append(excerpt)
                case .failure(let error):
                    stillPending.append(letter)
                    failure = error
                }
            }
            pending = stillPending
            if let failure { throw failure }
        }
    }

    /// Runs `operation` until it succeeds, backing off on transient failures. Returns nil when
    /// shutdown began while retrying.
    private func retrying<T>(_ what: String, _ operation: () async throws -> T) async -> T? {
        var backoff = Backoff(settings.backoff)
        while true {
            do {
                let value = try await operation()
                health.recordSuccess()
                return value
            } catch {
                health.recordFailure(error)
                let delay = backoff.nextDelay()
                logger.error("\(what) failed; retrying", metadata: ["error": "\(error)", "backoff": "\(delay)"])
                if stopping.load(ordering: .relaxed) || Task.isCancelled { return nil }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Failures worth retrying as they are, because no message caused them: the database or
    /// the broker is unreachable, the transaction lost a serialization race or a deadlock, or
    /// the server is not fit to take the batch (schema not migrated yet, missing privilege, disk
    /// full, shutting down). Only what one message can cause — a data exception (SQLSTATE class
    /// 22), an integrity violation (23) or a program limit (54) — isolates and dead-letters it:
    /// a message is never dead-lettered for the database's own trouble.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PostgresError {
            guard let sqlState = error.sqlState else { return error.isConnectionFailure }
            return !["22", "23", "54"].contains(String(sqlState.prefix(2)))
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
