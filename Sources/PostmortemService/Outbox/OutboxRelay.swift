import Foundation
import Kafka
import Logging
import Postgres
import ServiceLifecycle

/// Publishes the transactional outbox to Kafka (docs/architecture.md §4).
///
/// Every replica runs a relay; exactly one is active, elected by a PostgreSQL session advisory
/// lock held on the relay's own connection. The others stay passive and retry the lock every
/// `pollInterval`; when the active relay's session ends (shutdown, crash, lost connection) the
/// server frees the lock and another replica takes over.
///
/// The active relay `LISTEN`s on channel `outbox` on that same connection and publishes unsent
/// rows in `seq` order, in batches, through the idempotent producer. Only the delivered prefix
/// of a batch is marked sent: rows from the first failed one on are retried in a later round,
/// after a ``Backoff``, so a key's messages never appear out of order. Delivery
/// is at-least-once: a crash between delivery and marking, or a partially failed batch, can
/// publish a row again, always with the same content and CloudEvents `id`.
///
/// Database and Kafka failures are logged, recorded in ``stats`` and retried; ``run()`` never
/// fails. Payloads are never logged.
public actor OutboxRelay: Service {
    /// The advisory lock key that elects the active relay (arbitrary, fixed for this product).
    public static let defaultLockKey: Int64 = 0x6470_6d5f_6f75_7462  // "dpm_outb"

    /// The channel the outbox insert trigger notifies.
    static let channel = "outbox"
    /// Longest blocking wait on the connection, so cancellation is noticed promptly.
    static let waitSlice = Duration.milliseconds(250)

    /// A snapshot of the relay's activity, for metrics and readiness.
    public struct Stats: Sendable, Equatable {
        /// Whether this relay holds the lock and is the one publishing.
        public var isLeader: Bool
        /// Outbox rows this relay has published and marked sent.
        public var published: Int
        /// Failures (database or Kafka) since the last success; 0 when healthy.
        public var consecutiveFailures: Int
        /// The most recent failure, without payloads; `nil` if there has been none.
        public var lastError: String?
        /// When ``lastError`` happened.
        public var lastErrorAt: Date?
    }

    private let database: PostgresConfiguration
    private let producer: KafkaProducer
    private let batchSize: Int
    private let pollInterval: Duration
    private let lockKey: Int64
    private let logger: Logger
    /// Serves ``backlog()``, independently of the relay's own connection.
    private let pool: PostgresPool

    /// Whether this relay holds the lock and is the one publishing.
    public private(set) var isLeader = false
    private var published = 0
    private var consecutiveFailures = 0
    private var lastError: String?
    private var lastErrorAt: Date?
    private var running = false

    /// Creates a relay; nothing happens until ``run()``.
    /// - Parameters:
    ///   - database: where the `outbox` table is; the relay opens its own connections.
    ///   - producer: the idempotent producer to publish with (not closed by the relay).
    ///   - batchSize: most rows read and sent per round.
    ///   - pollInterval: how often a passive relay retries the lock, and the longest an active
    ///     relay waits between checks for rows when no notification arrives.
    ///   - lockKey: the advisory lock key; relays sharing a database and key elect one leader.
    ///   - logger: receives leadership changes and failures.
    public init(
        database: PostgresConfiguration, producer: KafkaProducer, batchSize: Int = 500,
        pollInterval: Duration = .seconds(1), lockKey: Int64 = OutboxRelay.defaultLockKey, logger: Logger
    ) {
        precondition(batchSize > 0, "batchSize must be positive")
        precondition(pollInterval > .zero, "pollInterval must be positive")
        self.database = database
        self.producer = producer
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.lockKey = lockKey
        self.logger = logger
        self.pool = PostgresPool(configuration: database, maxConnections: 1, logger: logger)
    }

    /// The current activity snapshot.
    public var stats: Stats {
        Stats(
            isLeader: isLeader, published: published, consecutiveFailures: consecutiveFailures,
            lastError: lastError, lastErrorAt: lastErrorAt)
    }

    /// Unsent rows in the outbox, and how long the oldest has waited (`nil` when none).
    /// Works on every replica, leader or not.
    /// - Throws: ``PostgresError`` if the database cannot be queried.
    public nonisolated func backlog() async throws -> (count: Int, oldestAge: Duration?) {
        try await pool.withConnection { try OutboxRepository.backlog(on: $0) }
    }

    /// Rows ever enqueued for `topic` and still kept (sent or not).
    /// - Throws: ``PostgresError`` if the database cannot be queried.
    public nonisolated func events(onTopic topic: String) async throws -> Int {
        try await pool.withConnection { try OutboxRepository.count(topic: topic, on: $0) }
    }

    /// Competes for leadership and, while leader, publishes the outbox, until the task is
    /// cancelled or a graceful shutdown begins. A batch already handed to Kafka is finished
    /// and marked first (bounded by the producer's `message.timeout.ms`). Never throws:
    /// failures are logged and retried. Call it at most once at a time.
    public func run() async throws {
        precondition(!running, "OutboxRelay.run() is already running")
        running = true
        defer { running = false }
        await cancelWhenGracefulShutdown { await self.relayUntilCancelled() }
    }

    // MARK: Sessions

    /// Opens a session after another, backing off after failures, until cancelled.
    private func relayUntilCancelled() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(database, logger: logger)
                do {
                    try await session(on: connection, backoff: &backoff)
                    await connection.close()
                } catch {
                    await connection.close()
                    throw error
                }
            } catch {
                noteFailure("database session failed", "\(error)")
                try? await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    /// Waits for leadership on `connection`, then publishes until cancelled. Throws when the
    /// connection fails, which also ends leadership (the server frees the lock with the session).
    private func session(on connection: PostgresConnection, backoff: inout Backoff) async throws {
        let lockKey = lockKey
        while !Task.isCancelled {
            let acquired = try await connection.run { try OutboxRepository.tryLeadership(key: lockKey, on: $0) }
            if acquired { break }
            succeeded(&backoff)
            try? await Task.sleep(for: pollInterval)
        }
        guard !Task.isCancelled else { return }

        isLeader = true
        logger.info("outbox relay is the leader", metadata: ["lockKey": "\(lockKey)"])
        defer {
            isLeader = false
            logger.info("outbox relay is no longer the leader")
        }
        try await connection.listen(Self.channel)
        try await publishUntilCancelled(on: connection, backoff: &backoff)
    }

    // MARK: Publishing

    /// One unsent outbox row, ready to produce.
    private struct PendingRow: Sendable {
        var seq: Int64
        var eventID: String
        var record: KafkaRecord
    }

    /// Publishes batches while there are unsent rows, waiting for notifications in between.
    private func publishUntilCancelled(on connection: PostgresConnection, backoff: inout Backoff) async throws {
        let batchSize = batchSize
        while !Task.isCancelled {
            let rows = try await connection.run { connection in try Self.fetchPending(on: connection, limit: batchSize)
            }
            if rows.isEmpty {
                succeeded(&backoff)
                try await waitForInserts(on: connection)
                continue
            }
            let outcomes = await producer.send(rows.map(\.record))
            let delivered = outcomes.firstIndex { if case .failure = $0 { true } else { false } } ?? rows.count
            let sent = rows[..<delivered].map(\.seq)
            let failed = zip(rows, outcomes).dropFirst(delivered).compactMap {
                row, outcome -> (seq: Int64, error: String)? in
                guard case .failure(let error) = outcome else { return nil }
                return (row.seq, error.description)
            }
            try await connection.run { try OutboxRepository.recordDelivery(sent: sent, failed: failed, on: $0) }
            published += sent.count
            if let first = sent.first, let last = sent.last {
                logger.debug(
                    "published outbox rows",
                    metadata: ["count": "\(sent.count)", "firstSeq": "\(first)", "lastSeq": "\(last)"])
            }
            if let failure = failed.first {
                let row = rows[delivered]
                noteFailure(
                    "publishing outbox row failed", failure.error,
                    metadata: [
                        "seq": "\(row.seq)", "eventID": "\(row.eventID)", "topic": "\(row.record.topic)",
                        "unsent": "\(rows.count - delivered)",
                    ])
                try? await Task.sleep(for: backoff.nextDelay())
            } else {
                succeeded(&backoff)
            }
        }
    }

    /// Reads up to `limit` unsent rows in `seq` order, as Kafka records.
    private static func fetchPending(on connection: isolated PostgresConnection, limit: Int) throws -> [PendingRow] {
        try OutboxRepository.pending(limit: limit, on: connection).map { row in
            let headers = row.headers.map { KafkaHeader(name: $0.name, value: $0.value.map { Array($0.utf8) }) }
            let record = KafkaRecord(
                topic: row.topic, key: Array(row.key.utf8), value: Array(row.payload.utf8), headers: headers)
            return PendingRow(seq: row.seq, eventID: row.eventID, record: record)
        }
    }

    /// Returns when a notification arrives on the outbox channel, after `pollInterval`, or on
    /// cancellation, whichever comes first. Throws if the connection fails.
    private func waitForInserts(on connection: PostgresConnection) async throws {
        let deadline = ContinuousClock.now + pollInterval
        while !Task.isCancelled {
            let remaining = deadline - .now
            guard remaining > .zero else { return }
            let received = try await connection.waitForNotifications(timeout: min(remaining, Self.waitSlice))
            if !received.isEmpty { return }
        }
    }

    /// Records and logs a failure; `error` must not contain payloads.
    private func noteFailure(_ message: String, _ error: String, metadata: Logger.Metadata = [:]) {
        consecutiveFailures += 1
        lastError = "\(message): \(error)"
        lastErrorAt = Date()
        logger.warning("\(message)", metadata: metadata.merging(["error": "\(error)"]) { $1 })
    }

    /// Records a healthy round: the next failure backs off from the start again.
    private func succeeded(_ backoff: inout Backoff) {
        backoff.reset()
        consecutiveFailures = 0
    }
}
