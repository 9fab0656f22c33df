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
    /// Title, description or due date rewritten by re-analysis (the figures they cite, or the
    /// severity, changed; a due date its owner rescheduled stays).
    case revised
    /// A done item that changed a gate: the gate caught the next regression of its metric.
    case verifiedEffective = "verified_effective"
    /// A done item that changed a gate: the gate missed its metric again.
    case regressed
    /// A done item that changed a gate: no regression decides its follow-up any more (the
    /// verdict published before is withdrawn).
    case followUpWithdrawn = "follow_up_withdrawn"
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
    /// Why, when the service made the change on its own (e.g. the finding no longer applies).
    public var reason: String? = nil
    /// The owner before an `assigned` change (nil on other changes, or when it had none).
    public var previousOwner: String? = nil
    /// The follow-up a verdict change announces (nil on other changes).
    public var followUp: FollowUpChange? = nil
}

/// A command that is not allowed in the item's current state.
public struct ActionItemTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The state the item was in.
    public var status: ActionItemStatus
    /// The refused command.
    public var command: ActionItemCommand

    /// E.g. `cannot complete an action item that is cancelled`.
    public var description: String {
        let verb =
            switch command {
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
    public func applying(_ command: ActionItemCommand, by actor: String, at time: Date)
        throws(ActionItemTransitionError) -> ActionItemChange
    {
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
        return ActionItemChange(
            item: next, type: type, previousStatus: status, changedBy: actor, changedAt: time,
            previousOwner: type == .assigned && !owner.isEmpty ? owner : nil)
    }

    /// The change re-analysis makes when the item's finding no longer applies: an item still
    /// open or in progress is cancelled, saying why; nil for one already done or cancelled.
    public func superseded(at time: Date, by actor: String = "deploy-postmortem") -> ActionItemChange? {
        cancelledByAnalysis(at: time, by: actor, reason: "superseded: re-analysis no longer finds \(findingKey)")
    }

    /// The change when its postmortem is withdrawn (its deploy lost its last trigger):
    /// cancelled with `reason`, restorable like a superseded item; nil unless open or in progress.
    public func withdrawn(at time: Date, reason: String, by actor: String = "deploy-postmortem") -> ActionItemChange? {
        cancelledByAnalysis(at: time, by: actor, reason: "withdrawn: \(reason)")
    }

    /// Cancelled by the analysis, not by an owner, with `reason`.
    private func cancelledByAnalysis(at time: Date, by actor: String, reason: String) -> ActionItemChange? {
        guard status == .open || status == .inProgress else { return nil }
        var next = self
        next.status = .cancelled
        return ActionItemChange(
            item: next, type: .cancelled, previousStatus: status, changedBy: actor, changedAt: time, reason: reason)
    }

    /// The change re-analysis makes when the finding of an item it had superseded is back.
    public func restored(at time: Date, by actor: String = "deploy-postmortem") -> ActionItemChange {
        var next = self
        next.status = .open
        return ActionItemChange(
            item: next, type: .reopened, previousStatus: status, changedBy: actor, changedAt: time,
            reason: "restored: re-analysis finds \(findingKey) again")
    }

    /// The `revised` change when re-analysis rewrote the item's title, description or proposal
    /// (the figures they cite changed), or its due date (the severity, or when the problem was
    /// detected, changed) unless `keepingDueDate` (an owner rescheduled it); nil when all are
    /// unchanged. Lifecycle state is kept.
    public func revised(
        as planned: ActionItem, keepingDueDate: Bool = false, at time: Date, by actor: String = "deploy-postmortem"
    ) -> ActionItemChange? {
        let due = keepingDueDate ? dueAt : planned.dueAt
        guard
            planned.title != title || planned.description != description || planned.proposal != proposal
                || due != dueAt
        else { return nil }
        var next = self
        next.title = planned.title
        next.description = planned.description
        next.proposal = planned.proposal
        next.dueAt = due
        return ActionItemChange(item: next, type: .revised, previousStatus: status, changedBy: actor, changedAt: time)
    }

    /// The `overdue` change when the item is overdue at `now` and not yet reported for its due date.
    public func overdueChange(at now: Date, by actor: String = "deploy-postmortem") -> ActionItemChange? {
        guard isOverdue(at: now), overdueReportedFor != dueAt else { return nil }
        var next = self
        next.overdueReportedFor = dueAt
        return ActionItemChange(item: next, type: .overdue, previousStatus: status, changedBy: actor, changedAt: now)
    }
}
