import Foundation

/// What kind of work an action item is.
public enum ActionItemKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Write or fix tests.
    case test
    /// Change how people work.
    case process
    /// Change automation.
    case tooling
    /// Write documentation or runbooks.
    case documentation
}

/// Lifecycle state of an action item.
public enum ActionItemStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Not started.
    case open
    /// Being worked on.
    case inProgress = "in_progress"
    /// Finished.
    case done
    /// Dropped.
    case cancelled

    /// Done or cancelled.
    public var isTerminal: Bool { self == .done || self == .cancelled }

    /// The statuses of items still to be worked on (open or in progress): those that can be
    /// overdue, that keep a postmortem open, and that re-analysis may supersede.
    public static let active: [ActionItemStatus] = allCases.filter { !$0.isTerminal }
}

/// One follow-up of a postmortem.
public struct ActionItem: Sendable, Hashable {
    /// Stable ID: UUIDv5 of deploy ID + finding key, so re-analysis never duplicates an item.
    public var id: String
    /// The postmortem.
    public var postmortemId: String
    /// The deploy.
    public var deployId: String
    /// The finding this item fixes.
    public var findingKey: String
    /// Kind of work.
    public var kind: ActionItemKind
    /// Area (`ci|canary|soak|rollback|process`).
    public var gate: FindingArea
    /// The concrete fix with its numbers.
    public var title: String
    /// What happened and the evidence.
    public var description: String
    /// Who owns it.
    public var owner: String
    /// When it is due.
    public var dueAt: Date
    /// Current state.
    public var status: ActionItemStatus
    /// Link to the evidence (deploy log or CI run).
    public var evidenceUrl: String?
    /// The due date for which an overdue event was already emitted (overdue is reported once per due date).
    public var overdueReportedFor: Date?
    /// The changed gate setting proposed, with its evidence (trip time, lead, false alarms),
    /// when the finding's replay found one.
    public var proposal: ActionProposal?

    /// Creates an item (the planner makes new ones; stores rebuild them from rows).
    public init(
        id: String, postmortemId: String, deployId: String, findingKey: String, kind: ActionItemKind, gate: FindingArea,
        title: String, description: String, owner: String, dueAt: Date, status: ActionItemStatus,
        evidenceUrl: String? = nil, overdueReportedFor: Date? = nil, proposal: ActionProposal? = nil
    ) {
        self.id = id
        self.postmortemId = postmortemId
        self.deployId = deployId
        self.findingKey = findingKey
        self.kind = kind
        self.gate = gate
        self.title = title
        self.description = description
        self.owner = owner
        self.dueAt = dueAt
        self.status = status
        self.evidenceUrl = evidenceUrl
        self.overdueReportedFor = overdueReportedFor
        self.proposal = proposal
    }

    /// Whether the item is past due and still open or in progress at `now`.
    public func isOverdue(at now: Date) -> Bool { !status.isTerminal && now > dueAt }
}
