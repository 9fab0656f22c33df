import Foundation
import Postgres
import PostmortemCore

/// The `metric_source_fetches` table: how far the Prometheus metric source has fetched each
/// configured metric of each deploy with a postmortem. A metric without a row is pending.
struct MetricSourceProgress: Sendable {
    /// The configured metric names; none when no source is configured (then nothing is pending).
    let metricNames: [String]

    /// A deploy whose metrics are not all fetched: what the queries need.
    struct DueDeploy: Sendable {
        var deployId: String
        var service: String
        var environment: String
        var version: String?
        var startedAt: Date
        var rolledBackAt: Date?
        /// Per metric fetched before: up to when, and whether its whole span is stored.
        var fetched: [String: (until: Date, complete: Bool)]
    }

    /// The configured metrics of `deployId` not fetched yet, sorted (the postmortem's `pendingMetrics`).
    func pending(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws -> [String] {
        guard !metricNames.isEmpty else { return [] }
        let fetched = Set(
            try connection.query("SELECT metric FROM metric_source_fetches WHERE deploy_id = \(deployId)").map {
                try $0.decode(String.self, at: 0)
            })
        return metricNames.filter { !fetched.contains($0) }.sorted()
    }

    /// Deploys with a postmortem opened since `openedSince` with some configured metric not
    /// completely fetched, most recent first, at most `limit`.
    func due(openedSince: Date, limit: Int, on connection: isolated PostgresConnection) throws -> [DueDeploy] {
        guard !metricNames.isEmpty else { return [] }
        let rows = try connection.query(
            """
            SELECT p.deploy_id, d.service, d.environment, d.artifact_version, d.started_at, p.rolled_back_at
            FROM postmortems p JOIN deploys d USING (deploy_id)
            WHERE d.started_at IS NOT NULL AND d.service IS NOT NULL AND d.environment IS NOT NULL
              AND p.opened_at >= \(openedSince) AND p.status <> 'withdrawn'
              AND (SELECT count(*) FROM metric_source_fetches f
                   WHERE f.deploy_id = p.deploy_id AND f.complete AND f.metric = ANY (\(metricNames)::text[])) < \(metricNames.count)
            ORDER BY p.opened_at DESC, p.deploy_id LIMIT \(limit)
            """)
        var deploys: [DueDeploy] = []
        for row in rows {
            deploys.append(
                DueDeploy(
                    deployId: try row.decode(String.self, at: 0), service: try row.decode(String.self, at: 1),
                    environment: try row.decode(String.self, at: 2), version: try row.decode(String?.self, at: 3),
                    startedAt: try row.decode(Date.self, at: 4), rolledBackAt: try row.decode(Date?.self, at: 5),
                    fetched: [:]))
        }
        guard !deploys.isEmpty else { return [] }
        let index = Dictionary(uniqueKeysWithValues: deploys.enumerated().map { ($1.deployId, $0) })
        for row in try connection.query(
            "SELECT deploy_id, metric, fetched_until, complete FROM metric_source_fetches WHERE deploy_id = ANY (\(deploys.map(\.deployId))::text[])"
        ) {
            let position = index[try row.decode(String.self, at: 0)]!
            deploys[position].fetched[try row.decode(String.self, at: 1)] = (
                try row.decode(Date.self, at: 2), try row.decode(Bool.self, at: 3)
            )
        }
        return deploys
    }

    /// Records that `metric` of `deployId` is stored up to `until` (complete when its span is);
    /// progress never moves back (another replica may have fetched further). Returns true when
    /// the metric was pending until now.
    @discardableResult
    func record(
        deployId: String, metric: String, until: Date, complete: Bool, now: Date,
        on connection: isolated PostgresConnection
    ) throws -> Bool {
        try connection.query(
            """
            INSERT INTO metric_source_fetches AS f (deploy_id, metric, fetched_until, complete, updated_at)
            VALUES (\(deployId), \(metric), \(until), \(complete), \(now))
            ON CONFLICT (deploy_id, metric) DO UPDATE
            SET fetched_until = greatest(f.fetched_until, excluded.fetched_until), complete = f.complete OR excluded.complete,
                updated_at = excluded.updated_at
            RETURNING xmax = 0
            """)[0].decode(Bool.self, at: 0)
    }
}
