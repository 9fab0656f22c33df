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

    /// The finding kinds that say a gate missed its metric again: those of ``kinds`` and an
    /// intermittent regression.
    static let missKinds = kinds.union([.intermittentRegression])

    /// The change an item with finding key `findingKey` (`area.kind:metric`) made, or nil when
    /// its fix does not change a gate's check on a metric.
    public init?(itemId: String, findingKey: String, service: String, environment: String, doneAt: Date) {
        guard let (gate, kind, metric) = Self.parse(findingKey: findingKey) else { return nil }
        self.init(
            itemId: itemId, service: service, environment: environment, gate: gate, metric: metric, kind: kind,
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

    /// The finding kind, gate and metric of finding key `findingKey` (`area.kind:metric`) when its
    /// fix changes a canary or soak check on a metric (kind in ``kinds``); nil otherwise.
    public static func parse(findingKey: String) -> (gate: Gate, kind: FindingKind, metric: String)? {
        let head = findingKey.split(separator: ":", maxSplits: 1)
        let parts = head.first?.split(separator: ".", maxSplits: 1) ?? []
        guard head.count == 2, parts.count == 2, let gate = Gate(rawValue: String(parts[0])), gate != .ci,
            let kind = FindingKind(rawValue: String(parts[1])), Self.kinds.contains(kind), !head[1].isEmpty
        else { return nil }
        return (gate, kind, String(head[1]))
    }

    /// What a later deploy says of the change (metrics compared by name, whatever their labels):
    /// `missed` when the deploy's postmortem finds the same gate missed the metric again (not
    /// checked, threshold too loose, window too short, intermittent), `caught` when the gate
    /// failed on a check of the metric, nil when the metric did not regress there (or the deploy
    /// is not of this service and environment, or started before the change was done). The
    /// evidence carries the gate's check on the metric in that deploy, when it reported one.
    public func evidence(of timeline: DeployTimeline, findings: [FindingFacts]) -> FollowUpEvidence? {
        guard let started = timeline.started, started.service == service, started.environment == environment,
            started.startedAt > doneAt
        else { return nil }
        let result = timeline.gates[gate]
        let check = result?.checks.first { $0.metric == metricName }
        var evidence = FollowUpEvidence(
            deployId: timeline.deployId, at: started.startedAt, caught: false, observed: check?.observed,
            threshold: check?.threshold)
        if let miss = findings.first(where: {
            $0.area.rawValue == gate.rawValue && $0.metric.map(Self.metricName) == metricName
                && Self.missKinds.contains($0.kind)
        }) {
            evidence.missedAs = miss.kind
            return evidence
        }
        if let result, result.outcome == .failed,
            let failed = result.checks.first(where: { check in
                check.metric == metricName
                    && (check.passed == false
                        || check.observed.map { check.direction.isWorse($0, than: check.threshold) } == true)
            })
        {
            evidence.caught = true
            (evidence.observed, evidence.threshold) = (failed.observed, failed.threshold)
            return evidence
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
    /// The value the gate's check on the metric observed in that deploy, when it reported one.
    public var observed: Double?
    /// That check's threshold.
    public var threshold: Double?
    /// How the gate missed the metric (the kind of the deploy's finding); nil when it caught it.
    public var missedAs: FindingKind?

    /// Creates evidence.
    public init(
        deployId: String, at: Date, caught: Bool, observed: Double? = nil, threshold: Double? = nil,
        missedAs: FindingKind? = nil
    ) {
        self.deployId = deployId
        self.at = at
        self.caught = caught
        self.observed = observed
        self.threshold = threshold
        self.missedAs = missedAs
    }

    /// What this evidence says of the change.
    public var verdict: FollowUpVerdict { caught ? .verifiedEffective : .regressed }

    /// The evidence that decides: the earliest regression by start, then deploy ID (a function of
    /// the set, whatever order the deploys arrived in); nil while the metric has not regressed.
    public static func deciding(_ evidence: [FollowUpEvidence]) -> FollowUpEvidence? {
        evidence.min { ($0.at, $0.deployId) < ($1.at, $1.deployId) }
    }
}

/// Whether a gate change worked, decided by the first later regression of its metric.
public enum FollowUpVerdict: String, Sendable, Hashable, CaseIterable, Codable {
    /// The gate caught the next regression: `action_item.verified_effective`.
    case verifiedEffective = "verified_effective"
    /// The gate missed the metric again: `action_item.regressed`.
    case regressed
}

/// The follow-up of a gate change as the service holds it: the evidence that decides it now (nil
/// while none does) and how many verdict events were published for it. Judged again whenever
/// its inputs change, so it ends as a function of the events, whatever their order.
public struct FollowUpState: Sendable, Hashable {
    /// The deciding regression; nil while the item is not judged (or its verdict was withdrawn).
    public var evidence: FollowUpEvidence?
    /// Verdict events published so far: 1 with the first verdict, one more with every correction.
    public var revision: Int

    /// Not judged, nothing published.
    public static let pending = FollowUpState(evidence: nil, revision: 0)

    /// Creates a state.
    public init(evidence: FollowUpEvidence?, revision: Int) {
        self.evidence = evidence
        self.revision = revision
    }

    /// The verdict, nil while not judged.
    public var verdict: FollowUpVerdict? { evidence?.verdict }

    /// The state once judged again with `deciding` (``FollowUpEvidence/deciding(_:)`` of the
    /// evidence now), and whether it is a new verdict to publish: only when the verdict changes
    /// (a first verdict, the other verdict, or none any more). The same verdict again, even from
    /// another deploy or with other figures, updates the state without an event.
    public func rejudged(_ deciding: FollowUpEvidence?) -> (state: FollowUpState, publish: Bool) {
        let changed = deciding?.verdict != verdict
        return (FollowUpState(evidence: deciding, revision: revision + (changed ? 1 : 0)), changed)
    }
}

extension ActionItem {
    /// The change announcing `next`, the new verdict on this (done) item's gate `change`, which
    /// replaces `previous`: `verified_effective`, `regressed`, or `follow_up_withdrawn` when no
    /// regression decides it any more. The state is unchanged; `reason` names the deciding deploy
    /// and the verdict corrected, and `followUp` carries both.
    public func followUp(
        _ next: FollowUpState, replacing previous: FollowUpState, of change: GateChange, at time: Date,
        by actor: String = "deploy-postmortem"
    ) -> ActionItemChange {
        let gate = change.gate.rawValue
        let corrected = previous.evidence.map { " (corrects \($0.verdict.rawValue) by deploy \($0.deployId))" } ?? ""
        let (type, reason): (ActionItemEventType, String) =
            switch next.evidence {
            case let evidence? where evidence.caught:
                (
                    .verifiedEffective,
                    "verified effective: the \(gate) failed on \(change.metric) in deploy \(evidence.deployId)"
                )
            case let evidence?:
                (.regressed, "regressed: the \(gate) missed \(change.metric) again in deploy \(evidence.deployId)")
            case nil:
                (
                    .followUpWithdrawn,
                    "follow-up withdrawn: no deploy since the item was done regressed \(change.metric)"
                )
            }
        return ActionItemChange(
            item: self, type: type, previousStatus: status, changedBy: actor, changedAt: time,
            reason: reason + corrected, followUp: FollowUpChange(state: next, supersedes: previous.evidence))
    }
}

/// The follow-up an `action_item.verified_effective`, `.regressed` or `.follow_up_withdrawn`
/// event announces: the state after it, and the verdict it corrects (nil for a first verdict).
public struct FollowUpChange: Sendable, Hashable {
    /// The follow-up after the change.
    public var state: FollowUpState
    /// The deciding evidence before it, when there was a verdict.
    public var supersedes: FollowUpEvidence?

    /// Creates a change.
    public init(state: FollowUpState, supersedes: FollowUpEvidence?) {
        self.state = state
        self.supersedes = supersedes
    }
}
