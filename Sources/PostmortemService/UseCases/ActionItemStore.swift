import Foundation
import Postgres
import PostmortemCore

/// Reads and edits action items. An edit runs in one transaction: the row (locked), its
/// history, the lifecycle events in the outbox, and the postmortem's status with its
/// `postmortem.closed` / `postmortem.updated` event when the edit closes or reopens it.
struct ActionItemStore: Sendable {
    /// Where edits run.
    let pool: PostgresPool
    /// Where reads run.
    let readPool: PostgresPool
    let repositories: PostgresTransaction.Repositories
    let editor: EditActionItem

    private var actionItems: ActionItemRepository { repositories.actionItems }

    /// One page of items, by due date then ID.
    func list(_ filter: ActionItemFilter, now: Date) async throws -> Page<StoredActionItem> {
        try await readPool.withConnection { [actionItems] connection in
            try actionItems.list(filter, now: now, on: connection)
        }
    }

    /// The item with `id`, or nil.
    func item(_ id: String) async throws -> StoredActionItem? {
        try await readPool.withConnection { [actionItems] connection in try actionItems.item(id, on: connection) }
    }

    /// The items of a postmortem, by due date then ID.
    func items(ofPostmortem postmortemId: String) async throws -> [StoredActionItem] {
        try await readPool.withConnection { [actionItems] connection in
            try actionItems.sortedItems(ofPostmortem: postmortemId, on: connection)
        }
    }

    /// Item counts by status, and how many are overdue at `now` (for `/metrics`).
    func counts(now: Date) async throws -> (byStatus: [String: Int], overdue: Int) {
        try await readPool.withConnection { [actionItems] connection in try actionItems.counts(now: now, on: connection)
        }
    }

    /// Applies `patch` to item `id` on behalf of `actor` (see ``EditActionItem``).
    func edit(
        _ id: String, patch: ActionItemPatch, expectedVersion: Int?, actor: String, now: Date
    ) async throws -> StoredActionItem {
        let (repositories, editor) = (repositories, editor)
        return try await pool.withTransaction { connection in
            try editor.run(
                id, patch: patch, expectedVersion: expectedVersion, actor: actor, now: now,
                in: repositories.transaction(on: connection))
        }
    }
}
