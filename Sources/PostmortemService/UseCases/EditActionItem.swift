import Foundation
import PostmortemCore

/// A refused action-item edit.
enum ActionItemEditError: Error, Sendable, Equatable {
    /// No such item.
    case notFound
    /// `If-Match` named another version than the stored one.
    case versionMismatch(current: Int)
    /// The state machine refuses a transition.
    case illegal(ActionItemTransitionError)
}

/// An owner's edit of one action item, in one transaction: the item (its deploy's lock first,
/// as the analysis step and the sweeper take it, then its row), its history and lifecycle
/// events, and the postmortem's status with `postmortem.closed` / `postmortem.updated` when
/// the edit closes or reopens it. The stored document is what changes: no re-analysis.
struct EditActionItem: Sendable {
    let encoder: OutputEventEncoder

    /// Applies `patch` to item `id` on behalf of `actor`, if its version is `expectedVersion`
    /// (when given). Returns the item as stored afterwards; an edit that changes nothing
    /// leaves it (and its version) untouched and emits nothing.
    func run(
        _ id: String, patch: ActionItemPatch, expectedVersion: Int?, actor: String, now: Date,
        in store: some ActionItemStoring & PostmortemStoring & Locking
    ) throws -> StoredActionItem {
        guard let deployId = try store.deployId(ofItem: id) else { throw ActionItemEditError.notFound }
        try store.lockDeploys([deployId])
        guard let stored = try store.item(id, forUpdate: true) else { throw ActionItemEditError.notFound }
        if let expectedVersion, expectedVersion != stored.version {
            throw ActionItemEditError.versionMismatch(current: stored.version)
        }
        let changes: [ActionItemChange]
        do {
            changes = try patch.changes(to: stored.item, by: actor, at: now)
        } catch {
            throw ActionItemEditError.illegal(error)
        }
        guard let last = changes.last else { return stored }

        try store.recordChanges(changes, now: now)
        try updateStatus(
            ofPostmortem: stored.item.postmortemId, causedBy: encoder.eventID(of: last), now: now, in: store)
        var result = stored
        result.item = last.item
        result.version += 1
        result.updatedAt = now
        return result
    }

    /// Stores the status the items give the postmortem (closed when all are done or
    /// cancelled, else open) and announces it: `postmortem.closed`, or `postmortem.updated`
    /// when it reopens; nothing when it stays. `eventId` is the item event that caused it.
    private func updateStatus(
        ofPostmortem postmortemId: String, causedBy eventId: String, now: Date,
        in store: some ActionItemStoring & PostmortemStoring
    ) throws {
        // A withdrawn postmortem stays withdrawn whatever its items do: only re-analysis reopens it.
        guard let record = try store.postmortem(id: postmortemId), record.status != .withdrawn else { return }
        let status = PostmortemStatus.of(try store.items(ofPostmortem: postmortemId).values.map(\.item.status))
        guard status != record.status, case .object(var fields) = record.document else { return }
        fields["status"] = .string(status.rawValue)
        let document = JSONValue.object(fields)
        let event = encoder.encodePostmortem(
            document, id: postmortemId, as: status == .closed ? .closed : .updated, at: now, causedBy: eventId,
            trace: try store.traceParent(ofDeploy: record.deployId))
        // The digest re-analysis compares against (``PostmortemStore``), so this change is not announced twice.
        let digest = encoder.encodePostmortem(document, id: postmortemId, as: .updated, at: .distantPast).id
        try store.recordStatus(of: postmortemId, status, document: document, digest: digest, event: event, now: now)
    }
}
