import Foundation
import Postgres
import PostmortemCore

/// The `metric_samples` table: stores metric points at COPY speed without double-counting
/// redeliveries, and reads the series around a deploy back for correlation.
struct MetricRepository: Sendable {
    let config: AnalysisConfig

    /// The time span of the metric points postmortem `p` of deploy `d` reads (the rule of
    /// ``AnalysisConfig/metricSpan(startedAt:rolledBackAt:)``, its durations bound), as the
    /// select-list items `first_ts` and `last_ts`.
    static func postmortemSpan(_ config: AnalysisConfig) -> PostgresQuery {
        """
        d.started_at - make_interval(secs => \(config.baselineWindow)) AS first_ts,
        coalesce(p.rolled_back_at, d.started_at + make_interval(secs => \(config.maxObservationWindow)))
            + make_interval(secs => \(config.rollbackGrace)) AS last_ts
        """
    }

    /// Stores `samples`, skipping points already stored. Returns the number of new points.
    ///
    /// Points are first copied straight into `metric_samples` under a savepoint: live exporters
    /// send new points, so this is the common case and costs one write per point. When any
    /// point is already stored (a redelivery; the unique index refuses the whole COPY), the
    /// savepoint is rolled back and the points go through a per-session staging table and
    /// `INSERT … ON CONFLICT DO NOTHING` instead.
    @discardableResult
    func store(_ samples: [MetricSample], on connection: isolated PostgresConnection) throws -> Int {
        guard !samples.isEmpty else { return 0 }
        try connection.query("SAVEPOINT metric_copy")
        do {
            let copied = try copy(samples, into: "metric_samples", on: connection)
            try connection.query("RELEASE SAVEPOINT metric_copy")
            return copied
        } catch let error as PostgresError where error.sqlState == "23505" {
            try connection.query("ROLLBACK TO SAVEPOINT metric_copy")
        }
        try connection.query(
            """
            CREATE TEMP TABLE IF NOT EXISTS metric_staging
                (LIKE metric_samples INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
            """)
        try copy(samples, into: "metric_staging", on: connection)
        return try connection.query("INSERT INTO metric_samples SELECT * FROM metric_staging ON CONFLICT DO NOTHING")
            .affectedRows
    }

    /// COPYs every point of `samples` into `table` (shaped like `metric_samples`).
    @discardableResult
    private func copy(_ samples: [MetricSample], into table: String, on connection: isolated PostgresConnection) throws
        -> Int
    {
        try connection.copyFrom(
            "COPY \(table) (service, environment, metric, ts, value, labels, unit, slo_threshold, slo_direction) FROM STDIN"
        ) { writer in
            for sample in samples {
                let labels = try PostgresJSON(encoding: sample.labels)
                for point in sample.points {
                    writer.field(sample.service)
                    writer.field(sample.environment)
                    writer.field(sample.metric)
                    writer.field(point.at)
                    writer.field(point.value)
                    writer.field(labels)
                    writer.field(sample.unit)
                    writer.field(sample.slo?.threshold)
                    // Without a threshold the column holds the declared bad side (`direction`).
                    writer.field((sample.slo?.direction ?? sample.direction)?.rawValue)
                    try writer.endRow()
                }
            }
        }
    }

    /// Deploys with a postmortem whose analysis window overlaps `ranges` of new points: their
    /// correlation must be refreshed.
    func deploysAffected(by ranges: [MetricRange], on connection: isolated PostgresConnection) throws -> Set<String> {
        var affected = Set<String>()
        for range in ranges {
            let rows = try connection.query(
                """
                SELECT deploy_id FROM (
                    SELECT p.deploy_id, \(Self.postmortemSpan(config))
                    FROM postmortems p JOIN deploys d USING (deploy_id)
                    WHERE d.service = \(range.service) AND d.environment = \(range.environment) AND p.status <> 'withdrawn') AS w
                WHERE w.first_ts <= \(range.last) AND w.last_ts >= \(range.first)
                """)
            for row in rows { affected.insert(try row.decode(String.self, at: 0)) }
        }
        return affected
    }

    /// The points of every series of the deploy's service and environment from the baseline
    /// window before its start to the end of its observation window.
    func series(around timeline: DeployTimeline, on connection: isolated PostgresConnection) throws -> [MetricSeries] {
        guard let started = timeline.started else { return [] }
        let span = config.metricSpan(startedAt: started.startedAt, rolledBackAt: timeline.rolledBackAt)
        // One sample per metric, labels, unit and SLO: of copies that differ in unit or SLO,
        // `MetricSeries.series` takes the smallest, as `analyze` does.
        let rows = try connection.query(
            """
            SELECT metric, labels::text, ts, value, unit, slo_threshold, slo_direction
            FROM metric_samples
            WHERE service = \(started.service) AND environment = \(started.environment)
              AND ts BETWEEN \(span.lowerBound) AND \(span.upperBound)
            ORDER BY metric, labels, unit, slo_threshold, slo_direction, ts, value
            """)
        return try Self.series(rows, service: started.service, environment: started.environment)
    }

    /// The points of each metric of `metrics` (keyed by ``MetricCorrelation/metric``) over the
    /// span the analysis read for the postmortem of `deployId` (from its start in `deploys`),
    /// for charts. Empty when the deploy has no start. Reads no deploy event.
    func points(
        of metrics: [MetricCorrelation], ofDeploy deployId: String, rolledBackAt: Date?,
        on connection: isolated PostgresConnection
    ) throws -> [String: [MetricPoint]] {
        let deploy = try connection.query(
            "SELECT service, environment, started_at FROM deploys WHERE deploy_id = \(deployId)")
        guard let row = deploy.first, let service = try row.decode(String?.self, at: 0),
            let environment = try row.decode(String?.self, at: 1), let started = try row.decode(Date?.self, at: 2)
        else { return [:] }
        let span = config.metricSpan(startedAt: started, rolledBackAt: rolledBackAt)
        var points: [String: [MetricPoint]] = [:]
        for metric in metrics {
            let rows = try connection.query(
                """
                SELECT ts, value FROM metric_samples
                WHERE service = \(service) AND environment = \(environment) AND metric = \(metric.metricName)
                  AND labels = \(try PostgresJSON(encoding: metric.labels))::jsonb
                  AND ts BETWEEN \(span.lowerBound) AND \(span.upperBound)
                ORDER BY ts
                """)
            points[metric.metric] = try rows.map {
                MetricPoint(at: try $0.decode(Date.self, at: 0), value: try $0.decode(Double.self, at: 1))
            }
        }
        return points
    }

    /// The series of `rows` (metric, labels, ts, value, unit, SLO threshold and direction,
    /// ordered by all but ts and value first) of one service and environment.
    static func series(_ rows: PostgresRows, service: String, environment: String) throws -> [MetricSeries] {
        var samples: [MetricSample] = []
        var currentKey: [String?]?
        for row in rows {
            let metric = try row.decode(String.self, at: 0)
            let labelsText = try row.decode(String.self, at: 1)
            let point = MetricPoint(at: try row.decode(Date.self, at: 2), value: try row.decode(Double.self, at: 3))
            let unit = try row.decode(String?.self, at: 4)
            let sloThreshold = try row.decode(Double?.self, at: 5)
            let sloDirection = try row.decode(String?.self, at: 6)
            let key = [metric, labelsText, unit, sloThreshold.map { "\($0)" }, sloDirection]
            if key == currentKey {
                samples[samples.count - 1].points.append(point)
                continue
            }
            currentKey = key
            let labels = try PostgresJSON(rawJSON: labelsText).decode([String: String].self)
            let direction = sloDirection.flatMap(Direction.init(rawValue:))
            let slo = sloThreshold.flatMap { threshold in direction.map { SLO(threshold: threshold, direction: $0) } }
            samples.append(
                MetricSample(
                    service: service, environment: environment, metric: metric, points: [point],
                    unit: unit, labels: labels, slo: slo, direction: slo == nil ? direction : nil))
        }
        return MetricSeries.series(from: samples)
    }
}
