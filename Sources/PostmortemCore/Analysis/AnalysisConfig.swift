import Foundation

/// Every tunable of the analysis, with documented defaults. Durations are seconds.
public struct AnalysisConfig: Sendable, Hashable {
    /// Baseline window before deploy start. Default 3600 (1 h).
    public var baselineWindow: Double = 3600
    /// Grace after rollback included in the observation window. Default 300.
    public var rollbackGrace: Double = 300
    /// Observation window when the deploy was never rolled back or finished. Default 7200.
    public var maxObservationWindow: Double = 7200
    /// Relative degradation margin over the baseline median (0.2 = 20 %). Default 0.2.
    public var relativeMargin: Double = 0.2
    /// Absolute degradation margin over the baseline median. Default 0.
    public var absoluteMargin: Double = 0
    /// Multiplier of the scaled MAD (1.4826·MAD) that a breach must also exceed. Default 3.
    public var madMultiplier: Double = 3
    /// Consecutive breaching points that make a sustained breach (the onset). Default 3.
    public var sustainedPoints: Int = 3
    /// Largest gap between samples that still counts as consecutive. Default 120.
    public var maxSampleGap: Double = 120
    /// Fewest baseline samples needed to judge a metric. Default 5.
    public var minBaselinePoints: Int = 5
    /// Breach fraction below which a contributing metric is intermittent. Default 0.5.
    public var intermittentBreachFraction: Double = 0.5
    /// Which side is bad per metric when no SLO says so. A metric neither declares is judged by
    /// the side it moved to, and the postmortem says so (`assumptions`).
    public var metricDirections: [String: Direction] = [:]
    /// Canary traffic below this percentage is too low. Default 5.
    public var minCanaryTrafficPercent: Double = 5
    /// Soak traffic below this percentage is unrepresentative. Default 50.
    public var minSoakTrafficPercent: Double = 50
    /// Factor applied to the observed onset offset when suggesting a window length. Default 1.5.
    public var windowSafetyFactor: Double = 1.5
    /// Target time from onset to rollback. Default 600 (10 min).
    public var detectionTarget: Double = 600
    /// Window before an event in which the latest deploy of its service+environment is its deploy. Default 7200.
    public var attributionWindow: Double = 7200
    /// Severity of each trigger.
    public var severityPolicy = SeverityPolicy()
    /// Days until an action item is due, per severity.
    public var dueDatePolicy = DueDatePolicy()
    /// Action-item owner per service, used when the deploy names neither team nor owner.
    public var ownership: [String: String] = [:]
    /// Owner when nothing else names one. Default `unassigned`.
    public var defaultOwner = "unassigned"
    /// How the gates evaluate their checks, for the counterfactual replay (gate events do not
    /// say). Nil: the replay assumes ``GateEvaluation/init()`` and the postmortem says so.
    public var gateEvaluation: GateEvaluation?
    /// Healthy deploys a changed gate rule is replayed over to count its false alarms: the
    /// most recent ones of the service and environment that started before the deploy
    /// (``HealthyHistory``). Default 20; 0 prices nothing.
    public var healthyDeploys: Int = 20

    /// The defaults.
    public init() {}
}

extension AnalysisConfig {
    /// The span of metric points a deploy's analysis reads: from `baselineWindow` before its
    /// start to its rollback (else `maxObservationWindow` after the start) plus
    /// `rollbackGrace`. Stores read exactly this span, and a late point inside it re-analyzes
    /// the deploy; the SQL that selects by it binds these three durations.
    public func metricSpan(startedAt: Date, rolledBackAt: Date?) -> ClosedRange<Date> {
        let first = startedAt.addingTimeInterval(-baselineWindow)
        let last = (rolledBackAt ?? startedAt.addingTimeInterval(maxObservationWindow)).addingTimeInterval(
            rollbackGrace)
        return first...max(first, last)
    }
}

/// How a gate evaluates its checks (``GateRule``'s schedule): every `interval` seconds, the
/// `aggregation` of the last `lookback` seconds of points against the threshold; the
/// `failuresToTrip`-th failed evaluation fails the gate. Defaults: 60 s, 60 s, mean, 1.
public struct GateEvaluation: Sendable, Hashable {
    /// Seconds between evaluations. Default 60.
    public var interval: Double = 60
    /// Seconds of points each evaluation aggregates. Default 60.
    public var lookback: Double = 60
    /// How an evaluation aggregates its points. Default mean.
    public var aggregation: Aggregation = .mean
    /// Failed evaluations that fail the gate. Default 1.
    public var failuresToTrip: Int = 1

    /// The defaults.
    public init() {}

    /// A schedule; invalid values are the caller's to refuse (``GateRule/isValid``).
    public init(interval: Double, lookback: Double, aggregation: Aggregation, failuresToTrip: Int) {
        self.interval = interval
        self.lookback = lookback
        self.aggregation = aggregation
        self.failuresToTrip = failuresToTrip
    }

    /// The rule on `metric` with this schedule.
    public func rule(metric: String, threshold: Double, direction: Direction) -> GateRule {
        GateRule(
            metric: metric, threshold: threshold, direction: direction, lookback: lookback, interval: interval,
            aggregation: aggregation, failuresToTrip: failuresToTrip)
    }

    /// In words, e.g. `every 1 min, the mean of the last 5 min; 1 failed evaluation fails the gate`.
    public var description: String {
        "every \(formatDuration(interval)), the \(aggregation.rawValue) of the last \(formatDuration(lookback)); "
            + "\(failuresToTrip) failed evaluation\(failuresToTrip == 1 ? "" : "s") fail\(failuresToTrip == 1 ? "s" : "") the gate"
    }
}
