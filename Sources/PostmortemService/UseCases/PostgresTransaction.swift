import Foundation
import Postgres
import PostmortemCore

/// The use cases' ports on PostgreSQL: one open transaction on `connection`, the repositories'
/// statements run on it. Build it inside `PostgresPool.withTransaction` and use it only there
/// (each call asserts that it runs on the connection's thread).
struct PostgresTransaction: BatchStoring, ActionItemStoring, PostmortemStoring, Locking {
    let connection: PostgresConnection
    let repositories: Repositories

    /// Every repository, as the service wires them.
    struct Repositories: Sendable {
        var deploys: DeployRepository
        var metrics: MetricRepository
        var queue: AnalysisQueue
        var postmortems: PostmortemRepository
        var actionItems: ActionItemRepository
        var outbox: OutboxRepository

        /// The ports on the transaction open on `connection`.
        func transaction(on connection: PostgresConnection) -> PostgresTransaction {
            PostgresTransaction(connection: connection, repositories: self)
        }
    }

    /// Runs `statements` on the connection, whose thread the caller is on.
    private func run<T: Sendable>(_ statements: (isolated PostgresConnection) throws -> T) throws -> T {
        try connection.assumeIsolated(statements)
    }

    // MARK: BatchStoring

    func insertEvents(_ events: [AcceptedEvent]) throws -> DeployRepository.Insertion {
        try run { try repositories.deploys.insert(events, on: $0) }
    }

    func storeMetricPoints(_ samples: [MetricSample]) throws -> Int {
        try run { try repositories.metrics.store(samples, on: $0) }
    }

    func enqueueAnalysis(_ work: AnalysisWork) throws {
        try run { try repositories.queue.enqueue(work, on: $0) }
    }

    // MARK: ActionItemStoring

    func deployId(ofItem id: String) throws -> String? {
        try run { try repositories.actionItems.deployId(ofItem: id, on: $0) }
    }

    func item(_ id: String, forUpdate: Bool) throws -> StoredActionItem? {
        try run { try repositories.actionItems.item(id, forUpdate: forUpdate, on: $0) }
    }

    func items(ofPostmortem postmortemId: String) throws -> [String: StoredActionItem] {
        try run { try repositories.actionItems.items(ofPostmortem: postmortemId, on: $0) }
    }

    func recordChanges(_ changes: [ActionItemChange], now: Date) throws {
        try run { try repositories.actionItems.record(changes, now: now, on: $0) }
    }

    func unannouncedOverdue(at now: Date, limit: Int) throws -> [(itemId: String, deployId: String)] {
        try run { try repositories.actionItems.unannouncedOverdue(at: now, limit: limit, on: $0) }
    }

    func recordOverdue(_ change: ActionItemChange, now: Date) throws {
        try run { try repositories.actionItems.recordOverdue(change, now: now, on: $0) }
    }

    // MARK: PostmortemStoring

    func postmortem(id: String) throws -> PostmortemRecord? {
        try run { try repositories.postmortems.record(id: id, on: $0) }
    }

    func traceParent(ofDeploy deployId: String) throws -> TraceParent? {
        try run { try DeployRepository.traceParent(ofDeploy: deployId, on: $0) }
    }

    func recordStatus(
        of postmortemId: String, _ status: PostmortemStatus, document: JSONValue, digest: String, event: OutputEvent,
        now: Date
    ) throws {
        try run { connection in
            try repositories.postmortems.updateStatus(
                of: postmortemId, to: status, document: document, digest: digest, now: now, on: connection)
            try repositories.outbox.enqueuePostmortemEvent(event, on: connection)
        }
    }

    // MARK: Locking

    func lockDeploys(_ deployIds: [String]) throws {
        try run { try DeployLock.lock(deployIds, on: $0) }
    }

    func tryLock(_ lock: ServiceLock) throws -> Bool {
        try run { try lock.tryLock(on: $0) }
    }
}
