import Foundation

/// The healthy deploys a changed gate rule is priced over, and the metric points it replays on
/// them. One rule chooses them, for the service and `analyze` alike, so the stored postmortem
/// and `analyze` agree: of the deploys of the same service and environment that started before
/// the analyzed one (by start time, then deploy ID) and are healthy (``isHealthy(_:)``), the
/// `limit` most recent. Each healthy run reads only the points of its own
/// ``span(of:config:)``.
public struct HealthyHistory: Sendable {
    /// Healthy deploys by service and environment, oldest first.
    private let deploys: [Scope: [DeployTimeline]]
    /// Series by service, environment and name.
    private let series: [SeriesKey: MetricSeries]

    private struct Scope: Hashable {
        var service: String
        var environment: String
    }

    private struct SeriesKey: Hashable {
        var scope: Scope
        var name: String
    }

    /// No history: nothing prices a change.
    public static let empty = HealthyHistory(candidates: [], series: [])

    /// A history over `candidates` (any deploys; the unhealthy ones are ignored) and `series`
    /// (any series holding at least the points of each candidate's span).
    public init(candidates: some Sequence<DeployTimeline>, series: [MetricSeries]) {
        var deploys: [Scope: [DeployTimeline]] = [:]
        for timeline in candidates where Self.isHealthy(timeline) {
            let started = timeline.started!
            deploys[Scope(service: started.service, environment: started.environment), default: []].append(timeline)
        }
        self.deploys = deploys.mapValues { $0.sorted(by: Self.startsBefore) }
        self.series = Dictionary(
            series.map {
                (SeriesKey(scope: Scope(service: $0.service, environment: $0.environment), name: $0.name), $0)
            },
            uniquingKeysWith: { first, _ in first })
    }

    /// Whether a deploy is healthy: started, finished succeeded, and nothing triggered a
    /// postmortem (``Trigger/triggers(of:)`` is empty).
    public static func isHealthy(_ timeline: DeployTimeline) -> Bool {
        timeline.started != nil && timeline.finished?.outcome == .succeeded && Trigger.triggers(of: timeline).isEmpty
    }

    /// The points a healthy run reads: from the deploy's start to `maxObservationWindow` +
    /// `rollbackGrace` after it (the observation window of a deploy never rolled back). The
    /// service reads exactly this span, and a late point inside it re-analyzes the deploys the
    /// run prices.
    public static func span(of timeline: DeployTimeline, config: AnalysisConfig) -> ClosedRange<Date>? {
        guard let start = timeline.started?.startedAt else { return nil }
        return start...start.addingTimeInterval(config.maxObservationWindow + config.rollbackGrace)
    }

    /// The `limit` most recent healthy deploys of `timeline`'s service and environment that
    /// started before it, most recent first.
    public func deploys(before timeline: DeployTimeline, limit: Int) -> [DeployTimeline] {
        guard limit > 0, let started = timeline.started,
            let all = deploys[Scope(service: started.service, environment: started.environment)]
        else { return [] }
        var low = 0
        var high = all.count
        while low < high {
            let mid = (low + high) / 2
            if Self.startsBefore(all[mid], timeline) { low = mid + 1 } else { high = mid }
        }
        // all[..<low] started before `timeline`.
        return Array(all[max(0, low - limit)..<low].reversed())
    }

    /// The runs of `gate` on series `name` among `deploys` (of one service and environment):
    /// each deploy whose gate passed, with the series' points of its span. A deploy without
    /// that gate's window, or without a point of the series in it, is no run.
    func runs(
        of gate: Gate, series name: String, direction: Direction, deploys: [DeployTimeline], config: AnalysisConfig
    ) -> [GateRun] {
        deploys.compactMap { deploy in
            guard let started = deploy.started, let result = deploy.gates[gate], result.outcome == .passed,
                let end = result.finishedAt,
                let span = Self.span(of: deploy, config: config)
            else { return nil }
            let all =
                series[SeriesKey(scope: Scope(service: started.service, environment: started.environment), name: name)]?
                .points ?? []
            let start = result.startedAt ?? started.startedAt
            // A run without a point of the series in its gate window could fail nothing: no run.
            let points = Array(all.within(span))
            guard start <= end, !points.within(start...end).isEmpty else { return nil }
            return GateRun(points: points, direction: direction, start: start, end: end)
        }
    }

    /// Start time, then deploy ID.
    private static func startsBefore(_ a: DeployTimeline, _ b: DeployTimeline) -> Bool {
        (a.started?.startedAt ?? .distantPast, a.deployId) < (b.started?.startedAt ?? .distantPast, b.deployId)
    }
}

extension [MetricPoint] {
    /// The points of this time-sorted array within `span`, found by binary search.
    func within(_ span: ClosedRange<Date>) -> ArraySlice<MetricPoint> {
        self[leading { $0.at < span.lowerBound }..<leading { $0.at <= span.upperBound }]
    }

    /// How many leading points satisfy `before` (which holds for a prefix).
    private func leading(_ before: (MetricPoint) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if before(self[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
