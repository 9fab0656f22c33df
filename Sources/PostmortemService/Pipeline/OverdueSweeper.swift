import Foundation
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// Announces overdue action items: `action_item.overdue` once per item and due date (moving
/// the due date makes the item eligible again). Every replica runs a sweeper; each sweep takes
/// a transaction-scoped advisory lock, so only one sweeps at a time, and the item's
/// `overdue_reported_for` records the announcement in the same transaction as its outbox event.
public final class OverdueSweeper: Service, Sendable {
    /// The advisory lock key that makes one sweep at a time across replicas.
    public static let lockKey: Int64 = 0x6470_6d5f_6f76_6572  // "dpm_over"

    private let pool: PostgresPool
    private let repositories: PostgresTransaction.Repositories
    private let sweep = SweepOverdueItems()
    private let interval: Duration
    private let clock: @Sendable () -> Date
    private let logger: Logger

    init(
        pool: PostgresPool, repositories: PostgresTransaction.Repositories, interval: Duration,
        clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.pool = pool
        self.repositories = repositories
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Sweeps every `interval` until graceful shutdown or cancellation; failures are logged and
    /// retried at the next sweep.
    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: logger, failure: "overdue sweep failed") {
            try await self.sweep()
        }
    }

    /// Announces the items overdue now; returns how many. Returns 0 at once when another
    /// replica is sweeping.
    @discardableResult
    public func sweep() async throws -> Int {
        let (now, repositories, sweep) = (clock(), repositories, self.sweep)
        let announced = try await pool.withTransaction { connection in
            try sweep.run(now: now, in: repositories.transaction(on: connection))
        }
        if !announced.isEmpty {
            logger.info("overdue action items announced", metadata: ["count": "\(announced.count)"])
        }
        return announced.count
    }
}
