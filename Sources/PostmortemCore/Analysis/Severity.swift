/// Postmortem severity, SEV1 (worst) to SEV4.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Critical customer impact.
    case sev1
    /// High customer impact or SLO breach.
    case sev2
    /// Noticeable degradation, manual intervention.
    case sev3
    /// Caught by automation, no customer impact.
    case sev4

    /// `sev1 < sev4`: lower is worse.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The documented severity policy (docs/architecture.md §6.3). A postmortem's severity is the worst of:
///
/// - the severity of each trigger (customer impact by its reported severity, rollbacks, failures,
///   interventions);
/// - `sloBreach` when a contributing metric breached its declared SLO;
/// - `longDegradation` when a contributing metric stayed degraded, or customers were impacted, for at
///   least `longDegradationSeconds`.
///
/// Customer impact is never `sev4`, the "caught by automation, no customer impact" level: a mapping
/// to it counts as `customerImpactFloor`.
public struct SeverityPolicy: Sendable, Hashable {
    /// Customer impact critical / high / medium / low. Default sev1 / sev2 / sev3 / sev3.
    public var customerImpact: [ImpactSeverity: Severity] = [
        .critical: .sev1, .high: .sev2, .medium: .sev3, .low: .sev3,
    ]
    /// The mildest severity customer impact can have. Default sev3.
    public var customerImpactFloor: Severity = .sev3
    /// How long a degradation or a customer impact must last to count as long, seconds. Default 1800 (30 min).
    public var longDegradationSeconds: Double = 1800
    /// Severity of a long degradation or customer impact. Default sev3.
    public var longDegradation: Severity = .sev3
    /// Manual rollback. Default sev3.
    public var manualRollback: Severity = .sev3
    /// Automatic rollback. Default sev4.
    public var automaticRollback: Severity = .sev4
    /// Deploy or gate failed without rollback. Default sev4.
    public var failure: Severity = .sev4
    /// Out-of-band intervention. Default sev4.
    public var intervention: Severity = .sev4
    /// A contributing metric breached its declared SLO. Default sev2.
    public var sloBreach: Severity = .sev2

    /// The defaults.
    public init() {}

    /// Severity of one trigger.
    public func severity(of trigger: Trigger) -> Severity {
        switch trigger {
        case .rolledBackAutomatically: automaticRollback
        case .rolledBackManually: manualRollback
        case .deployFailed, .gateFailed: failure
        case .customerImpact(let s): min(customerImpact[s] ?? .sev2, customerImpactFloor)
        case .intervention: intervention
        }
    }

    /// The severity of a postmortem with `triggers`, its contributing metrics and its customer impact.
    public func severity(of triggers: [Trigger], contributing: [MetricCorrelation], impact: ImpactSummary?) -> Severity
    {
        var worst = triggers.map { severity(of: $0) }.min() ?? .sev4
        if contributing.contains(where: \.sloBreached) { worst = min(worst, sloBreach) }
        let durations = contributing.compactMap(\.degradedSeconds) + [impact?.durationSeconds].compactMap { $0 }
        if durations.contains(where: { $0 >= longDegradationSeconds }) { worst = min(worst, longDegradation) }
        return worst
    }
}

/// Days from detection to an action item's due date, per severity.
public struct DueDatePolicy: Sendable, Hashable {
    /// Days per severity. Default sev1 7, sev2 14, sev3 30, sev4 60.
    public var days: [Severity: Int] = [.sev1: 7, .sev2: 14, .sev3: 30, .sev4: 60]

    /// The defaults.
    public init() {}

    /// Seconds until due for `severity`.
    public func interval(for severity: Severity) -> Double { Double(days[severity] ?? 30) * 86_400 }
}
