import Foundation
import Postgres
import PostmortemCore

/// Opens or merges the one postmortem of a deploy, with its action items, and writes the
/// matching output events to the outbox in the same transaction. No SQL of its own: the
/// rules are here, the statements in the repositories.
struct PostmortemStore: Sendable {
    let encoder: OutputEventEncoder
    let postmortems: PostmortemRepository
    let actionItems: ActionItemRepository
    let outbox: OutboxRepository

    /// What saving an analysis did.
    enum Outcome: Equatable, Sendable {
        case opened
        case updated
        case unchanged
    }

    /// Saves `analysis` (fresh from the analyzer). Action-item lifecycle state already stored
    /// wins over the analysis (owners move items along; re-analysis never resets them), but
    /// the analysis owns what items exist and what they say: an item whose finding is gone is
    /// cancelled as superseded, one whose finding is back is reopened, and one whose title,
    /// description or due date changed is revised (an owner's rescheduled date stands), each
    /// with its lifecycle event. So the stored items
    /// never depend on the order in which the events arrived.
    func save(_ analysis: Postmortem, now: Date, on connection: isolated PostgresConnection) throws -> Outcome {
        let storedItems = try actionItems.items(ofPostmortem: analysis.id, on: connection)
        var stored = storedItems.mapValues(\.item)
        let reconciliation = Self.reconcile(storedItems, with: analysis, at: now)
        for case let after? in reconciliation.map(\.changes.last?.item) { stored[after.id] = after }
        let postmortem = Self.overlay(stored, on: analysis)
        let digest = self.digest(of: postmortem.json, id: postmortem.id)
        let newItems = postmortem.actionItems.filter { stored[$0.id] == nil }

        let outcome: Outcome
        if try postmortems.insertIfNew(postmortem, digest: digest, now: now, on: connection) {
            outcome = .opened
        } else {
            guard try postmortems.digestForUpdate(ofDeploy: postmortem.deployId, on: connection) != digest else {
                return .unchanged
            }
            try postmortems.update(postmortem, digest: digest, now: now, on: connection)
            outcome = .updated
        }
        for item in newItems { try actionItems.insert(item, now: now, on: connection) }
        for change in reconciliation {
            try actionItems.record(change.changes, superseded: change.superseded, now: now, on: connection)
        }
        let trace = try DeployRepository.traceParent(ofDeploy: postmortem.deployId, on: connection)
        try outbox.enqueuePostmortemEvent(
            encoder.encode(postmortem, as: outcome == .opened ? .opened : .updated, at: now, trace: trace),
            on: connection)
        try actionItems.announceCreated(newItems, now: now, on: connection)
        return outcome
    }

    /// Withdraws the stored postmortem of `deployId`, whose deploy has no trigger any more
    /// because its failure events now belong to `takenBy` (re-derived attribution): the row and
    /// its last analysis stay, with status `withdrawn` and `withdrawnInFavorOf` in the document;
    /// open and in-progress items are cancelled saying so (restored, like superseded ones, if a
    /// trigger returns: ``save(_:now:on:)`` then reopens the postmortem with `postmortem.updated`);
    /// `postmortem.withdrawn` is announced. False when it has no postmortem or it is withdrawn.
    func withdraw(deployId: String, takenBy: [String], now: Date, on connection: isolated PostgresConnection) throws
        -> Bool
    {
        guard let record = try postmortems.record(ofDeploy: deployId, on: connection), record.status != .withdrawn,
            case .object(var fields) = record.document
        else { return false }
        let reason =
            takenBy.isEmpty
            ? "deploy \(deployId) no longer has a trigger"
            : "the trigger of deploy \(deployId) now belongs to deploy \(takenBy.joined(separator: ", "))"
        let items = try actionItems.items(ofPostmortem: record.id, on: connection)
        for entry in items.values.sorted(by: { $0.item.id < $1.item.id }) where !entry.superseded {
            guard let change = entry.item.withdrawn(at: now, reason: reason) else { continue }
            try actionItems.record([change], superseded: true, now: now, on: connection)
        }
        fields["status"] = .string(PostmortemStatus.withdrawn.rawValue)
        fields["withdrawnInFavorOf"] = .array(takenBy.map(JSONValue.string))
        let document = JSONValue.object(fields)
        try postmortems.updateStatus(
            of: record.id, to: .withdrawn, document: document, digest: digest(of: document, id: record.id), now: now,
            on: connection)
        let trace = try DeployRepository.traceParent(ofDeploy: deployId, on: connection)
        try outbox.enqueuePostmortemEvent(
            encoder.encodePostmortem(document, id: record.id, as: .withdrawn, at: now, trace: trace), on: connection)
        return true
    }

    /// What identifies the content of a postmortem's document (its event ID derives from it).
    private func digest(of document: JSONValue, id: String) -> String {
        encoder.encodePostmortem(document, id: id, as: .updated, at: .distantPast).id
    }

    /// The analysis with the stored lifecycle of its items. The status counts every item of
    /// the postmortem, also those planned by an earlier analysis that no longer has their
    /// finding: closed when all are done or cancelled.
    private static func overlay(_ stored: [String: ActionItem], on analysis: Postmortem) -> Postmortem {
        var postmortem = analysis
        postmortem.actionItems = postmortem.actionItems.map { item in
            stored[item.id].map { $0.withLifecycle(applied: item) } ?? item
        }
        let unstored = postmortem.actionItems.filter { stored[$0.id] == nil }.map(\.status)
        postmortem.status = PostmortemStatus.of(stored.values.map(\.status) + unstored)
        return postmortem
    }

    /// The changes of one stored item that re-analysis makes.
    struct ItemReconciliation {
        var changes: [ActionItemChange]
        /// The new re-analysis mark, nil to leave it.
        var superseded: Bool?
    }

    /// What re-analysis changes in the stored items: supersede those whose finding is gone,
    /// restore superseded ones whose finding is back, revise the wording of the others.
    /// Owners' choices stand: an item they finished, cancelled or reopened is not moved.
    static func reconcile(_ stored: [String: StoredActionItem], with analysis: Postmortem, at now: Date)
        -> [ItemReconciliation]
    {
        let planned = Dictionary(uniqueKeysWithValues: analysis.actionItems.map { ($0.id, $0) })
        return stored.values.sorted { $0.item.id < $1.item.id }.compactMap { entry in
            let item = entry.item
            guard let plan = planned[item.id] else {
                guard !entry.superseded, let change = item.superseded(at: now) else { return nil }
                return ItemReconciliation(changes: [change], superseded: true)
            }
            let restore = entry.superseded && item.status == .cancelled
            var changes = restore ? [item.restored(at: now)] : []
            if let revision = (changes.last?.item ?? item).revised(
                as: plan, keepingDueDate: entry.rescheduled, at: now)
            {
                changes.append(revision)
            }
            guard !changes.isEmpty else { return nil }
            return ItemReconciliation(changes: changes, superseded: restore ? false : nil)
        }
    }
}

extension ActionItem {
    /// `planned` (what the analysis says) with this stored item's lifecycle: status, owner,
    /// due date (reconciled: the analysis's until an owner reschedules it), evidence and overdue
    /// report, as owners and the sweeper left them.
    fileprivate func withLifecycle(applied planned: ActionItem) -> ActionItem {
        var item = planned
        item.status = status
        item.owner = owner.isEmpty ? planned.owner : owner
        item.dueAt = dueAt
        item.evidenceUrl = evidenceUrl ?? planned.evidenceUrl
        item.overdueReportedFor = overdueReportedFor
        return item
    }
}
