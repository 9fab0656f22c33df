import Foundation

/// Plans one action item per finding: kind, owner, due date from the severity policy, stable ID.
public struct ActionItemPlanner: Sendable {
    /// Tunables (owners, due-date policy).
    public var config: AnalysisConfig

    /// Creates a planner.
    public init(config: AnalysisConfig) {
        self.config = config
    }

    /// The stable ID of the item for `findingKey` of `deployId`.
    public static func itemId(deployId: String, findingKey: String) -> String {
        StableID.uuid("action-item|\(deployId)|\(findingKey)")
    }

    /// The owner of a deploy's items: its team, else its owner, else the ownership map, else the default.
    public func owner(of started: DeployStarted?) -> String {
        started?.team ?? started?.owner ?? started.flatMap { config.ownership[$0.service] } ?? config.defaultOwner
    }

    /// One open item per finding, due `dueDatePolicy` days after `detectedAt`.
    public func plan(
        findings: [Finding], postmortemId: String, timeline: DeployTimeline, severity: Severity, detectedAt: Date
    ) -> [ActionItem] {
        let owner = owner(of: timeline.started)
        let dueAt = detectedAt.addingTimeInterval(config.dueDatePolicy.interval(for: severity))
        return findings.map { finding in
            let evidence = finding.evidence.keys.sorted().map { "\($0)=\(finding.evidence[$0]!.serialized)" }
            return ActionItem(
                id: Self.itemId(deployId: timeline.deployId, findingKey: finding.key), postmortemId: postmortemId,
                deployId: timeline.deployId, findingKey: finding.key, kind: finding.kind.actionKind, gate: finding.area,
                title: finding.fix, description: finding.summary + " Evidence: " + evidence.joined(separator: ", "),
                owner: owner, dueAt: dueAt, status: .open,
                evidenceUrl: finding.evidence["runUrl"].flatMap { if case .string(let s) = $0 { s } else { nil } }
                    ?? timeline.started?.pipelineUrl,
                proposal: finding.proposal)
        }
    }
}
