import Foundation

/// An event that could not be attributed to any deploy.
public struct UnattributedEvent: Sendable, Hashable {
    /// The event.
    public var key: EventKey
    /// Why.
    public var reason: String
    /// Its kind (`InputEvent.kind`), e.g. `deploy.rolled_back`.
    public var kind: String

    /// Creates a record of an event no deploy fits.
    public init(key: EventKey, reason: String, kind: String) {
        self.key = key
        self.reason = reason
        self.kind = kind
    }
}

/// The result of analyzing a batch of events offline.
public struct BatchReport: Sendable, Hashable {
    /// Postmortems, sorted by deploy ID (healthy deploys have none).
    public var postmortems: [Postmortem]
    /// Events that belong to no deploy.
    public var unattributed: [UnattributedEvent]
    /// Conflicting duplicates, sorted by key.
    public var conflicts: [ConflictingDuplicate] = []
}

/// Analyzes a whole set of events at once (the `analyze` command, tests, replays).
///
/// Linear in the number of events apart from sorting: each deploy's timeline is folded once, and
/// attribution uses an ``AttributionIndex`` built once.
public struct BatchAnalysis: Sendable {
    /// Tunables.
    public var config: AnalysisConfig

    /// Creates a batch analysis.
    public init(config: AnalysisConfig = AnalysisConfig()) {
        self.config = config
    }

    /// Folds the events into timelines, attributes those without a deploy ID, correlates metrics and
    /// analyzes every deploy. The result does not depend on the order of `events`.
    public func run(_ events: [DecodedEvent]) -> BatchReport {
        let (unique, conflicts) = ConflictingDuplicate.resolve(events, event: { $0 })
        var byDeploy: [String: [DecodedEvent]] = [:]
        var pending: [DecodedEvent] = []
        var samples: [MetricSample] = []
        for event in unique {
            if case .metricSampled(let sample) = event.event {
                samples.append(sample)
            } else if let id = event.event.deployId {
                byDeploy[id, default: []].append(event)
            } else {
                pending.append(event)
            }
        }
        var timelines = Self.fold(byDeploy)
        let index = AttributionIndex(timelines.values.compactMap(\.candidate), window: config.attributionWindow)
        var attributed: [String: [DecodedEvent]] = [:]
        var unattributed: [UnattributedEvent] = []
        for event in pending {
            switch index.attribute(event) {
            case .deploy(let id, _): attributed[id, default: []].append(event)
            case .none(let reason):
                unattributed.append(UnattributedEvent(key: event.key, reason: reason, kind: event.event.kind))
            }
        }
        for (id, events) in attributed { timelines[id]?.apply(contentsOf: events) }
        let series = MetricSeries.series(from: samples)
        let analyzer = PostmortemAnalyzer(config: config)
        let history = HealthyHistory(candidates: timelines.values, series: series)
        let postmortems = timelines.keys.sorted().compactMap {
            analyzer.analyze(timelines[$0]!, metrics: series, history: history)
        }
        return BatchReport(postmortems: postmortems, unattributed: unattributed, conflicts: conflicts)
    }

    private static func fold(_ byDeploy: [String: [DecodedEvent]]) -> [String: DeployTimeline] {
        byDeploy.reduce(into: [:]) { timelines, entry in
            var timeline = DeployTimeline(deployId: entry.key)
            timeline.apply(contentsOf: entry.value)
            timelines[entry.key] = timeline
        }
    }
}
