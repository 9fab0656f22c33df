import Foundation

/// Where a metric's bad direction came from.
public enum DirectionSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// The SLO its events declare.
    case slo
    /// The `direction` its events declare (a metric source's configuration), else
    /// `AnalysisConfig.metricDirections`.
    case configured
    /// Nothing declared it: inferred from the side the metric moved to (the postmortem says so).
    case inferred
}

/// A stretch without samples between two consecutive samples of a series.
public struct SampleGap: Sendable, Hashable {
    /// The last sample before the gap.
    public var from: Date
    /// The first sample after the gap.
    public var to: Date
    /// Its length, seconds.
    public var seconds: Double { to.timeIntervalSince(from) }
}

/// How one metric series behaved after a deploy compared with its baseline.
public struct MetricCorrelation: Sendable, Hashable {
    /// The series' name: the metric, with its labels when it has any (``MetricSeries/name``).
    public var metric: String
    /// The metric's own name, without labels (what gate checks and configuration name).
    public var metricName: String
    /// The series' labels.
    public var labels: [String: String]
    /// Unit, when declared.
    public var unit: String?
    /// Which side is bad.
    public var direction: Direction
    /// Where ``direction`` came from.
    public var directionSource: DirectionSource
    /// Baseline median.
    public var baseline: Double
    /// Value beyond which a sample breaches (margins, MAD, or the SLO, whichever is stricter).
    public var limit: Double
    /// Worst value in the observation window.
    public var peak: Double
    /// First sample of the first sustained breach.
    public var onset: Date?
    /// Last breaching sample at or after the onset (when there is an onset).
    public var lastBreach: Date?
    /// Share of samples that breach from the onset to the window end (whole window without onset), 0–1.
    public var breachFraction: Double
    /// Samples in the observation window.
    public var observedPoints: Int
    /// Samples in the baseline window.
    public var baselinePoints: Int
    /// The longest stretch without samples from the baseline start to the window end, when it is
    /// longer than `maxSampleGap` (a breach could hide in it).
    public var largestGap: SampleGap?
    /// Whether a sample breached the declared SLO.
    public var sloBreached: Bool
    /// Whether the metric contributes to the failure (a sustained breach exists).
    public var contributing: Bool
    /// Why it does not contribute, when it does not.
    public var reason: String?

    /// Seconds from the onset to the last breaching sample: how long the metric stayed degraded.
    public var degradedSeconds: Double? {
        guard let onset, let lastBreach else { return nil }
        return lastBreach.timeIntervalSince(onset)
    }
}
