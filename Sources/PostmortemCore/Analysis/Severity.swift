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

/// The documented severity policy: a postmortem's severity is the worst severity of its triggers,
/// and at least `sloBreach` when a contributing metric breached its declared SLO.
public struct SeverityPolicy: Sendable, Hashable {
    /// Customer impact critical / high / medium / low. Default sev1 / sev2 / sev3 / sev4.
    public var customerImpact: [ImpactSeverity: Severity] = [.critical: .sev1, .high: .sev2, .medium: .sev3, .low: .sev4]
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
        case .customerImpact(let s): customerImpact[s] ?? .sev2
        case .intervention: intervention
        }
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
