import Foundation

/// Why a gate that ran let a regression through, one cause per (gate, metric).
public enum MissCause: String, Sendable, Hashable, CaseIterable, Codable {
    /// The gate was bypassed or skipped: nothing judged the change.
    case bypassed
    /// The gate had no check on the metric.
    case metricNotGated = "metric_not_gated"
    /// The gate checked the metric and passed with no point of it in its window: a failed or
    /// empty query was treated as a pass.
    case erroredTreatedAsPass = "errored_treated_as_pass"
    /// The degradation began after the gate finished.
    case endedBeforeOnset = "ended_before_onset"
    /// The gate's own window shows a significant degradation, yet its threshold passed it.
    case tooLoose = "too_loose"
    /// The gate's window does not show the degradation at the stated confidence: too few points
    /// for the baseline's noise (see ``Degradation/detectableShift``).
    case underpowered

    /// Classifies the miss of `metric` by `gate`, in this order: bypassed (or skipped), metric
    /// not gated, errored treated as pass (`degradation` is nil because the gate window holds no
    /// point of the metric), ended before onset (`onset` after the gate's end), too loose (the
    /// gate window's rank test is significant), else underpowered. Nil when the gate failed: it
    /// missed nothing.
    public static func classify(gate: GateFinished, metric: String, onset: Date?, degradation: Degradation?)
        -> MissCause?
    {
        switch gate.outcome {
        case .failed: return nil
        case .bypassed, .skipped: return .bypassed
        case .passed: break
        }
        guard gate.checks.contains(where: { $0.metric == metric }) else { return .metricNotGated }
        guard let degradation else { return .erroredTreatedAsPass }
        if let onset, let end = gate.finishedAt, onset > end { return .endedBeforeOnset }
        return degradation.significant ? .tooLoose : .underpowered
    }
}
