import Foundation
import Postgres
import PostmortemCore

/// Opens or merges the one postmortem of a deploy, with its action items, and writes the
/// matching output events to the outbox in the same transaction.
struct PostmortemStore: Sendable {
    let outbox: OutboxWriter

    /// What saving an analysis did.
    enum Outcome: Equatable, Sendable {
        case opened
        case updated
        case unchanged
    }

    /// Saves `analysis` (fresh from the analyzer). Action-item lifecycle state already stored
    /// wins over the analysis (owners move items along; re-analysis never resets them), but
    /// the analysis owns what items exist and what they say: an item whose finding is gone is
    /// cancelled as superseded, one whose finding is back is reopened, and one whose title or
    /// description changed is revised, each with its lifecycle event. So the stored items
    /// never depend on the order in which the events arrived.
    func save(_ analysis: Postmortem, now: Date, on connection: isolated PostgresConnection) throws -> Outcome {
        let storedItems = try ActionItemRows.items(ofPostmortem: analysis.id, on: connection)
        var stored = storedItems.mapValues(\.item)
        let reconciliation = Self.reconcile(storedItems, with: analysis, at: now)
        for case let after? in reconciliation.map(\.changes.last?.item) { stored[after.id] = after }
        let postmortem = Self.overlay(stored, on: analysis)
        let digest = self.digest(of: postmortem)
        let newItems = postmortem.actionItems.filter { stored[$0.id] == nil }

        let inserted = try connection.query(
            """
            INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, artifact, triggers, severity, status,
                                     rolled_back_at, contributing_metrics, findings, document, analysis_digest,
                                     opened_at, updated_at)
            VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10->'contributingMetrics', $10->'findings', $10, $11, $12, $12)
            ON CONFLICT (deploy_id) DO NOTHING
            """,
            try rowValues(postmortem, digest: digest, now: now)
        ).affectedRows == 1

        let outcome: Outcome
        if inserted {
            outcome = .opened
        } else {
            let previous = try connection.query(
                "SELECT analysis_digest FROM postmortems WHERE deploy_id = $1 FOR UPDATE", [postmortem.deployId])
            guard try previous.first?.decode(String.self, at: 0) != digest else { return .unchanged }
            try connection.query(
                """
                UPDATE postmortems SET artifact = $5, triggers = $6, severity = $7, status = $8, rolled_back_at = $9,
                    contributing_metrics = $10->'contributingMetrics', findings = $10->'findings', document = $10,
                    analysis_digest = $11, updated_at = $12, version = version + 1,
                    closed_at = CASE WHEN $8 = 'closed' THEN coalesce(closed_at, $12) END
                WHERE postmortem_id = $1::uuid AND deploy_id = $2 AND service = $3 AND environment = $4
                """,
                try rowValues(postmortem, digest: digest, now: now))
            outcome = .updated
        }
        for item in newItems { try insert(item, now: now, on: connection) }
        for change in reconciliation {
            try ActionItemRows.record(change.changes, superseded: change.superseded, now: now, outbox: outbox, on: connection)
        }
        try outbox.enqueuePostmortemEvent(postmortem, as: outcome == .opened ? .opened : .updated, at: now, on: connection)
        for item in newItems {
            try outbox.enqueueActionItemEvent(item.created(by: "deploy-postmortem", at: now), on: connection)
        }
        return outcome
    }

    /// Stores the status `postmortem` has after one of its items changed (closed when all are
    /// done or cancelled, else open) and announces it: `postmortem.closed`, or
    /// `postmortem.updated` when it reopens. `eventId` is the item event that caused it.
    func saveStatusChange(_ postmortem: Postmortem, causedBy eventId: String, now: Date, on connection: isolated PostgresConnection) throws {
        try connection.query(
            """
            UPDATE postmortems SET status = $2, closed_at = CASE WHEN $2 = 'closed' THEN $3 END, updated_at = $3,
                version = version + 1, analysis_digest = $4, document = $5
            WHERE postmortem_id = $1::uuid
            """,
            // The digest re-analysis compares against, so this change is not announced twice.
            [postmortem.id, postmortem.status.rawValue, now, digest(of: postmortem), PostgresJSON(rawJSON: postmortem.json.serialized)])
        try outbox.enqueuePostmortemEvent(
            postmortem, as: postmortem.status == .closed ? .closed : .updated, at: now, causedBy: eventId, on: connection)
    }

    /// What identifies the content of `postmortem` (its event ID is derived from the content).
    private func digest(of postmortem: Postmortem) -> String {
        outbox.encoder.encode(postmortem, as: .updated, at: .distantPast).id
    }

    /// The postmortem as it stands: the analysis with the stored lifecycle of its items.
    func current(_ analysis: Postmortem, on connection: isolated PostgresConnection) throws -> Postmortem {
        Self.overlay(try ActionItemRows.items(ofPostmortem: analysis.id, on: connection).mapValues(\.item), on: analysis)
    }

    /// The analysis with the stored lifecycle of its items. The status counts every item of
    /// the postmortem, also those planned by an earlier analysis that no longer has their
    /// finding: closed when all are done or cancelled.
    private static func overlay(_ stored: [String: ActionItem], on analysis: Postmortem) -> Postmortem {
        var postmortem = analysis
        postmortem.actionItems = postmortem.actionItems.map { item in stored[item.id].map { $0.withLifecycle(applied: item) } ?? item }
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
    static func reconcile(_ stored: [String: StoredActionItem], with analysis: Postmortem, at now: Date) -> [ItemReconciliation] {
        let planned = Dictionary(uniqueKeysWithValues: analysis.actionItems.map { ($0.id, $0) })
        return stored.values.sorted { $0.item.id < $1.item.id }.compactMap { entry in
            let item = entry.item
            guard let plan = planned[item.id] else {
                guard !entry.superseded, let change = item.superseded(at: now) else { return nil }
                return ItemReconciliation(changes: [change], superseded: true)
            }
            let restore = entry.superseded && item.status == .cancelled
            var changes = restore ? [item.restored(at: now)] : []
            if let revision = (changes.last?.item ?? item).revised(as: plan, at: now) { changes.append(revision) }
            guard !changes.isEmpty else { return nil }
            return ItemReconciliation(changes: changes, superseded: restore ? false : nil)
        }
    }

    private func rowValues(_ postmortem: Postmortem, digest: String, now: Date) throws -> [any PostgresEncodable] {
        [
            postmortem.id, postmortem.deployId, postmortem.service, postmortem.environment,
            PostgresJSON(rawJSON: postmortem.artifact?.json.serialized ?? "{}"),
            postmortem.triggers.map(\.trigger.description), postmortem.severity.rawValue,
            postmortem.status == .closed ? "closed" : "open", postmortem.rolledBackAt,
            PostgresJSON(rawJSON: postmortem.json.serialized), digest, now,
        ]
    }

    private func insert(_ item: ActionItem, now: Date, on connection: isolated PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO action_items (action_item_id, postmortem_id, finding_key, kind, gate, title, description,
                                      owner, due_at, status, evidence_url, created_at, updated_at)
            VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
            ON CONFLICT (action_item_id) DO NOTHING
            """,
            [item.id, item.postmortemId, item.findingKey, item.kind.rawValue, item.gate.rawValue, item.title,
             item.description, item.owner, item.dueAt, item.status.rawValue, item.evidenceUrl, now])
    }
}

extension ActionItem {
    /// `planned` (what the analysis says) with this stored item's lifecycle: status, owner,
    /// due date, evidence and overdue report, as owners and the sweeper left them.
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
