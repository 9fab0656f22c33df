import Foundation
import Postgres
import PostmortemCore

/// Reads postmortems back as domain values (for rendering): the deploy's stored events and
/// metrics analyzed again, with the stored lifecycle of the action items.
public struct PostmortemReader: Sendable {
    private let pool: PostgresPool
    private let events: DeployEventStore
    private let metrics: MetricStore
    private let postmortems: PostmortemStore
    private let analyzer: PostmortemAnalyzer

    init(pool: PostgresPool, events: DeployEventStore, metrics: MetricStore, postmortems: PostmortemStore, analyzer: PostmortemAnalyzer) {
        self.pool = pool
        self.events = events
        self.metrics = metrics
        self.postmortems = postmortems
        self.analyzer = analyzer
    }

    /// Deploy IDs of every postmortem, oldest first.
    public func deployIDs() async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("SELECT deploy_id FROM postmortems ORDER BY opened_at, deploy_id").map { try $0.decode(String.self, at: 0) }
        }
    }

    /// The postmortem of `deployId`, or nil when the deploy has none.
    public func postmortem(ofDeploy deployId: String) async throws -> Postmortem? {
        try await pool.withConnection { [self] connection in try postmortem(ofDeploy: deployId, on: connection) }
    }

    /// The postmortem of `deployId` read on `connection` (inside the caller's transaction).
    func postmortem(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws -> Postmortem? {
        guard try !connection.query("SELECT 1 FROM postmortems WHERE deploy_id = $1", [deployId]).isEmpty else { return nil }
        let timeline = try events.timeline(of: deployId, on: connection)
        guard let analysis = analyzer.analyze(timeline, metrics: try metrics.series(around: timeline, on: connection)) else { return nil }
        return try postmortems.current(analysis, on: connection)
    }
}
