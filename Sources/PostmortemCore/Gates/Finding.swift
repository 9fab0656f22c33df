/// What kind of gap a finding describes.
public enum FindingKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// CI passed with no failing test: the regression is not covered.
    case ciCoverageGap = "ci_coverage_gap"
    /// Tests were retried until green.
    case ciFlakyTests = "ci_flaky_tests"
    /// CI ran on synthetic or fixture data.
    case ciSyntheticTestData = "ci_synthetic_test_data"
    /// A gate did not run.
    case gateSkipped = "gate_skipped"
    /// A gate was bypassed.
    case gateBypassed = "gate_bypassed"
    /// No gate reported a result for the deploy: nothing shows this gate ran.
    case gateNotRecorded = "gate_not_recorded"
    /// A contributing metric is not among the canary checks.
    case canaryMetricNotChecked = "canary_metric_not_checked"
    /// A canary check passed although the canary saw the degradation.
    case canaryThresholdTooLoose = "canary_threshold_too_loose"
    /// The degradation began after the canary window.
    case canaryWindowTooShort = "canary_window_too_short"
    /// The canary had too little traffic.
    case canaryTrafficTooLow = "canary_traffic_too_low"
    /// A contributing metric is not among the soak checks.
    case soakMetricNotChecked = "soak_metric_not_checked"
    /// A soak check passed although the soak saw the degradation.
    case soakThresholdTooLoose = "soak_threshold_too_loose"
    /// The degradation began after the soak window.
    case soakWindowTooShort = "soak_window_too_short"
    /// The soak ran on unrepresentative traffic.
    case soakTrafficUnrepresentative = "soak_traffic_unrepresentative"
    /// A contributing metric breached only part of the time.
    case intermittentRegression = "intermittent_regression"
    /// A person rolled back: automation did not fire.
    case manualRollback = "manual_rollback"
    /// Onset to rollback took longer than the detection target.
    case slowDetection = "slow_detection"
    /// A person intervened out of band.
    case intervention = "intervention"

    /// The kind of action item that fixes this gap.
    public var actionKind: ActionItemKind {
        switch self {
        case .ciCoverageGap, .ciFlakyTests, .ciSyntheticTestData: .test
        case .gateSkipped, .gateBypassed, .gateNotRecorded, .soakTrafficUnrepresentative, .intervention: .process
        case .canaryMetricNotChecked, .canaryThresholdTooLoose, .canaryWindowTooShort, .canaryTrafficTooLow,
            .soakMetricNotChecked, .soakThresholdTooLoose, .soakWindowTooShort, .intermittentRegression,
            .manualRollback, .slowDetection:
            .tooling
        }
    }
}

/// Which part of the delivery process a finding or action item is about.
public enum FindingArea: String, Sendable, Hashable, CaseIterable, Codable {
    /// Continuous integration.
    case ci
    /// Canary.
    case canary
    /// Soak.
    case soak
    /// Rollback and detection.
    case rollback
    /// Process beyond the gates.
    case process
}

/// One gap found in a deploy's gates, with evidence numbers and the concrete fix.
public struct Finding: Sendable, Hashable {
    /// Stable key within the deploy, e.g. `canary.threshold_too_loose:latency_p99_ms`.
    public var key: String
    /// Kind of gap.
    public var kind: FindingKind
    /// Area.
    public var area: FindingArea
    /// Metric concerned, if any.
    public var metric: String?
    /// What happened, with the numbers.
    public var summary: String
    /// The concrete fix, with its numbers (becomes the action item's title).
    public var fix: String
    /// Evidence numbers and facts by name.
    public var evidence: [String: JSONValue]
    /// The changed gate setting the fix proposes, with the replay's evidence, when a replay
    /// found one.
    public var proposal: ActionProposal?

    /// Creates a finding; the key is `area.kind` or `area.kind:qualifier`.
    public init(
        kind: FindingKind, area: FindingArea, qualifier: String? = nil, metric: String? = nil,
        summary: String, fix: String, evidence: [String: JSONValue], proposal: ActionProposal? = nil
    ) {
        self.key = "\(area.rawValue).\(kind.rawValue)" + (qualifier.map { ":\($0)" } ?? "")
        self.kind = kind
        self.area = area
        self.metric = metric
        self.summary = summary
        self.fix = fix
        self.evidence = evidence
        self.proposal = proposal
    }
}
