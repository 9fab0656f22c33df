import Foundation
import PostmortemCore

@testable import PostmortemService

/// The use cases' ports in memory, for fast unit tests: the same contract as
/// ``PostgresTransaction`` (one transaction, every change with its events), no database.
/// What the use cases did is kept in the open: the rows, the events in order, the locks taken.
final class InMemoryStore: BatchStoring, ActionItemStoring, PostmortemStoring, Locking {
    let encoder = OutputEventEncoder()

    // deploy_events (`deploys` rows are the analysis step's to write)
    var events: [EventKey: AcceptedEvent] = [:]
    // metric_samples: one row per series, timestamp, value, unit and SLO (`metric_samples_point`)
    var points: Set<String> = []
    // analysis_queue
    var queue: [AnalysisWork] = []
    // postmortems and action_items
    var postmortems: [String: PostmortemRecord] = [:]
    var digests: [String: String] = [:]
    var items: [String: StoredActionItem] = [:]
    /// `action_items.event_version`: the number of each item's latest event.
    var eventVersions: [String: Int] = [:]
    /// `postmortems.service`, `environment`: by postmortem ID.
    var scopes: [String: (service: String, environment: String)] = [:]
    // outbox: event types in order (`action_item.completed.v1`, …) and the events
    var outbox: [OutputEvent] = []
    var outboxTypes: [String] { outbox.map { String($0.type.dropFirst(EventDecoder.typePrefix.count)) } }
    // locks
    var deployLocks: [[String]] = []
    /// Job locks another replica holds: ``tryLock(_:)`` fails for these.
    var heldElsewhere: Set<ServiceLock> = []

    // MARK: BatchStoring

    func insertEvents(_ batch: [AcceptedEvent]) throws -> DeployRepository.Insertion {
        // Of copies of one identity, the smallest content digest is the event, stored or not.
        let (kept, conflicts) = ConflictingDuplicate.resolve(batch + events.values) { $0.event }
        var insertion = DeployRepository.Insertion(conflicts: conflicts)
        for accepted in kept where events[accepted.event.key]?.event.contentDigest != accepted.event.contentDigest {
            if let lost = events[accepted.event.key]?.event.event.deployId, lost != accepted.event.event.deployId {
                insertion.deploysLosingEvents.insert(lost)
            }
            events[accepted.event.key] = accepted
            insertion.written[accepted.event.key] = accepted.event
        }
        return insertion
    }

    func storeMetricPoints(_ samples: [MetricSample]) throws -> Int {
        var stored = 0
        for sample in samples {
            for point in sample.points {
                let key =
                    "\(sample.service)|\(sample.environment)|\(sample.metric)|\(sample.labels.sorted { $0.key < $1.key })|"
                    + "\(point.at.timeIntervalSince1970)|\(point.value)|\(sample.unit ?? "")|\(String(describing: sample.slo))"
                if points.insert(key).inserted { stored += 1 }
            }
        }
        return stored
    }

    func enqueueAnalysis(_ work: AnalysisWork) throws {
        if !work.isEmpty { queue.append(work) }
    }

    // MARK: ActionItemStoring

    func deployId(ofItem id: String) throws -> String? { items[id]?.item.deployId }

    func item(_ id: String, forUpdate: Bool) throws -> StoredActionItem? { items[id] }

    func items(ofPostmortem postmortemId: String) throws -> [String: StoredActionItem] {
        items.filter { $0.value.item.postmortemId == postmortemId }
    }

    func recordChanges(_ changes: [ActionItemChange], now: Date) throws {
        guard let after = changes.last?.item, var stored = items[after.id] else { return }
        stored.item = after
        stored.version += 1
        stored.updatedAt = now
        stored.rescheduled = stored.rescheduled || changes.contains { $0.type == .rescheduled }
        items[after.id] = stored
        for change in changes { try announce(change) }
    }

    /// The item's event, numbered with its next event version, in its deploy's trace (as
    /// ``ActionItemRepository`` does).
    private func announce(_ change: ActionItemChange) throws {
        guard let scope = scopes[change.item.postmortemId] else { throw ActionItemEditError.notFound }
        let version = eventVersions[change.item.id, default: 0] + 1
        eventVersions[change.item.id] = version
        outbox.append(
            encoder.encode(
                change,
                in: ActionItemEventScope(service: scope.service, environment: scope.environment, version: version),
                trace: try traceParent(ofDeploy: change.item.deployId)))
    }

    func unannouncedOverdue(at now: Date, limit: Int) throws -> [(itemId: String, deployId: String)] {
        items.values.map(\.item)
            .filter {
                ActionItemStatus.active.contains($0.status) && $0.dueAt < now && $0.overdueReportedFor != $0.dueAt
            }
            .sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }.prefix(limit).map { ($0.id, $0.deployId) }
    }

    func recordOverdue(_ change: ActionItemChange, now: Date) throws {
        try announce(change)
        items[change.item.id]?.item.overdueReportedFor = change.item.dueAt
        items[change.item.id]?.updatedAt = now
    }

    // MARK: PostmortemStoring

    func postmortem(id: String) throws -> PostmortemRecord? { postmortems[id] }

    func traceParent(ofDeploy deployId: String) throws -> TraceParent? {
        events.values.map(\.event).filter { $0.event.deployId == deployId && $0.traceParent != nil }
            .max { ($0.event.occurredAt, $0.key.source, $0.key.id) < ($1.event.occurredAt, $1.key.source, $1.key.id) }?
            .traceParent
    }

    func recordStatus(
        of postmortemId: String, _ status: PostmortemStatus, document: JSONValue, digest: String, event: OutputEvent,
        now: Date
    ) throws {
        postmortems[postmortemId]?.status = status
        postmortems[postmortemId]?.document = document
        postmortems[postmortemId]?.updatedAt = now
        postmortems[postmortemId]?.closedAt = status == .closed ? now : nil
        digests[postmortemId] = digest
        outbox.append(event)
    }

    // MARK: Locking

    func lockDeploys(_ deployIds: [String]) throws { deployLocks.append(deployIds.sorted()) }

    func tryLock(_ lock: ServiceLock) throws -> Bool { !heldElsewhere.contains(lock) }

    // MARK: Seeding

    /// Stores `postmortem` as the analysis step would have (document, status) with its items
    /// in the given statuses (by position; open when not given).
    func seed(_ postmortem: Postmortem, statuses: [ActionItemStatus] = [], at time: Date) {
        var items = postmortem.actionItems
        for index in items.indices where index < statuses.count { items[index].status = statuses[index] }
        var stored = postmortem
        stored.actionItems = items
        stored.status = PostmortemStatus.of(items.map(\.status))
        postmortems[postmortem.id] = PostmortemRecord(
            id: postmortem.id, deployId: postmortem.deployId, status: stored.status, document: stored.json,
            openedAt: time, updatedAt: time, closedAt: nil)
        scopes[postmortem.id] = (postmortem.service, postmortem.environment)
        for item in items {
            self.items[item.id] = StoredActionItem(item: item, version: 1, createdAt: time, updatedAt: time)
            eventVersions[item.id] = 1  // its `created` event
        }
    }
}
