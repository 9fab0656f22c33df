import Foundation

/// Counterfactual replay of a gate rule that passed before a regression: the smallest change of
/// threshold or gate length that would have failed it, the minute it would have tripped, and
/// its price, the healthy deploys the changed rule would have failed (false alarms).
///
/// Thresholds need no search: a rule that trips on its k-th failed evaluation fails a window
/// exactly when its threshold is better than the window's k-th worst evaluation (its
/// ``critical(_:in:)`` value). So each run is reduced to one number, and the false alarms of any
/// threshold are the healthy runs whose critical value is worse than it.
public enum Counterfactual {
    /// A changed threshold and its evidence.
    public struct ThresholdChange: Sendable, Hashable {
        /// The rule's threshold as it was.
        public var current: Double
        /// The rule fails the regression's gate window with any threshold better than this (below
        /// it when above is bad): the smallest change is to just past it.
        public var critical: Double
        /// When a threshold just past ``critical`` trips.
        public var trippedAtCritical: Date
        /// Healthy runs a threshold just past ``critical`` would have failed.
        public var falseAlarmsAtCritical: Int
        /// The tightest threshold that fails at most the false-alarm budget of healthy runs and
        /// still fails the regression (the earliest trip a team can accept); nil when no healthy
        /// run prices it or the budget cannot be met.
        public var proposed: Proposal?
        /// Healthy runs replayed.
        public var healthyRuns: Int
    }

    /// A proposed threshold with its evidence.
    public struct Proposal: Sendable, Hashable {
        /// Threshold (the critical value of a healthy run, which that run does not exceed).
        public var threshold: Double
        /// When it trips in the regression's gate window.
        public var trippedAt: Date
        /// Healthy runs it would have failed.
        public var falseAlarms: Int
    }

    /// A longer gate and its evidence.
    public struct DurationChange: Sendable, Hashable {
        /// The gate's length as it was, seconds.
        public var current: Double
        /// The shortest length, a whole number of intervals, with which the unchanged rule trips.
        public var proposed: Double
        /// When it trips.
        public var trippedAt: Date
        /// Healthy runs the rule would have failed had their gates lasted ``proposed``.
        public var falseAlarms: Int
        /// Healthy runs replayed.
        public var healthyRuns: Int
    }

    /// A changed lookback (the trailing window each evaluation aggregates) and its evidence.
    public struct LookbackChange: Sendable, Hashable {
        /// The rule's lookback as it was, seconds.
        public var current: Double
        /// The candidate nearest to it with which the rule trips within the gate window.
        public var proposed: Double
        /// When it trips.
        public var trippedAt: Date
        /// Healthy runs the rule with the proposed lookback would have failed.
        public var falseAlarms: Int
        /// Healthy runs replayed.
        public var healthyRuns: Int
    }

    /// The value a threshold must be better than for `rule` to fail `evaluations`: the
    /// failuresToTrip-th worst value; nil when there are fewer evaluations than that.
    public static func critical(_ rule: GateRule, in evaluations: [Evaluation]) -> Double? {
        guard rule.failuresToTrip >= 1, evaluations.count >= rule.failuresToTrip else { return nil }
        let worstFirst = evaluations.map(\.value).sorted { rule.direction.isWorse($0, than: $1) }
        return worstFirst[rule.failuresToTrip - 1]
    }

    /// Healthy runs `rule` fails within their gate windows, as it is.
    public static func falseAlarms(_ rule: GateRule, healthy: [GateRun]) -> Int {
        healthy.filter { rule.trip(in: $0.evaluations(of: rule)) != nil }.count
    }

    /// The threshold change that fails `rule` on `regression`'s gate window, priced over `healthy`
    /// runs with at most `budget` false alarms for the proposal; nil when the window has fewer
    /// evaluations than the rule needs to trip.
    public static func threshold(_ rule: GateRule, regression: GateRun, healthy: [GateRun], budget: Int = 0)
        -> ThresholdChange?
    {
        let evaluations = regression.evaluations(of: rule)
        guard let boundary = critical(rule, in: evaluations) else { return nil }
        let healthyCriticals = healthy.compactMap { critical(rule, in: $0.evaluations(of: rule)) }
        let worse = rule.direction.isWorse
        // A threshold just past the boundary fails every evaluation at least as bad as it.
        let atLeastAsBad = { (value: Double) in !worse(boundary, value) }
        guard let boundaryTrip = evaluations.first(failures: rule.failuresToTrip, failing: atLeastAsBad) else {
            return nil
        }
        var proposal: Proposal?
        let worstFirst = healthyCriticals.sorted { worse($0, $1) }
        if budget >= 0, budget < worstFirst.count {
            let candidate = worstFirst[budget]
            let changed = rule.with(threshold: candidate)
            if worse(boundary, candidate), let trip = changed.trip(in: evaluations) {
                proposal = Proposal(
                    threshold: candidate, trippedAt: trip.at,
                    falseAlarms: healthyCriticals.filter { worse($0, candidate) }.count)
            }
        }
        return ThresholdChange(
            current: rule.threshold, critical: boundary, trippedAtCritical: boundaryTrip.at,
            falseAlarmsAtCritical: healthyCriticals.filter(atLeastAsBad).count, proposed: proposal,
            healthyRuns: healthy.count)
    }

    /// The shortest gate (whole intervals) with which `rule`, unchanged, trips on `regression`,
    /// replaying past the gate's end up to `horizon` (the rollback); nil when it never trips by
    /// then. Priced by replaying each healthy run over the same length from its own start.
    public static func duration(_ rule: GateRule, regression: GateRun, horizon: Date, healthy: [GateRun])
        -> DurationChange?
    {
        guard let trip = rule.trip(in: regression.evaluations(of: rule, until: horizon)) else { return nil }
        let proposed = trip.at.timeIntervalSince(regression.start)
        let falseAlarms = healthy.filter { run in
            rule.trip(in: run.evaluations(of: rule, until: run.start.addingTimeInterval(proposed))) != nil
        }.count
        return DurationChange(
            current: regression.end.timeIntervalSince(regression.start), proposed: proposed, trippedAt: trip.at,
            falseAlarms: falseAlarms, healthyRuns: healthy.count)
    }

    /// The lookback nearest the rule's own (ties: the shorter) among `candidates` — by default
    /// every whole number of intervals up to the gate's length — with which `rule`, otherwise
    /// unchanged, trips within `regression`'s gate window: a short spike a long mean hides, or a
    /// slow drift a short window misses. Nil when no candidate trips.
    public static func lookback(_ rule: GateRule, regression: GateRun, healthy: [GateRun], candidates: [Double]? = nil)
        -> LookbackChange?
    {
        guard rule.isValid else { return nil }
        let length = regression.end.timeIntervalSince(regression.start)
        let all = candidates ?? stride(from: rule.interval, through: length, by: rule.interval).map { $0 }
        let nearestFirst = all.filter { $0 > 0 && $0.isFinite }
            .sorted { (abs($0 - rule.lookback), $0) < (abs($1 - rule.lookback), $1) }
        for candidate in nearestFirst {
            var changed = rule
            changed.lookback = candidate
            if let trip = changed.trip(in: regression.evaluations(of: changed)) {
                return LookbackChange(
                    current: rule.lookback, proposed: candidate, trippedAt: trip.at,
                    falseAlarms: falseAlarms(changed, healthy: healthy), healthyRuns: healthy.count)
            }
        }
        return nil
    }
}
