import Foundation

/// What the delivery figures know of one deploy: its identity, when it ran, how it ended, and
/// the triggers of its postmortem (none when it has no postmortem).
public struct DeployRecord: Sendable, Hashable {
    /// The pipeline's deploy ID.
    public var deployId: String
    /// Service deployed.
    public var service: String
    /// Environment deployed to.
    public var environment: String
    /// Owning team, when the deploy says.
    public var team: String?
    /// When the deploy started.
    public var startedAt: Date
    /// When it finished, if it did.
    public var finishedAt: Date?
    /// How it ended; nil while no `deploy.finished` arrived.
    public var outcome: DeployOutcome?
    /// The triggers of the deploy's postmortem (text form); empty when it has none.
    public var triggers: [String]
    /// Earliest rollback of the deploy, if any.
    public var rolledBackAt: Date?

    /// Creates a record.
    public init(
        deployId: String, service: String, environment: String, team: String? = nil, startedAt: Date,
        finishedAt: Date? = nil,
        outcome: DeployOutcome?, triggers: [String] = [], rolledBackAt: Date? = nil
    ) {
        self.deployId = deployId
        self.service = service
        self.environment = environment
        self.team = team
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.triggers = triggers
        self.rolledBackAt = rolledBackAt
    }

    /// Whether the change reached production: it succeeded, or it failed there (it has a
    /// postmortem). Cancelled pipelines, deploys a gate stopped before they shipped (failed
    /// without a postmortem) and deploys still running are not deployments.
    public var shipped: Bool { outcome != .cancelled && (outcome == .succeeded || !triggers.isEmpty) }

    /// Whether the deploy failed in production: it shipped and has a postmortem. However many
    /// triggers or incidents the postmortem has, the deploy is one failure.
    public var failed: Bool { shipped && !triggers.isEmpty }
}
