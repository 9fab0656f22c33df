import Foundation
import Postgres
import PostmortemCore

/// The SQL of stored action items shared by the API's edits and by re-analysis: how a row is
/// read, and how a change is recorded (row, history and lifecycle event in one go).
enum ActionItemRows {
    /// The select list (and `FROM`) of a ``StoredActionItem``.
    static let columns = """
        a.action_item_id::text AS id, a.postmortem_id::text AS postmortem_id, p.deploy_id, a.finding_key, a.kind, a.gate,
        a.title, a.description, a.owner, a.due_at, a.status, a.evidence_url, a.overdue_reported_for, a.version,
        a.created_at, a.updated_at, a.superseded, (extract(epoch FROM a.due_at) * 1000000)::bigint AS sort_key
        FROM action_items a JOIN postmortems p USING (postmortem_id)
        """

    /// The items of a postmortem as stored, by ID.
    static func items(ofPostmortem postmortemId: String, on connection: isolated PostgresConnection) throws -> [String: StoredActionItem] {
        var items: [String: StoredActionItem] = [:]
        for row in try connection.query("SELECT \(columns) WHERE a.postmortem_id = $1::uuid", [postmortemId]) {
            let item = try decode(row)
            items[item.item.id] = item
        }
        return items
    }

    /// Records `changes` of one item (in order; the last holds its state afterwards): the row
    /// with a new version, its history, and one lifecycle event each in the outbox.
    /// `superseded` sets the re-analysis mark; nil leaves it.
    static func record(
        _ changes: [ActionItemChange], superseded: Bool? = nil, now: Date, outbox: OutboxWriter,
        on connection: isolated PostgresConnection
    ) throws {
        guard let after = changes.last?.item else { return }
        try connection.query(
            """
            UPDATE action_items SET owner = $2, due_at = $3, status = $4, evidence_url = $5, title = $6, description = $7,
                superseded = coalesce($8, superseded), version = version + 1, updated_at = $9, history = history || $10::jsonb
            WHERE action_item_id = $1::uuid
            """,
            [after.id, after.owner, after.dueAt, after.status.rawValue, after.evidenceUrl, after.title, after.description,
             superseded, now, PostgresJSON(rawJSON: JSONValue.array(changes.map(\.historyEntry)).serialized)])
        for change in changes { try outbox.enqueueActionItemEvent(change, on: connection) }
    }

    /// A row selected with ``columns``.
    static func decode(_ row: PostgresRow) throws -> StoredActionItem {
        func required<T: RawRepresentable>(_ type: T.Type, _ column: String) throws -> T where T.RawValue == String {
            let raw: String = try row.decode(named: column)
            guard let value = T(rawValue: raw) else { throw PostgresError(.decoding, "action_items.\(column): unknown value \(raw)") }
            return value
        }
        let item = ActionItem(
            id: try row.decode(named: "id"), postmortemId: try row.decode(named: "postmortem_id"),
            deployId: try row.decode(named: "deploy_id"), findingKey: try row.decode(named: "finding_key"),
            kind: try required(ActionItemKind.self, "kind"), gate: try required(FindingArea.self, "gate"),
            title: try row.decode(named: "title"), description: try row.decode(named: "description"),
            owner: try row.decode(String?.self, named: "owner") ?? "", dueAt: try row.decode(named: "due_at"),
            status: try required(ActionItemStatus.self, "status"), evidenceUrl: try row.decode(named: "evidence_url"),
            overdueReportedFor: try row.decode(named: "overdue_reported_for"))
        return StoredActionItem(
            item: item, version: try row.decode(named: "version"), createdAt: try row.decode(named: "created_at"),
            updatedAt: try row.decode(named: "updated_at"), superseded: try row.decode(named: "superseded"))
    }
}


extension ActionItemChange {
    /// The change as kept in `action_items.history`: its event data plus the event type.
    fileprivate var historyEntry: JSONValue {
        guard case .object(var fields) = json else { return json }
        fields["type"] = .string(type.rawValue)
        return .object(fields)
    }
}
