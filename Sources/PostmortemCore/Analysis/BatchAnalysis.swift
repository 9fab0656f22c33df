import Foundation

/// An event that could not be attributed to any deploy.
public struct UnattributedEvent: Sendable, Hashable {
    /// The event.
    public var key: EventKey
    /// Why.
    public var reason: String
}

/// The result of analyzing a batch of events offline.
public struct BatchReport: Sendable, Hashable {
    /// Postmortems, sorted by deploy ID (healthy deploys have none).
    public var postmortems: [Postmortem]
    /// Events that belong to no deploy.
    public var unattributed: [UnattributedEvent]
}

/// Analyzes a whole set of events at once (the `analyze` command, tests, replays).
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
        var timelines: [String: DeployTimeline] = [:]
        var pending: [DecodedEvent] = []
        var samples: [MetricSample] = []
        var seen = Set<EventKey>()
        for event in events.sorted(by: { $0.key < $1.key }) where seen.insert(event.key).inserted {
            if case .metricSampled(let sample) = event.event {
                samples.append(sample)
            } else if let id = event.event.deployId {
                timelines[id, default: DeployTimeline(deployId: id)].apply(event)
            } else {
                pending.append(event)
            }
        }
        let candidates = timelines.values.compactMap(\.candidate)
        let attributor = Attributor(window: config.attributionWindow)
        var unattributed: [UnattributedEvent] = []
        for event in pending {
            switch attributor.attribute(event, candidates: candidates) {
            case .deploy(let id, _): timelines[id]?.apply(event)
            case .none(let reason): unattributed.append(UnattributedEvent(key: event.key, reason: reason))
            }
        }
        let series = MetricSeries.series(from: samples)
        let analyzer = PostmortemAnalyzer(config: config)
        let postmortems = timelines.keys.sorted().compactMap { analyzer.analyze(timelines[$0]!, metrics: series) }
        return BatchReport(postmortems: postmortems, unattributed: unattributed)
    }
}
