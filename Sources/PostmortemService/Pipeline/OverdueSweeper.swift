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
    private let reader: PostmortemReader
    private let outbox: OutboxWriter
    private let interval: Duration
    private let clock: @Sendable () -> Date
    private let logger: Logger

    init(
        pool: PostgresPool, reader: PostmortemReader, outbox: OutboxWriter,
        interval: Duration, clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.pool = pool
        self.reader = reader
        self.outbox = outbox
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Sweeps every `interval` until graceful shutdown or cancellation; failures are logged and
    /// retried at the next sweep.
    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: logger, failure: "overdue sweep failed") { try await self.sweep() }
    }

    /// Announces the items overdue now; returns how many. Returns 0 at once when another
    /// replica is sweeping.
    @discardableResult
    public func sweep() async throws -> Int {
        let (now, reader, outbox) = (clock(), reader, outbox)
        let announced = try await pool.withTransaction { connection -> [String] in
            guard try connection.query("SELECT pg_try_advisory_xact_lock($1)", [Self.lockKey])[0].decode(Bool.self, at: 0) else {
                return []
            }
            let due = try connection.query(
                """
                SELECT a.action_item_id::text, p.deploy_id FROM action_items a JOIN postmortems p USING (postmortem_id)
                WHERE a.status IN ('open', 'in_progress') AND a.due_at < $1
                  AND a.overdue_reported_for IS DISTINCT FROM a.due_at
                ORDER BY a.due_at LIMIT 500
                """, [now]
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
            var announced: [String] = []
            for (deployId, itemIds) in Dictionary(grouping: due, by: \.1).mapValues({ Set($0.map(\.0)) }).sorted(by: { $0.key < $1.key }) {
                // The deploy's lock, as edits and re-analysis take it: a due date moved meanwhile is seen.
                try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [deployId])
                guard let postmortem = try reader.postmortem(ofDeploy: deployId, on: connection) else { continue }
                for item in postmortem.actionItems where itemIds.contains(item.id) {
                    guard let change = item.overdueChange(at: now) else { continue }
                    try outbox.enqueueActionItemEvent(change, on: connection)
                    try connection.query(
                        "UPDATE action_items SET overdue_reported_for = $3, updated_at = $2 WHERE action_item_id = $1::uuid",
                        [item.id, now, item.dueAt])
                    announced.append(item.id)
                }
            }
            return announced
        }
        if !announced.isEmpty { logger.info("overdue action items announced", metadata: ["count": "\(announced.count)"]) }
        return announced.count
    }
}
