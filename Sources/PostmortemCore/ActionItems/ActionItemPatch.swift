import Foundation

/// A requested edit of an action item (the body of `PATCH /v1/action-items/{id}`): any of a
/// new owner, status, due date and evidence URL. It becomes lifecycle commands in a fixed
/// order: a reopen first (so the reopened item can be reassigned or rescheduled in the same
/// edit), then assign, reschedule and evidence, and any other status move last (so an item can
/// be reassigned and completed at once). Fields equal to the current value change nothing.
public struct ActionItemPatch: Sendable, Hashable {
    /// New owner.
    public var owner: String?
    /// Target status.
    public var status: ActionItemStatus?
    /// New due date.
    public var dueAt: Date?
    /// Evidence of the fix.
    public var evidenceUrl: String?

    /// Creates a patch; nil fields stay as they are.
    public init(owner: String? = nil, status: ActionItemStatus? = nil, dueAt: Date? = nil, evidenceUrl: String? = nil) {
        self.owner = owner
        self.status = status
        self.dueAt = dueAt
        self.evidenceUrl = evidenceUrl
    }

    /// The changes that bring `item` to this patch, in order; empty when nothing differs.
    /// Throws the first transition the state machine refuses (nothing is applied then).
    public func changes(to item: ActionItem, by actor: String, at time: Date) throws(ActionItemTransitionError)
        -> [ActionItemChange]
    {
        var commands: [ActionItemCommand] = []
        let move = status.flatMap { Self.command(from: item.status, to: $0) }
        if case .reopen = move { commands.append(.reopen) }
        if let owner, owner != item.owner { commands.append(.assign(owner)) }
        if let dueAt, dueAt != item.dueAt { commands.append(.reschedule(dueAt)) }
        if let evidenceUrl, evidenceUrl != item.evidenceUrl { commands.append(.attachEvidence(evidenceUrl)) }
        if let move, move != .reopen { commands.append(move) }

        var current = item
        var changes: [ActionItemChange] = []
        for command in commands {
            let change = try current.applying(command, by: actor, at: time)
            changes.append(change)
            current = change.item
        }
        return changes
    }

    /// The command that moves an item from `status` to `target`; nil when they are equal.
    /// Moves the state machine has no command for (in_progress → open) map to `reopen`, which
    /// the state machine then refuses.
    static func command(from status: ActionItemStatus, to target: ActionItemStatus) -> ActionItemCommand? {
        guard status != target else { return nil }
        return switch target {
        case .open: .reopen
        case .inProgress: .start
        case .done: .complete
        case .cancelled: .cancel
        }
    }
}
