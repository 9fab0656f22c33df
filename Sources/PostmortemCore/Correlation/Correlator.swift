import Foundation

/// Correlates metric series with a deploy: baseline window before the start vs. the window from
/// start to rollback + grace, using the median and MAD of the baseline.
///
/// A sample breaches when it is worse than `baseline ± max(relativeMargin·|baseline|, absoluteMargin,
/// madMultiplier·1.4826·MAD)`, or worse than the declared SLO. A metric contributes only with a
/// sustained breach: `sustainedPoints` consecutive breaching samples, each at most `maxSampleGap`
/// apart — a lone spike or samples straddling a data gap never contribute.
public struct Correlator: Sendable {
    /// Tunables.
    public var config: AnalysisConfig

    /// Creates a correlator.
    public init(config: AnalysisConfig) {
        self.config = config
    }

    /// The observation window of a timeline: start to earliest rollback (or failed finish) + grace.
    public func observationWindow(of timeline: DeployTimeline) -> ClosedRange<Date>? {
        guard let start = timeline.started?.startedAt else { return nil }
        let end = timeline.rolledBackAt ?? timeline.finished.flatMap { $0.outcome == .failed ? $0.finishedAt : nil }
        let upper =
            end.map { $0.addingTimeInterval(config.rollbackGrace) }
            ?? start.addingTimeInterval(config.maxObservationWindow)
        return start...max(start, upper)
    }

    /// Correlates every series of the deploy's service/environment; sorted by metric name.
    public func correlate(_ timeline: DeployTimeline, series: [MetricSeries]) -> [MetricCorrelation] {
        guard let started = timeline.started, let window = observationWindow(of: timeline) else { return [] }
        return
            series
            .filter { $0.service == started.service && $0.environment == started.environment }
            .sorted { $0.name < $1.name }
            .map { correlate($0, window: window) }
    }

    /// Correlates one series with an observation window.
    public func correlate(_ series: MetricSeries, window: ClosedRange<Date>) -> MetricCorrelation {
        let baselineStart = window.lowerBound.addingTimeInterval(-config.baselineWindow)
        let (direction, source) = self.direction(of: series, baselineStart: baselineStart, window: window)
        let points = Self.worstPerTimestamp(series.points, direction: direction)
        let baselineValues = points.filter { $0.at >= baselineStart && $0.at < window.lowerBound }.map(\.value)
        let observed = points.filter { window.contains($0.at) }
        let gap = Self.largestGap(points.lazy.filter { $0.at >= baselineStart && $0.at <= window.upperBound })
        let baseline = RobustStatistics.median(baselineValues)
        // A ratio (every value in 0…1) that is bad below degrades relative to its headroom: 0.985
        // to 0.93 is the failure share growing 4.7×, not a 6 % dip.
        let isRatio = points.allSatisfy { (0...1).contains($0.value) }
        let margin = max(
            config.relativeMargin * (isRatio && direction == .below ? 1 - baseline : abs(baseline)),
            config.absoluteMargin,
            config.madMultiplier * 1.4826 * RobustStatistics.mad(baselineValues))
        // Clamped: a margin large enough to overflow still leaves a finite limit.
        var limit = min(
            max(direction == .above ? baseline + margin : baseline - margin, -.greatestFiniteMagnitude),
            .greatestFiniteMagnitude)
        if let slo = series.slo { limit = direction == .above ? min(limit, slo.threshold) : max(limit, slo.threshold) }
        let breaching = observed.map { direction.isWorse($0.value, than: limit) }
        let values = observed.map(\.value)
        let peak = (direction == .above ? values.max() : values.min()) ?? baseline
        let onset = sustainedOnset(observed, breaching: breaching)
        var reason: String?
        if baselineValues.count < config.minBaselinePoints {
            reason = "insufficient baseline: \(baselineValues.count) of \(config.minBaselinePoints) samples"
        } else if onset == nil {
            reason = breaching.contains(true) ? "no sustained breach" : "no breach"
        }
        return MetricCorrelation(
            metric: series.name, metricName: series.metric, labels: series.labels, unit: series.unit,
            direction: direction,
            directionSource: source, baseline: baseline, limit: limit, peak: peak,
            onset: reason == nil ? onset : nil,
            lastBreach: reason == nil ? breaching.lastIndex(of: true).map { observed[$0].at } : nil,
            breachFraction: breachFraction(observed, breaching: breaching, from: onset),
            observedPoints: observed.count, baselinePoints: baselineValues.count,
            largestGap: gap.flatMap { $0.seconds > config.maxSampleGap ? $0 : nil },
            sloBreached: series.slo.map { slo in values.contains { slo.direction.isWorse($0, than: slo.threshold) } }
                ?? false,
            contributing: reason == nil, reason: reason)
    }

    /// Which side of `series` is bad: its SLO's, else the configured one, else inferred from the
    /// side its observed median moved to from the baseline median (ties: above).
    private func direction(
        of series: MetricSeries, baselineStart: Date, window: ClosedRange<Date>
    ) -> (Direction, DirectionSource) {
        if let slo = series.slo { return (slo.direction, .slo) }
        if let declared = series.direction { return (declared, .configured) }
        if let configured = config.metricDirections[series.metric] { return (configured, .configured) }
        let before = RobustStatistics.median(
            series.points.filter { $0.at >= baselineStart && $0.at < window.lowerBound }.map(\.value))
        let after = RobustStatistics.median(series.points.filter { window.contains($0.at) }.map(\.value))
        return (after < before ? .below : .above, .inferred)
    }

    /// One point per timestamp: of conflicting values, the worst in `direction` (documented rule,
    /// independent of arrival order, and a duplicate can never hide a regression).
    static func worstPerTimestamp(_ points: [MetricPoint], direction: Direction) -> [MetricPoint] {
        var result: [MetricPoint] = []
        result.reserveCapacity(points.count)
        for point in points {
            if let last = result.last, last.at == point.at {
                if direction.isWorse(point.value, than: last.value) { result[result.count - 1] = point }
            } else {
                result.append(point)
            }
        }
        return result
    }

    /// The longest stretch without a sample between two consecutive samples of `points` (sorted).
    static func largestGap(_ points: some Sequence<MetricPoint>) -> SampleGap? {
        var largest: SampleGap?
        var previous: Date?
        for point in points {
            if let previous, point.at.timeIntervalSince(previous) > (largest?.seconds ?? 0) {
                largest = SampleGap(from: previous, to: point.at)
            }
            previous = point.at
        }
        return largest
    }

    /// Share of breaching samples from the onset (or the window start without one) to the window end.
    private func breachFraction(_ points: [MetricPoint], breaching: [Bool], from onset: Date?) -> Double {
        let relevant = zip(points, breaching).filter { pair in onset.map { pair.0.at >= $0 } ?? true }.map(\.1)
        return relevant.isEmpty ? 0 : Double(relevant.filter { $0 }.count) / Double(relevant.count)
    }

    private func sustainedOnset(_ points: [MetricPoint], breaching: [Bool]) -> Date? {
        var runStart: Int?
        for i in points.indices {
            let connected = i > 0 && points[i].at.timeIntervalSince(points[i - 1].at) <= config.maxSampleGap
            if !breaching[i] {
                runStart = nil
            } else if runStart == nil || !connected {
                runStart = i
            }
            if let s = runStart, i - s + 1 >= config.sustainedPoints { return points[s].at }
        }
        return nil
    }
}
