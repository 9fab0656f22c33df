import Foundation
import PostmortemCore

/// One overdue sweep, in one transaction: `action_item.overdue` once per item and due date
/// (moving the due date makes the item eligible again), one sweep at a time across replicas
/// (``ServiceLock/overdueSweep``), each deploy's items under its lock so a due date moved
/// meanwhile is seen.
struct SweepOverdueItems: Sendable {
    /// Items announced per sweep at most; the next sweep takes the rest.
    var limit = 500

    /// Announces the items overdue at `now`; returns their IDs. Returns none at once when
    /// another replica is sweeping.
    func run(now: Date, in store: some ActionItemStoring & Locking) throws -> [String] {
        guard try store.tryLock(.overdueSweep) else { return [] }
        let due = try store.unannouncedOverdue(at: now, limit: limit)
        var announced: [String] = []
        for (deployId, itemIds) in Dictionary(grouping: due, by: \.deployId).sorted(by: { $0.key < $1.key }) {
            try store.lockDeploys([deployId])
            for itemId in itemIds.map(\.itemId).sorted() {
                guard let change = try store.item(itemId, forUpdate: false)?.item.overdueChange(at: now) else {
                    continue
                }
                try store.recordOverdue(change, now: now)
                announced.append(itemId)
            }
        }
        return announced
    }
}
