/// A deploy gate.
public enum Gate: String, Sendable, Hashable, CaseIterable, Codable {
    /// Continuous integration (tests).
    case ci
    /// Canary release on part of the traffic.
    case canary
    /// Soak period after full rollout.
    case soak
}

/// How a gate ended.
public enum GateOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// The gate ran and passed.
    case passed
    /// The gate ran and failed.
    case failed
    /// The gate did not run.
    case skipped
    /// The gate was overridden by a person.
    case bypassed
}

/// Which side of a threshold is bad: `above` means observed values above the threshold fail.
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable {
    /// Values above the threshold are bad (latency, error rate).
    case above
    /// Values below the threshold are bad (success rate, throughput).
    case below

    /// True when `value` is worse than `limit` in this direction.
    public func isWorse(_ value: Double, than limit: Double) -> Bool {
        self == .above ? value > limit : value < limit
    }
}

/// Where CI test data came from.
public enum TestData: String, Sendable, Hashable, CaseIterable, Codable {
    /// Anonymised or replayed production data.
    case productionLike = "production_like"
    /// Generated data.
    case synthetic
    /// Hand-written fixtures.
    case fixtures
}

/// How a deploy ended.
public enum DeployOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// The deploy completed.
    case succeeded
    /// The deploy failed.
    case failed
    /// The pipeline was cancelled before the change shipped: not a failure by itself.
    case cancelled
}

/// An out-of-band human intervention during a deploy.
public enum InterventionKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A configuration change by hand.
    case configChange = "config_change"
    /// A manual data repair.
    case dataFix = "data_fix"
    /// An emergency approval outside the normal process.
    case emergencyApproval = "emergency_approval"
    /// A gate bypassed by hand.
    case gateBypass = "gate_bypass"
    /// A manual step in an automated pipeline.
    case manualStep = "manual_step"
    /// Anything else.
    case other
}

/// Severity of customer impact, as reported.
public enum ImpactSeverity: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// Outage or data loss for many customers.
    case critical
    /// Major degradation.
    case high
    /// Noticeable degradation.
    case medium
    /// Minor degradation.
    case low

    /// Orders critical before low (`critical < low`).
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Who or what rolled a deploy back.
public enum RollbackMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The pipeline's automation.
    case automatic
    /// A person.
    case manual
}
