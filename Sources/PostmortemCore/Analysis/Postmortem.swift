import Foundation

/// Whether a postmortem still has work.
public enum PostmortemStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Some action item is open or in progress.
    case open
    /// Every action item is done or cancelled.
    case closed
    /// The deploy lost its last trigger: the events that made it fail belong to another deploy
    /// of its line as attribution now reads them (a hotfix started after it, say). Kept for
    /// audit with its last analysis, its open items cancelled; it reopens if a trigger returns.
    case withdrawn

    /// `closed` when there are items and every one is done or cancelled, else `open`.
    public static func of(_ statuses: some Collection<ActionItemStatus>) -> PostmortemStatus {
        !statuses.isEmpty && statuses.allSatisfy(\.isTerminal) ? .closed : .open
    }
}

/// One line of a postmortem's timeline.
public struct TimelineEntry: Sendable, Hashable {
    /// When.
    public var at: Date
    /// What happened.
    public var text: String
}

/// The analysis of one failed deploy.
public struct Postmortem: Sendable, Hashable {
    /// Stable ID: UUIDv5 of the deploy ID.
    public var id: String
    /// The deploy.
    public var deployId: String
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// What was deployed.
    public var artifact: Artifact?
    /// The source commit deployed, when the deploy says.
    public var commit: String?
    /// Who owns the follow-up: the deploy's team, else its owner, else the ownership map, else the default owner.
    public var owner: String
    /// The outcome of each gate that reported a result; a gate absent here never ran (or never said so).
    public var gates: [Gate: GateOutcome]
    /// Customer impact, when any was reported.
    public var impact: ImpactSummary?
    /// Who was hurt and for how long, else what degraded, in one or two sentences.
    public var impactStatement: String
    /// When the problem began, was noticed and was mitigated, over all signals.
    public var response: ResponseTimes
    /// Why there is a postmortem, sorted.
    public var triggers: [TriggerOccurrence]
    /// Worst severity by the policy.
    public var severity: Severity
    /// Open while any action item is open.
    public var status: PostmortemStatus
    /// When the first trigger happened (action items are due relative to it).
    public var detectedAt: Date
    /// Earliest rollback.
    public var rolledBackAt: Date?
    /// What the earliest rollback that says restored.
    public var rollbackTarget: RollbackTarget?
    /// What the analysis had to assume: the summaries of the `assumed_direction` warnings.
    public var assumptions: [String]
    /// Why some metric data deserves less trust, by series then kind.
    public var dataQuality: [DataQualityWarning]
    /// Metrics that contributed, sorted by name.
    public var contributingMetrics: [MetricCorrelation]
    /// Series observed around the deploy that were judged and did not degrade, sorted by name.
    public var ruledOutMetrics: [MetricCorrelation]
    /// What worked and should be kept: the gate that caught it, a timely rollback, contained impact.
    public var wentWell: [Success]
    /// Gaps found, sorted by key.
    public var findings: [Finding]
    /// One item per finding, in finding order.
    public var actionItems: [ActionItem]
    /// What happened, in time order.
    public var timeline: [TimelineEntry]
    /// Links: `pipeline`, `ciRun`, `incident`.
    public var links: [String: String]
    /// Metrics a metric source (Prometheus) has not delivered yet, sorted: the analysis ran
    /// without them and is updated when they arrive. Never set by the analysis itself.
    public var pendingMetrics: [String] = []
}
