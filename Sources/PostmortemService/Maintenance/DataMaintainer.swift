import Foundation
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// Keeps the database's size bounded: creates this month's and next month's `metric_samples`
/// partitions ahead of time, and applies the ``Retention`` — drops expired metric partitions,
/// deletes expired deploys without a postmortem, unattributed events and published outbox rows,
/// in batches.
///
/// Every replica runs a maintainer, at start and then every `interval`. Each of its
/// transactions first takes a transaction-scoped advisory lock without waiting, so only one
/// replica maintains at a time; a maintainer that finds the lock taken stops its run (the
/// holder does the work). DDL waits at most 10 s for its locks (`lock_timeout`), so a long
/// query never makes ingest queue behind the maintainer; a run that fails is retried after at
/// most 5 minutes.
public final class DataMaintainer: Service, Sendable {
    /// The advisory lock key that makes one maintainer work at a time across replicas.
    public static let lockKey: Int64 = 0x6470_6d5f_6d61_696e  // "dpm_main"
    /// Rows (or, for deploys, deploys) deleted per statement.
    static let batchSize = 10_000
    static let deployBatchSize = 1_000

    /// What one run did.
    public struct Report: Sendable, Equatable {
        /// False when another replica held the maintenance lock, so this run did nothing.
        public var ran = true
        /// Partitions created (`metric_samples_YYYY_MM`).
        public var partitionsCreated: [String] = []
        /// Partitions dropped as expired.
        public var partitionsDropped: [String] = []
        /// Points of dropped partitions kept because a postmortem's analysis reads them.
        public var metricPointsKept = 0
        /// Expired points deleted from the default partition.
        public var metricPointsDeleted = 0
        /// Deploys without a postmortem deleted, and their events.
        public var deploysDeleted = 0
        /// Events deleted: those of the deploys above and unattributed ones.
        public var eventsDeleted = 0
        /// Published outbox rows deleted.
        public var outboxRowsDeleted = 0
    }

    private let pool: PostgresPool
    private let retention: Retention
    private let partitions: MetricPartitions
    private let records = RecordRetention()
    private let interval: Duration
    private let clock: @Sendable () -> Date
    private let logger: Logger

    init(
        pool: PostgresPool, retention: Retention, analysis: AnalysisConfig, interval: Duration,
        clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.pool = pool
        self.retention = retention
        self.partitions = MetricPartitions(analysis: analysis)
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Maintains at once, then every `interval`, until graceful shutdown or cancellation;
    /// a failed run is logged and retried after at most 5 minutes.
    public func run() async throws {
        await repeatUntilShutdown(
            every: interval, retryingAfter: .seconds(300), logger: logger, failure: "database maintenance failed"
        ) {
            try await self.maintain()
        }
    }

    /// One run: partitions first (so ingest never writes this or next month into the default
    /// partition), then retention. Returns what it did; ``Report/ran`` is false when another
    /// replica was maintaining.
    @discardableResult
    public func maintain() async throws -> Report {
        let now = clock()
        var report = Report()
        let partitions = partitions
        let thisMonth = CalendarMonth(containing: now)
        guard
            let created = try await locked({ connection in
                try [thisMonth, thisMonth.next].filter { try partitions.create($0, on: connection) }.map(
                    \.partitionName)
            })
        else {
            report.ran = false
            return report
        }
        report.partitionsCreated = created
        report.ran = try await applyRetention(now: now, to: &report)
        if report != Report() || !report.ran { logger.info("database maintenance", metadata: report.metadata) }
        return report
    }

    /// Applies the retention as of `now`, adding what it deleted to `report`. Returns false if
    /// it stopped because another replica took the lock between two batches.
    private func applyRetention(now: Date, to report: inout Report) async throws -> Bool {
        let (partitions, records) = (partitions, records)
        let (batch, deployBatch) = (Self.batchSize, Self.deployBatchSize)
        if let cutoff = Retention.cutoff(days: retention.metricSamplesDays, before: now) {
            guard let months = try await locked({ try partitions.months(on: $0) }) else { return false }
            for month in months where month.end <= cutoff {
                guard let kept = try await locked({ try partitions.drop(month, on: $0) }) else { return false }
                report.partitionsDropped.append(month.partitionName)
                report.metricPointsKept += kept
            }
            guard
                try await repeatBatches(
                    limit: batch, into: &report.metricPointsDeleted,
                    { try partitions.purgeDefault(before: cutoff, limit: batch, on: $0) })
            else { return false }
        }
        if let cutoff = Retention.cutoff(days: retention.deployEventsDays, before: now) {
            while true {
                guard
                    let deleted = try await locked({ connection in
                        // The analysis step's lock: no step opens a postmortem for these deploys meanwhile.
                        try ServiceLock.analysis.wait(on: connection)
                        return try records.expireDeploys(before: cutoff, limit: deployBatch, on: connection)
                    })
                else { return false }
                report.deploysDeleted += deleted.deploys
                report.eventsDeleted += deleted.events
                if deleted.deploys < deployBatch { break }
            }
            guard
                try await repeatBatches(
                    limit: batch, into: &report.eventsDeleted,
                    { try records.expireUnattributedEvents(before: cutoff, limit: batch, on: $0) })
            else { return false }
        }
        if let cutoff = Retention.cutoff(days: retention.sentOutboxDays, before: now) {
            guard
                try await repeatBatches(
                    limit: batch, into: &report.outboxRowsDeleted,
                    { try records.expireSentOutbox(before: cutoff, limit: batch, on: $0) })
            else { return false }
        }
        return true
    }

    /// Runs `batch` (one locked transaction each) until it deletes fewer than `limit` rows,
    /// adding its counts to `total`. Returns false if the lock was taken by another replica.
    private func repeatBatches(
        limit: Int, into total: inout Int, _ batch: @escaping @Sendable (isolated PostgresConnection) throws -> Int
    ) async throws -> Bool {
        while true {
            guard let deleted = try await locked(batch) else { return false }
            total += deleted
            if deleted < limit { return true }
        }
    }

    /// Runs `body` in a transaction holding the maintenance lock, with a 10 s lock timeout;
    /// nil (and nothing done) when another replica holds the lock.
    private func locked<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws
        -> T?
    {
        try await pool.withTransaction { connection -> T? in
            guard try ServiceLock.maintenance.tryLock(on: connection) else { return nil }
            try ServiceLock.limitLockWaits(to: "10s", on: connection)
            return try body(connection)
        }
    }
}

extension DataMaintainer.Report {
    /// The counts, for the log line.
    var metadata: Logger.Metadata {
        [
            "ran": "\(ran)", "partitions_created": "\(partitionsCreated)", "partitions_dropped": "\(partitionsDropped)",
            "metric_points_kept": "\(metricPointsKept)", "metric_points_deleted": "\(metricPointsDeleted)",
            "deploys_deleted": "\(deploysDeleted)", "events_deleted": "\(eventsDeleted)",
            "outbox_rows_deleted": "\(outboxRowsDeleted)",
        ]
    }
}
