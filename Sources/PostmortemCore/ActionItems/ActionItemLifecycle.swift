import Foundation

/// A request to change an action item.
public enum ActionItemCommand: Sendable, Hashable {
    /// Give it to `owner` (not when done or cancelled).
    case assign(String)
    /// open → in_progress.
    case start
    /// open | in_progress → done.
    case complete
    /// open | in_progress → cancelled.
    case cancel
    /// done | cancelled → open.
    case reopen
    /// Move the due date (not when done or cancelled).
    case reschedule(Date)
    /// Link the evidence of the fix (the committed test, the changed runbook); any state.
    case attachEvidence(String)
}

/// Lifecycle event types (`io.deploypostmortem.action_item.<type>.v1`).
public enum ActionItemEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Planned.
    case created
    /// Owner changed.
    case assigned
    /// Work began.
    case started
    /// Finished.
    case completed
    /// Dropped.
    case cancelled
    /// Opened again.
    case reopened
    /// Due date moved.
    case rescheduled
    /// Evidence of the fix linked.
    case evidenceAttached = "evidence_attached"
    /// Past due (reported once per due date).
    case overdue
}

/// One change of an action item: the item after it, and who did what when.
public struct ActionItemChange: Sendable, Hashable {
    /// The item after the change.
    public var item: ActionItem
    /// What happened.
    public var type: ActionItemEventType
    /// Status before the change.
    public var previousStatus: ActionItemStatus?
    /// Who changed it.
    public var changedBy: String
    /// When.
    public var changedAt: Date
}

/// A command that is not allowed in the item's current state.
public struct ActionItemTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The state the item was in.
    public var status: ActionItemStatus
    /// The refused command.
    public var command: ActionItemCommand

    /// E.g. `cannot complete an action item that is cancelled`.
    public var description: String {
        let verb = switch command {
        case .assign: "assign"
        case .start: "start"
        case .complete: "complete"
        case .cancel: "cancel"
        case .reopen: "reopen"
        case .reschedule: "reschedule"
        case .attachEvidence: "attach evidence to"
        }
        return "cannot \(verb) an action item that is \(status.rawValue)"
    }
}

extension ActionItem {
    /// The `created` change of a newly planned item.
    public func created(by actor: String, at time: Date) -> ActionItemChange {
        ActionItemChange(item: self, type: .created, previousStatus: nil, changedBy: actor, changedAt: time)
    }

    /// Applies `command`; throws when the state machine does not allow it.
    public func applying(_ command: ActionItemCommand, by actor: String, at time: Date) throws(ActionItemTransitionError) -> ActionItemChange {
        var next = self
        let type: ActionItemEventType
        switch (command, status) {
        case (.assign(let owner), .open), (.assign(let owner), .inProgress):
            next.owner = owner
            type = .assigned
        case (.reschedule(let due), .open), (.reschedule(let due), .inProgress):
            next.dueAt = due
            type = .rescheduled
        case (.start, .open):
            next.status = .inProgress
            type = .started
        case (.complete, .open), (.complete, .inProgress):
            next.status = .done
            type = .completed
        case (.cancel, .open), (.cancel, .inProgress):
            next.status = .cancelled
            type = .cancelled
        case (.reopen, .done), (.reopen, .cancelled):
            next.status = .open
            type = .reopened
        case (.attachEvidence(let url), _):
            next.evidenceUrl = url
            type = .evidenceAttached
        default:
            throw ActionItemTransitionError(status: status, command: command)
        }
        return ActionItemChange(item: next, type: type, previousStatus: status, changedBy: actor, changedAt: time)
    }

    /// The `overdue` change when the item is overdue at `now` and not yet reported for its due date.
    public func overdueChange(at now: Date, by actor: String = "deploy-postmortem") -> ActionItemChange? {
        guard isOverdue(at: now), overdueReportedFor != dueAt else { return nil }
        var next = self
        next.overdueReportedFor = dueAt
        return ActionItemChange(item: next, type: .overdue, previousStatus: status, changedBy: actor, changedAt: now)
    }
}
