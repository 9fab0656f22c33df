import Foundation

/// How a gate rule reduces the points of one evaluation to one value.
public enum Aggregation: String, Sendable, Hashable, CaseIterable, Codable {
    /// The arithmetic mean (points summed in time order).
    case mean
    /// The worst point in the rule's direction (the maximum when above is bad).
    case worst
}

/// A gate's pass/fail rule on one metric, as the replay runs it (Flagger- and Argo-style):
/// every ``interval`` seconds from the gate's start, the ``aggregation`` of the metric's points in
/// the trailing ``lookback`` seconds, (t − lookback, t], is compared with ``threshold``. An
/// evaluation fails when that value is worse than the threshold in ``direction`` (strictly); the
/// rule trips at the evaluation where the ``failuresToTrip``-th failure happens. An evaluation
/// without points is skipped, neither passing nor failing.
///
/// Gate events do not say how their checks aggregate: ``init(check:lookback:interval:aggregation:failuresToTrip:)``
/// takes the check's metric, threshold and direction, and the defaults (1-minute evaluations of
/// the last minute's mean, one failure trips) say what the replay assumes.
public struct GateRule: Sendable, Hashable {
    /// Metric name checked.
    public var metric: String
    /// Threshold.
    public var threshold: Double
    /// Which side of the threshold fails.
    public var direction: Direction
    /// Seconds of points each evaluation aggregates. Default 60.
    public var lookback: Double
    /// Seconds between evaluations, the first one ``interval`` after the gate's start. Default 60.
    public var interval: Double
    /// How an evaluation aggregates its points. Default mean.
    public var aggregation: Aggregation
    /// Failed evaluations that trip the rule (not necessarily consecutive). Default 1.
    public var failuresToTrip: Int

    /// Creates a rule.
    public init(
        metric: String, threshold: Double, direction: Direction, lookback: Double = 60, interval: Double = 60,
        aggregation: Aggregation = .mean, failuresToTrip: Int = 1
    ) {
        self.metric = metric
        self.threshold = threshold
        self.direction = direction
        self.lookback = lookback
        self.interval = interval
        self.aggregation = aggregation
        self.failuresToTrip = failuresToTrip
    }

    /// The rule of a gate check, with the evaluation schedule the events do not carry.
    public init(
        check: GateCheck, lookback: Double = 60, interval: Double = 60, aggregation: Aggregation = .mean,
        failuresToTrip: Int = 1
    ) {
        self.init(
            metric: check.metric, threshold: check.threshold, direction: check.direction, lookback: lookback,
            interval: interval,
            aggregation: aggregation, failuresToTrip: failuresToTrip)
    }

    /// Whether the rule's parameters can be replayed: positive interval and lookback, at least
    /// one failure to trip, a finite threshold.
    public var isValid: Bool {
        interval > 0 && lookback > 0 && failuresToTrip >= 1 && threshold.isFinite && interval.isFinite
            && lookback.isFinite
    }
}

/// One evaluation of a rule: when, what it aggregated, from how many points.
public struct Evaluation: Sendable, Hashable {
    /// Evaluation time.
    public var at: Date
    /// The aggregate of the points in (at − lookback, at].
    public var value: Double
    /// Points aggregated (at least 1).
    public var points: Int
}

/// A gate's window and the points of the metric its rule reads.
public struct GateRun: Sendable, Hashable {
    /// One point per timestamp, in time order.
    public var points: [MetricPoint]
    /// When the gate started.
    public var start: Date
    /// When it finished.
    public var end: Date

    /// A run over `series`' points; of several values at one timestamp the worst in `direction`
    /// counts, as in the correlation.
    public init(series: MetricSeries, direction: Direction, start: Date, end: Date) {
        self.init(points: series.points, direction: direction, start: start, end: end)
    }

    /// A run over `points` (sorted here; of several values at one timestamp the worst in
    /// `direction` counts).
    public init(points: [MetricPoint], direction: Direction, start: Date, end: Date) {
        self.points = Correlator.worstPerTimestamp(
            points.sorted { ($0.at, $0.value) < ($1.at, $1.value) }, direction: direction)
        self.start = start
        self.end = end
    }

    /// The evaluations of `rule` from the gate's start through `until` (the gate's end by
    /// default): at start + k·interval for k = 1, 2, … while not after `until`, skipping those
    /// without points. Each evaluation finds its points with two cursors that only move forward.
    public func evaluations(of rule: GateRule, until: Date? = nil) -> [Evaluation] {
        guard rule.isValid else { return [] }
        let last = until ?? end
        var result: [Evaluation] = []
        var lower = 0
        var upper = 0
        var k = 1.0
        while true {
            let at = start.addingTimeInterval(k * rule.interval)
            guard at <= last else { break }
            let from = at.addingTimeInterval(-rule.lookback)
            while upper < points.count, points[upper].at <= at { upper += 1 }
            while lower < upper, points[lower].at <= from { lower += 1 }
            if lower < upper {
                let slice = points[lower..<upper]
                let value: Double =
                    switch rule.aggregation {
                    case .mean: slice.reduce(0) { $0 + $1.value } / Double(slice.count)
                    case .worst:
                        rule.direction == .above
                            ? slice.reduce(-Double.infinity) { max($0, $1.value) }
                            : slice.reduce(Double.infinity) { min($0, $1.value) }
                    }
                result.append(Evaluation(at: at, value: value, points: slice.count))
            }
            k += 1
        }
        return result
    }
}

extension GateRule {
    /// The evaluation at which this rule trips among `evaluations`, if it does.
    public func trip(in evaluations: [Evaluation]) -> Evaluation? {
        evaluations.first(failures: failuresToTrip) { direction.isWorse($0, than: threshold) }
    }

    /// The same rule with another threshold.
    public func with(threshold: Double) -> GateRule {
        var rule = self
        rule.threshold = threshold
        return rule
    }
}

extension [Evaluation] {
    /// The evaluation at which the `failures`-th value satisfying `failing` occurs.
    func first(failures: Int, failing: (Double) -> Bool) -> Evaluation? {
        var count = 0
        for evaluation in self where failing(evaluation.value) {
            count += 1
            if count >= failures { return evaluation }
        }
        return nil
    }
}
