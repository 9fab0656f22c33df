import Foundation
import PostmortemCore

// What the use cases (``ApplyBatch``, ``EditActionItem``, ``SweepOverdueItems``) may do to the
// stored state, inside the one transaction each of them runs in. The service runs them on
// ``PostgresTransaction``; their unit tests on an in-memory twin.

/// Storing an ingested batch.
protocol BatchStoring {
    /// Stores events not stored before (by source + id); of copies of one identity with
    /// different contents, keeps the smallest content digest (``DeployRepository/insert(_:on:)``).
    func insertEvents(_ events: [AcceptedEvent]) throws -> DeployRepository.Insertion
    /// Stores metric points not stored before; returns how many were new.
    func storeMetricPoints(_ samples: [MetricSample]) throws -> Int
    /// Queues analysis work for the step that follows the commit.
    func enqueueAnalysis(_ work: AnalysisWork) throws
}

/// Reading and changing action items; every change is recorded with its lifecycle events.
protocol ActionItemStoring {
    /// The deploy whose postmortem item `id` belongs to; nil when there is no such item.
    func deployId(ofItem id: String) throws -> String?
    /// The item, locked until the transaction ends when `forUpdate`.
    func item(_ id: String, forUpdate: Bool) throws -> StoredActionItem?
    /// Every item of a postmortem, by ID.
    func items(ofPostmortem postmortemId: String) throws -> [String: StoredActionItem]
    /// Records `changes` of one item (the last holds its state) with a new version, its
    /// history, and one lifecycle event each (numbered with the item's event version, in the
    /// trace of its deploy).
    func recordChanges(_ changes: [ActionItemChange], now: Date) throws
    /// Items overdue at `now` not announced for their current due date, with their deploys.
    func unannouncedOverdue(at now: Date, limit: Int) throws -> [(itemId: String, deployId: String)]
    /// Records the `action_item.overdue` announced for the item's due date, with its event.
    func recordOverdue(_ change: ActionItemChange, now: Date) throws
}

/// Reading a stored postmortem and changing its status.
protocol PostmortemStoring {
    /// The postmortem as stored, or nil.
    func postmortem(id: String) throws -> PostmortemRecord?
    /// The trace context the output events of `deployId` continue: that of its latest stored
    /// event (by occurrence, then source and ID) that carried one.
    func traceParent(ofDeploy deployId: String) throws -> TraceParent?
    /// Stores the postmortem's new status, its document and its digest, and its event.
    func recordStatus(
        of postmortemId: String, _ status: PostmortemStatus, document: JSONValue, digest: String, event: OutputEvent,
        now: Date
    ) throws
}

/// The locks that keep concurrent transactions of one deploy, or one job, apart.
protocol Locking {
    /// Waits for the per-deploy locks (``DeployLock``), in sorted order.
    func lockDeploys(_ deployIds: [String]) throws
    /// Takes a cluster-wide job lock if free (``ServiceLock``).
    func tryLock(_ lock: ServiceLock) throws -> Bool
}
