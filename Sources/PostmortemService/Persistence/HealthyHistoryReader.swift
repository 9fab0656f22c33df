import Foundation
import Postgres
import PostmortemCore

/// Reads the healthy history a failed deploy's gate replay is priced over (``HealthyHistory``),
/// bounded by `AnalysisConfig.healthyDeploys`, and finds the postmortems a changed earlier
/// deploy or its late metric points may re-price.
struct HealthyHistoryReader: Sendable {
    let events: DeployRepository
    let config: AnalysisConfig

    /// The postmortem `analyze` would write for `timeline` from what is stored: its series and,
    /// when a canary or soak gate passed (the only ones replayed), its healthy history.
    func analyze(
        _ timeline: DeployTimeline, analyzer: PostmortemAnalyzer, metrics: MetricRepository,
        on connection: isolated PostgresConnection
    ) throws -> Postmortem? {
        let series = try metrics.series(around: timeline, on: connection)
        let replayed = timeline.gates.values.contains { $0.gate != .ci && $0.outcome == .passed }
        let history = replayed ? try history(for: timeline, metrics: Set(series.map(\.metric)), on: connection) : .empty
        return analyzer.analyze(timeline, metrics: series, history: history)
    }

    /// The history of `timeline`: the earlier succeeded deploys of its service and environment,
    /// newest first, page by page until `healthyDeploys` of them are healthy (the rule
    /// ``HealthyHistory`` applies to them is the one `analyze` applies), with the points of
    /// `metrics` (names) over their spans. Deploy IDs compare in byte order (`COLLATE "C"`, the
    /// index's order too): code point order, as Swift compares them, whatever the database's
    /// collation.
    func history(for timeline: DeployTimeline, metrics names: Set<String>, on connection: isolated PostgresConnection)
        throws -> HealthyHistory
    {
        let limit = config.healthyDeploys
        guard limit > 0, let started = timeline.started, !names.isEmpty else { return .empty }
        var candidates: [DeployTimeline] = []
        var healthy = 0
        var cursor = (started.startedAt, timeline.deployId)
        while healthy < limit {
            let ids = try connection.query(
                """
                SELECT deploy_id, started_at FROM deploys
                WHERE service = \(started.service) AND environment = \(started.environment) AND outcome = 'succeeded'
                  AND (started_at, deploy_id COLLATE "C") < (\(cursor.0)::timestamptz, \(cursor.1)::text)
                ORDER BY started_at DESC, deploy_id COLLATE "C" DESC LIMIT \(limit)
                """
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Date.self, at: 1)) }
            guard let last = ids.last else { break }
            let timelines = try events.timelines(of: ids.map(\.0), on: connection)
            for (id, _) in ids {
                candidates.append(timelines[id]!)
                if HealthyHistory.isHealthy(timelines[id]!) { healthy += 1 }
            }
            guard ids.count == limit else { break }
            cursor = (last.1, last.0)
        }
        let spans = candidates.compactMap { HealthyHistory.span(of: $0, config: config) }
        return HealthyHistory(
            candidates: candidates,
            series: try series(
                service: started.service, environment: started.environment, metrics: names, spans: spans, on: connection
            ))
    }

    /// The series `metrics` (names) of a service and environment over `spans` (one scan each;
    /// points of overlapping spans collapse in ``MetricSeries``).
    private func series(
        service: String, environment: String, metrics: Set<String>, spans: [ClosedRange<Date>],
        on connection: isolated PostgresConnection
    ) throws -> [MetricSeries] {
        guard !spans.isEmpty else { return [] }
        let rows = try connection.query(
            """
            SELECT m.metric, m.labels::text, m.ts, m.value, m.unit, m.slo_threshold, m.slo_direction
            FROM unnest(\(spans.map(\.lowerBound))::timestamptz[], \(spans.map(\.upperBound))::timestamptz[]) AS r(first_ts, last_ts)
            JOIN LATERAL (
                SELECT * FROM metric_samples
                WHERE service = \(service) AND environment = \(environment) AND metric = ANY(\(metrics.sorted())::text[])
                  AND ts BETWEEN r.first_ts AND r.last_ts) AS m ON true
            ORDER BY m.metric, m.labels, m.unit, m.slo_threshold, m.slo_direction, m.ts, m.value
            """)
        return try MetricRepository.series(rows, service: service, environment: environment)
    }

    /// Postmortems whose healthy history may hold one of `deployIds` (changed now): those of the
    /// same service and environment started after it with fewer than `healthyDeploys` deploys
    /// between them that are surely healthy (succeeded, no postmortem, not changed now). Counting
    /// only those errs on the side of re-analyzing one too many. A changed deploy is placed both
    /// where its `deploys` row has it and where its timeline among `timelines` (folded now) does:
    /// a deploy whose row is not written yet (or is stale) is still found. Only a deploy that
    /// succeeded, as stored or as folded now, can be in a history (``history(for:metrics:on:)``
    /// reads succeeded deploys only); one that did in neither prices nothing, so a run of failed
    /// deploys does not re-analyze every later postmortem of its line.
    func postmortemsPricedBy(
        _ deployIds: Set<String>, placedBy timelines: [DeployTimeline], on connection: isolated PostgresConnection
    ) throws -> Set<String> {
        guard config.healthyDeploys > 0, !deployIds.isEmpty else { return [] }
        let ids = deployIds.sorted()
        let placed = timelines.filter { deployIds.contains($0.deployId) && $0.finished?.outcome == .succeeded }
            .compactMap { timeline in timeline.started.map { (id: timeline.deployId, started: $0) } }
        return Set(
            try connection.query(
                """
                WITH x AS (
                    SELECT deploy_id, service, environment, started_at FROM deploys
                    WHERE deploy_id = ANY(\(ids)::text[]) AND outcome = 'succeeded'
                    UNION
                    SELECT * FROM unnest(\(placed.map(\.id))::text[], \(placed.map(\.started.service))::text[],
                        \(placed.map(\.started.environment))::text[], \(placed.map(\.started.startedAt))::timestamptz[])
                        AS t(deploy_id, service, environment, started_at))
                SELECT DISTINCT p.deploy_id
                FROM x
                JOIN deploys d ON d.service = x.service AND d.environment = x.environment
                    AND (d.started_at, d.deploy_id COLLATE "C") > (x.started_at, x.deploy_id)
                JOIN postmortems p ON p.deploy_id = d.deploy_id AND p.status <> 'withdrawn'
                WHERE (SELECT count(*) FROM deploys h
                       WHERE h.service = x.service AND h.environment = x.environment AND h.outcome = 'succeeded'
                         AND (h.started_at, h.deploy_id COLLATE "C") > (x.started_at, x.deploy_id)
                         AND (h.started_at, h.deploy_id COLLATE "C") < (d.started_at, d.deploy_id)
                         AND h.deploy_id <> ALL(\(ids)::text[])
                         AND NOT EXISTS (SELECT 1 FROM postmortems hp WHERE hp.deploy_id = h.deploy_id AND hp.status <> 'withdrawn')) < \(config.healthyDeploys)
                """
            ).map { try $0.decode(String.self, at: 0) })
    }

    /// Succeeded deploys whose healthy-run span (``HealthyHistory/span(of:config:)``) overlaps
    /// `ranges` of new points: the postmortems they price must be re-priced.
    func deploysWithPoints(in ranges: [MetricRange], on connection: isolated PostgresConnection) throws -> Set<String> {
        guard config.healthyDeploys > 0 else { return [] }
        var found = Set<String>()
        let length = config.maxObservationWindow + config.rollbackGrace
        for range in ranges {
            let rows = try connection.query(
                """
                SELECT deploy_id FROM deploys
                WHERE service = \(range.service) AND environment = \(range.environment) AND outcome = 'succeeded'
                  AND started_at <= \(range.last) AND started_at >= \(range.first.addingTimeInterval(-length))
                """)
            for row in rows { found.insert(try row.decode(String.self, at: 0)) }
        }
        return found
    }
}
