import Foundation
import Postgres
import PostmortemCore

/// Opens or merges the one postmortem of a deploy, with its action items, and writes the
/// matching output events to the outbox in the same transaction.
struct PostmortemStore: Sendable {
    let encoder: OutputEventEncoder
    let outbox: OutboxWriter

    /// What saving an analysis did.
    enum Outcome: Equatable, Sendable {
        case opened
        case updated
        case unchanged
    }

    /// Saves `analysis` (fresh from the analyzer). Action-item lifecycle state already stored
    /// wins over the analysis (owners move items along; re-analysis never resets them).
    func save(_ analysis: Postmortem, now: Date, on connection: isolated PostgresConnection) throws -> Outcome {
        let stored = try storedLifecycles(of: analysis.id, on: connection)
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
        try outbox.enqueuePostmortemEvent(encoder.encode(postmortem, as: outcome == .opened ? .opened : .updated, at: now), on: connection)
        for item in newItems {
            try outbox.enqueueActionItemEvent(encoder.encode(item.created(by: "deploy-postmortem", at: now)), on: connection)
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
            encoder.encode(postmortem, as: postmortem.status == .closed ? .closed : .updated, at: now, causedBy: eventId), on: connection)
    }

    /// What identifies the content of `postmortem` (its event ID is derived from the content).
    private func digest(of postmortem: Postmortem) -> String {
        encoder.encode(postmortem, as: .updated, at: .distantPast).id
    }

    /// The postmortem as it stands: the analysis with the stored lifecycle of its items.
    func current(_ analysis: Postmortem, on connection: isolated PostgresConnection) throws -> Postmortem {
        Self.overlay(try storedLifecycles(of: analysis.id, on: connection), on: analysis)
    }

    /// The analysis with the stored lifecycle of its items. The status counts every item of
    /// the postmortem, also those planned by an earlier analysis that no longer has their
    /// finding: closed when all are done or cancelled.
    private static func overlay(_ stored: [String: StoredLifecycle], on analysis: Postmortem) -> Postmortem {
        var postmortem = analysis
        postmortem.actionItems = postmortem.actionItems.map { item in stored[item.id].map { $0.applied(to: item) } ?? item }
        let unstored = postmortem.actionItems.filter { stored[$0.id] == nil }.map(\.status)
        postmortem.status = PostmortemStatus.of(stored.values.map(\.status) + unstored)
        return postmortem
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

    /// The lifecycle state of an action item as stored: what owners and the sweeper changed.
    struct StoredLifecycle {
        var status: ActionItemStatus
        var owner: String?
        var dueAt: Date
        var evidenceUrl: String?
        var overdueReportedFor: Date?

        func applied(to item: ActionItem) -> ActionItem {
            var item = item
            item.status = status
            item.owner = owner ?? item.owner
            item.dueAt = dueAt
            item.evidenceUrl = evidenceUrl ?? item.evidenceUrl
            item.overdueReportedFor = overdueReportedFor
            return item
        }
    }

    private func storedLifecycles(of postmortemId: String, on connection: isolated PostgresConnection) throws -> [String: StoredLifecycle] {
        var lifecycles: [String: StoredLifecycle] = [:]
        let rows = try connection.query(
            "SELECT action_item_id::text, status, owner, due_at, evidence_url, overdue_reported_for FROM action_items WHERE postmortem_id = $1::uuid",
            [postmortemId])
        for row in rows {
            guard let status = ActionItemStatus(rawValue: try row.decode(String.self, at: 1)) else { continue }
            lifecycles[try row.decode(String.self, at: 0)] = StoredLifecycle(
                status: status, owner: try row.decode(String?.self, at: 2), dueAt: try row.decode(Date.self, at: 3),
                evidenceUrl: try row.decode(String?.self, at: 4), overdueReportedFor: try row.decode(Date?.self, at: 5))
        }
        return lifecycles
    }
}
