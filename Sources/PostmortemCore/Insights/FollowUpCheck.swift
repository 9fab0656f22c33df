import Foundation

/// What the follow-up check needs of a finding: its gate (area), kind and metric.
public typealias FindingFacts = (area: FindingArea, kind: FindingKind, metric: String?)

/// An action item that changed a gate's check on one metric (tightened a threshold, lengthened
/// a window, added a check) and was done: the change whose effect later deploys show.
public struct GateChange: Sendable, Hashable {
    /// The action item.
    public var itemId: String
    /// Service of the postmortem the item came from.
    public var service: String
    /// Environment of that postmortem.
    public var environment: String
    /// The gate changed.
    public var gate: Gate
    /// The series the finding was about (the metric, with its labels when it has any).
    public var metric: String

    /// The metric's own name, without labels: what gate checks name.
    public var metricName: String { Self.metricName(of: metric) }

    /// `series` without its labels (`http_error_rate{region="eu"}` → `http_error_rate`).
    public static func metricName(of series: String) -> String {
        series.split(separator: "{", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? series
    }
    /// The gap the change fixed.
    public var kind: FindingKind
    /// When the item was done: deploys that start later run with the changed gate.
    public var doneAt: Date

    /// The finding kinds whose fix changes a canary or soak check on a metric.
    public static let kinds: Set<FindingKind> = [
        .canaryMetricNotChecked, .canaryThresholdTooLoose, .canaryWindowTooShort,
        .soakMetricNotChecked, .soakThresholdTooLoose, .soakWindowTooShort,
    ]

    /// The change an item with finding key `findingKey` (`area.kind:metric`) made, or nil when
    /// its fix does not change a gate's check on a metric.
    public init?(itemId: String, findingKey: String, service: String, environment: String, doneAt: Date) {
        let head = findingKey.split(separator: ":", maxSplits: 1)
        let parts = head.first?.split(separator: ".", maxSplits: 1) ?? []
        guard head.count == 2, parts.count == 2, let gate = Gate(rawValue: String(parts[0])), gate != .ci,
            let kind = FindingKind(rawValue: String(parts[1])), Self.kinds.contains(kind), !head[1].isEmpty
        else { return nil }
        self.init(
            itemId: itemId, service: service, environment: environment, gate: gate, metric: String(head[1]), kind: kind,
            doneAt: doneAt)
    }

    /// Creates a change.
    public init(
        itemId: String, service: String, environment: String, gate: Gate, metric: String, kind: FindingKind,
        doneAt: Date
    ) {
        self.itemId = itemId
        self.service = service
        self.environment = environment
        self.gate = gate
        self.metric = metric
        self.kind = kind
        self.doneAt = doneAt
    }

    /// What a later deploy says of the change (metrics compared by name, whatever their labels):
    /// `missed` when the deploy's postmortem finds the same gate missed the metric again (not checked, threshold too loose, window too short,
    /// intermittent), `caught` when the gate failed on a check of the metric, nil when the
    /// metric did not regress there (or the deploy is not of this service and environment, or
    /// started before the change was done).
    public func evidence(of timeline: DeployTimeline, findings: [FindingFacts]) -> FollowUpEvidence? {
        guard let started = timeline.started, started.service == service, started.environment == environment,
            started.startedAt > doneAt
        else { return nil }
        let misses: Set<FindingKind> = Self.kinds.union([.intermittentRegression])
        if findings.contains(where: {
            $0.area.rawValue == gate.rawValue && $0.metric.map(Self.metricName) == metricName
                && misses.contains($0.kind)
        }) {
            return FollowUpEvidence(deployId: timeline.deployId, at: started.startedAt, caught: false)
        }
        if let result = timeline.gates[gate], result.outcome == .failed,
            result.checks.contains(where: { check in
                check.metric == metricName
                    && (check.passed == false
                        || check.observed.map { check.direction.isWorse($0, than: check.threshold) } == true)
            })
        {
            return FollowUpEvidence(deployId: timeline.deployId, at: started.startedAt, caught: true)
        }
        return nil
    }
}

/// A later regression of a changed gate's metric: caught by the gate, or missed again.
public struct FollowUpEvidence: Sendable, Hashable {
    /// The deploy that regressed the metric.
    public var deployId: String
    /// When it started.
    public var at: Date
    /// True when the gate failed on the metric; false when its postmortem found the gate missed it.
    public var caught: Bool

    /// Creates evidence.
    public init(deployId: String, at: Date, caught: Bool) {
        self.deployId = deployId
        self.at = at
        self.caught = caught
    }
}

/// Whether a gate change worked, decided by the first later regression of its metric.
public enum FollowUpVerdict: String, Sendable, Hashable, CaseIterable, Codable {
    /// The gate caught the next regression: `action_item.verified_effective`.
    case verifiedEffective = "verified_effective"
    /// The gate missed the metric again: `action_item.regressed`.
    case regressed

    /// The verdict of the earliest evidence (by start, then deploy ID), with that deploy; nil
    /// while the metric has not regressed since the change.
    public static func of(_ evidence: [FollowUpEvidence]) -> (verdict: FollowUpVerdict, deployId: String)? {
        guard let first = evidence.min(by: { ($0.at, $0.deployId) < ($1.at, $1.deployId) }) else { return nil }
        return (first.caught ? .verifiedEffective : .regressed, first.deployId)
    }
}

extension ActionItem {
    /// The `verified_effective` or `regressed` change of this (done) item, whose gate `change`
    /// deploy `deployId` judged; the state is unchanged and `reason` names the deploy.
    public func followUp(
        _ verdict: FollowUpVerdict, of change: GateChange, deployId: String, at time: Date,
        by actor: String = "deploy-postmortem"
    ) -> ActionItemChange {
        let gate = change.gate.rawValue
        return switch verdict {
        case .verifiedEffective:
            ActionItemChange(
                item: self, type: .verifiedEffective, previousStatus: status, changedBy: actor, changedAt: time,
                reason: "verified effective: the \(gate) failed on \(change.metric) in deploy \(deployId)")
        case .regressed:
            ActionItemChange(
                item: self, type: .regressed, previousStatus: status, changedBy: actor, changedAt: time,
                reason: "regressed: the \(gate) missed \(change.metric) again in deploy \(deployId)")
        }
    }
}
