import Foundation
import Postgres
import PostmortemCore

/// Reads the metric points a postmortem's charts draw: the stored samples of each contributing
/// metric over the span its analysis read.
struct ChartPointsReader: Sendable {
    let pool: PostgresPool
    let metrics: MetricRepository

    /// The points of each contributing metric of `postmortem`, keyed by ``MetricCorrelation/metric``.
    func points(of postmortem: Postmortem) async throws -> [String: [MetricPoint]] {
        guard !postmortem.contributingMetrics.isEmpty else { return [:] }
        return try await pool.withConnection { [metrics] connection in
            try metrics.points(
                of: postmortem.contributingMetrics, ofDeploy: postmortem.deployId,
                rolledBackAt: postmortem.rolledBackAt, on: connection)
        }
    }
}
