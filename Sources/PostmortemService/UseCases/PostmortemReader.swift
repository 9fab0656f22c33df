import Foundation
import Postgres
import PostmortemCore

/// Reads postmortems back. The API's reads serve what was stored (and published): the
/// document the analysis step saved, with the action items as they stand. Only rendering a
/// postmortem as a domain value (Markdown, the demo) analyzes the deploy's stored events again.
public struct PostmortemReader: Sendable {
    private let pool: PostgresPool
    private let events: DeployRepository
    private let metrics: MetricRepository
    private let history: HealthyHistoryReader
    private let postmortems: PostmortemRepository
    private let store: PostmortemStore
    private let analyzer: PostmortemAnalyzer
    private let sourceProgress: MetricSourceProgress

    init(
        pool: PostgresPool, events: DeployRepository, metrics: MetricRepository, postmortems: PostmortemRepository,
        store: PostmortemStore, analyzer: PostmortemAnalyzer, sourceProgress: MetricSourceProgress
    ) {
        self.sourceProgress = sourceProgress
        self.pool = pool
        self.events = events
        self.metrics = metrics
        self.history = HealthyHistoryReader(events: events, config: analyzer.config)
        self.postmortems = postmortems
        self.store = store
        self.analyzer = analyzer
    }

    /// Deploy IDs of every postmortem, oldest first.
    public func deployIDs() async throws -> [String] {
        try await pool.withConnection { [postmortems] connection in try postmortems.deployIDs(on: connection) }
    }

    /// The postmortem of `deployId` as a domain value (analyzed again from its stored events,
    /// with the stored lifecycle of its items), or nil when the deploy has none.
    public func postmortem(ofDeploy deployId: String) async throws -> Postmortem? {
        try await postmortemAndSeries(ofDeploy: deployId)?.postmortem
    }

    /// ``postmortem(ofDeploy:)`` with the metric series around the deploy it was analyzed from.
    func postmortemAndSeries(ofDeploy deployId: String) async throws -> (
        postmortem: Postmortem, series: [MetricSeries]
    )? {
        try await pool.withConnection { [self] connection in
            guard try postmortems.exists(ofDeploy: deployId, on: connection) else { return nil }
            let timeline = try events.timeline(of: deployId, on: connection)
            guard
                let (analyzed, series) = try history.analyzeKeepingSeries(
                    timeline, analyzer: analyzer, metrics: metrics, on: connection)
            else {
                return nil
            }
            var analysis = analyzed
            analysis.pendingMetrics = try sourceProgress.pending(ofDeploy: deployId, on: connection)
            return (try store.current(analysis, on: connection), series)
        }
    }

    /// One page of postmortems, newest first.
    func summaries(_ filter: PostmortemFilter) async throws -> Page<PostmortemSummary> {
        try await pool.withConnection { [postmortems] connection in try postmortems.summaries(filter, on: connection) }
    }

    /// The postmortem with ID `id` as stored, or nil.
    func record(id: String) async throws -> PostmortemRecord? {
        try await pool.withConnection { [postmortems] connection in try postmortems.record(id: id, on: connection) }
    }
}
