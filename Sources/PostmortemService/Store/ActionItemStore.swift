import Foundation
import Postgres
import PostmortemCore

/// An action item as stored, with the bookkeeping the API exposes.
struct StoredActionItem: Sendable {
    /// The item with its current lifecycle state.
    var item: ActionItem
    /// Optimistic-concurrency version: the `ETag`.
    var version: Int
    /// When it was planned.
    var createdAt: Date
    /// When it last changed.
    var updatedAt: Date
    /// Cancelled by re-analysis because its finding no longer applies (reopened if it returns).
    var superseded = false
}

/// Which action items to list (all filters optional), `limit` per page.
struct ActionItemFilter: Sendable {
    var owner: String?
    var status: ActionItemStatus?
    /// true: open or in progress and past due; false: the others.
    var overdue: Bool?
    var postmortemId: String?
    var limit = 50
    var after: PageCursor?
}

/// A refused action-item edit.
enum ActionItemEditError: Error, Sendable {
    /// No such item.
    case notFound
    /// `If-Match` named another version than the stored one.
    case versionMismatch(current: Int)
    /// The state machine refuses a transition.
    case illegal(ActionItemTransitionError)
}

/// Reads and edits action items. An edit runs in one transaction: the row (locked), its
/// history, the lifecycle events in the outbox, and the postmortem's status with its
/// `postmortem.closed` / `postmortem.updated` event when the edit closes or reopens it.
struct ActionItemStore: Sendable {
    let pool: PostgresPool
    let reader: PostmortemReader
    let postmortems: PostmortemStore
    let outbox: OutboxWriter

    /// One page of items, by due date then ID.
    func list(_ filter: ActionItemFilter, now: Date) async throws -> Page<StoredActionItem> {
        let rows = try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT \(ActionItemRows.columns)
                WHERE ($1::text IS NULL OR a.owner = $1) AND ($2::text IS NULL OR a.status = $2)
                  AND ($3::boolean IS NULL OR (a.status IN ('open', 'in_progress') AND a.due_at < $4) = $3)
                  AND ($5::text IS NULL OR a.postmortem_id = $5::uuid)
                  AND ($6::bigint IS NULL OR (a.due_at, a.action_item_id) > (to_timestamp(0) + $6 * interval '1 microsecond', $7::uuid))
                ORDER BY a.due_at, a.action_item_id
                LIMIT $8
                """,
                [filter.owner, filter.status?.rawValue, filter.overdue, now, filter.postmortemId,
                 filter.after?.microseconds, filter.after?.id, filter.limit + 1]
            ).map { row in (try ActionItemRows.decode(row), PageCursor(microseconds: try row.decode(named: "sort_key"), id: try row.decode(named: "id"))) }
        }
        return Page(rows: rows, limit: filter.limit)
    }

    /// The item with `id`, or nil.
    func item(_ id: String) async throws -> StoredActionItem? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(ActionItemRows.columns) WHERE a.action_item_id = $1::uuid", [id]).first.map(ActionItemRows.decode)
        }
    }

    /// The items of a postmortem, by due date then ID.
    func items(ofPostmortem postmortemId: String) async throws -> [StoredActionItem] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(ActionItemRows.columns) WHERE a.postmortem_id = $1::uuid ORDER BY a.due_at, a.action_item_id", [postmortemId]
            ).map(ActionItemRows.decode)
        }
    }

    /// Item counts by status, and how many are overdue at `now` (for `/metrics`).
    func counts(now: Date) async throws -> (byStatus: [String: Int], overdue: Int) {
        try await pool.withConnection { connection in
            var counts: (byStatus: [String: Int], overdue: Int) = ([:], 0)
            for row in try connection.query(
                """
                SELECT status, count(*), count(*) FILTER (WHERE status IN ('open', 'in_progress') AND due_at < $1)
                FROM action_items GROUP BY status
                """, [now]) {
                counts.byStatus[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
                counts.overdue += try row.decode(Int.self, at: 2)
            }
            return counts
        }
    }

    /// Applies `patch` to item `id` on behalf of `actor`, if its version is `expectedVersion`
    /// (when given). Returns the item as stored afterwards; an edit that changes nothing
    /// leaves it (and its version) untouched and emits nothing.
    func edit(
        _ id: String, patch: ActionItemPatch, expectedVersion: Int?, actor: String, now: Date
    ) async throws -> StoredActionItem {
        let (reader, postmortems, outbox) = (reader, postmortems, outbox)
        return try await pool.withTransaction { connection in
            // The deploy's advisory lock first, as the pipeline and the sweeper take it: edits and
            // re-analysis of one postmortem never interleave (status, closing, digest).
            guard let deployId = try connection.query(
                "SELECT p.deploy_id FROM action_items a JOIN postmortems p USING (postmortem_id) WHERE a.action_item_id = $1::uuid", [id]
            ).first?.decode(String.self, at: 0)
            else { throw ActionItemEditError.notFound }
            try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [deployId])
            guard let stored = try connection.query("SELECT \(ActionItemRows.columns) WHERE a.action_item_id = $1::uuid FOR UPDATE OF a", [id])
                .first.map(ActionItemRows.decode)
            else { throw ActionItemEditError.notFound }
            if let expectedVersion, expectedVersion != stored.version { throw ActionItemEditError.versionMismatch(current: stored.version) }
            let changes: [ActionItemChange]
            do {
                changes = try patch.changes(to: stored.item, by: actor, at: now)
            } catch let refusal as ActionItemTransitionError {
                throw ActionItemEditError.illegal(refusal)
            }
            guard let after = changes.last?.item else { return stored }

            try ActionItemRows.record(changes, now: now, outbox: outbox, on: connection)
            try Self.updatePostmortemStatus(
                of: stored.item, causedBy: outbox.encoder.eventID(of: changes[changes.count - 1]), now: now,
                reader: reader, postmortems: postmortems, on: connection)
            var result = stored
            result.item = after
            result.version += 1
            result.updatedAt = now
            return result
        }
    }

    /// Closes the item's postmortem when all its items are done or cancelled, reopens it when
    /// one is not (the rule of ``PostmortemStore``); nothing when its status stays.
    private static func updatePostmortemStatus(
        of item: ActionItem, causedBy eventId: String, now: Date, reader: PostmortemReader, postmortems: PostmortemStore,
        on connection: isolated PostgresConnection
    ) throws {
        let storedStatus = try connection.query("SELECT status FROM postmortems WHERE postmortem_id = $1::uuid", [item.postmortemId])
            .first?.decode(String.self, at: 0)
        guard let postmortem = try reader.postmortem(ofDeploy: item.deployId, on: connection),
              postmortem.status.rawValue != storedStatus
        else { return }
        try postmortems.saveStatusChange(postmortem, causedBy: eventId, now: now, on: connection)
    }
}
