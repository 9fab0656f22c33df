import Postgres

/// The per-deploy lock: a transaction-scoped PostgreSQL advisory lock on the deploy ID, taken
/// by everything that changes a deploy's postmortem or its action items (the analysis step,
/// API edits, the overdue sweeper), so their changes to one postmortem never interleave.
/// Held until the transaction ends. Locks are always taken in sorted order, after the
/// analysis lock when both are needed, so no two transactions can deadlock on them.
enum DeployLock {
    /// Waits for the locks of `deployIds`, in sorted order.
    static func lock(_ deployIds: some Collection<String>, on connection: isolated PostgresConnection) throws {
        guard !deployIds.isEmpty else { return }
        try connection.query(
            """
            SELECT pg_advisory_xact_lock(hashtextextended(d, 0))
            FROM (SELECT unnest(\(deployIds.sorted())::text[]) AS d ORDER BY 1) AS ordered
            """)
    }
}

/// A cluster-wide lock that lets one replica at a time do a job (a PostgreSQL advisory lock,
/// held until the caller's transaction ends).
struct ServiceLock: Sendable, Hashable {
    /// What the lock is for (logs, tests).
    let name: String
    /// The lock's key, as SQL (a bound value).
    private let key: PostgresQuery

    /// Analysis steps (waited for), see docs/architecture.md §8. Data retention takes it too,
    /// so no step opens a postmortem for a deploy whose events are being deleted.
    static let analysis = ServiceLock(name: "analysis", key: "hashtextextended(\("deploy-postmortem.analysis"), 0)")
    /// Overdue sweeps (tried; a replica that finds it held skips its sweep).
    static let overdueSweep = ServiceLock(name: "overdue-sweep", key: "\(OverdueSweeper.lockKey)")
    /// Follow-up checks (tried).
    static let followUpCheck = ServiceLock(name: "follow-up-check", key: "\(FollowUpChecker.lockKey)")
    /// Partition upkeep and retention (tried).
    static let maintenance = ServiceLock(name: "maintenance", key: "\(DataMaintainer.lockKey)")

    static func == (lhs: ServiceLock, rhs: ServiceLock) -> Bool { lhs.name == rhs.name }
    func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Waits for the lock.
    func wait(on connection: isolated PostgresConnection) throws {
        try connection.query("SELECT pg_advisory_xact_lock(\(key))")
    }

    /// Makes statements of the caller's transaction fail after waiting `timeout` (e.g. "10s")
    /// for a table or row lock, instead of queueing behind a long transaction.
    static func limitLockWaits(to timeout: String, on connection: isolated PostgresConnection) throws {
        try connection.query("SELECT set_config('lock_timeout', \(timeout), true)")
    }

    /// Takes the lock if no one holds it; false when another transaction does.
    func tryLock(on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query("SELECT pg_try_advisory_xact_lock(\(key))")[0].decode(Bool.self, at: 0)
    }
}
