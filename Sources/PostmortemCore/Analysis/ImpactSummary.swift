import Foundation

/// What customers went through: what they saw, for how long, and how fast it was detected and
/// mitigated. Built from the deploy's `deploy.impacted_customers` reports and its rollbacks.
public struct ImpactSummary: Sendable, Hashable {
    /// The worst reported severity.
    public var severity: ImpactSeverity
    /// What customers saw (the reports' distinct descriptions, in time order), or nil when none says.
    public var what: String?
    /// When the impact began (earliest report).
    public var startedAt: Date
    /// When it was detected: the earliest `detectedAt` of a report, else the first rollback at or
    /// after the start (automation noticed it), else nil (unknown).
    public var detectedAt: Date?
    /// When it was mitigated: the first rollback at or after the start, else nil (not by a rollback).
    public var mitigatedAt: Date?
    /// The incident link, when a report gives one.
    public var incidentUrl: String?

    /// Seconds from start to mitigation (how long customers were impacted), when mitigated.
    public var durationSeconds: Double? { mitigatedAt.map { $0.timeIntervalSince(startedAt) } }
    /// Seconds from start to detection (time to detect), when known.
    public var timeToDetectSeconds: Double? { detectedAt.map { $0.timeIntervalSince(startedAt) } }
    /// Seconds from detection to mitigation (time to mitigate), when both are known.
    public var timeToMitigateSeconds: Double? {
        guard let detectedAt, let mitigatedAt else { return nil }
        return max(0, mitigatedAt.timeIntervalSince(detectedAt))
    }

    /// The summary of `timeline`'s customer impact, or nil when none was reported.
    public init?(_ timeline: DeployTimeline) {
        guard let first = timeline.impacts.first else { return nil }
        let impacts = timeline.impacts
        severity = impacts.map(\.severity).min() ?? first.severity
        var descriptions: [String] = []
        for d in impacts.compactMap(\.description) where !descriptions.contains(d) { descriptions.append(d) }
        what = descriptions.isEmpty ? nil : descriptions.joined(separator: "; ")
        startedAt = first.startedAt
        let start = first.startedAt
        mitigatedAt = timeline.rollbacks.first { $0.rolledBackAt >= start }?.rolledBackAt
        detectedAt = impacts.compactMap(\.detectedAt).min() ?? mitigatedAt
        incidentUrl = impacts.compactMap(\.incidentUrl).first
    }
}
