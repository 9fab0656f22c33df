import Foundation
import Postgres
import PostmortemCore

/// The span of metric points stored for one service and environment.
struct MetricRange: Sendable, Hashable {
    var service: String
    var environment: String
    var first: Date
    var last: Date

    /// One range per service and environment covering every point of `samples`.
    static func covering(_ samples: [MetricSample]) -> [MetricRange] {
        var ranges: [String: MetricRange] = [:]
        for sample in samples {
            guard let first = sample.points.map(\.at).min(), let last = sample.points.map(\.at).max() else { continue }
            let key = sample.service + "\u{0}" + sample.environment
            if let known = ranges[key] {
                ranges[key] = MetricRange(
                    service: known.service, environment: known.environment, first: min(first, known.first),
                    last: max(last, known.last))
            } else {
                ranges[key] = MetricRange(
                    service: sample.service, environment: sample.environment, first: first, last: last)
            }
        }
        return Array(ranges.values)
    }
}

/// Work the analysis step owes: what committed ingest transactions changed.
struct AnalysisWork: Sendable, Equatable {
    /// Deploys whose own events changed.
    var deployIds: Set<String> = []
    /// Metric points stored, by service and environment.
    var metricRanges: [MetricRange] = []

    var isEmpty: Bool { deployIds.isEmpty && metricRanges.isEmpty }
}

/// The durable queue between ingestion and analysis (`analysis_queue`). Ingest transactions
/// enqueue in their own transaction; the analysis step takes everything committed while it
/// holds the analysis lock, so no committed change can be missed by the step that follows it.
struct AnalysisQueue: Sendable {
    /// Records `work` in the caller's transaction.
    func enqueue(_ work: AnalysisWork, on connection: isolated PostgresConnection) throws {
        guard !work.isEmpty else { return }
        let ranges = work.metricRanges
        try connection.query(
            """
            INSERT INTO analysis_queue (deploy_ids, metric_services, metric_environments, metric_first, metric_last)
            VALUES (\(work.deployIds.sorted())::text[], \(ranges.map(\.service))::text[], \(ranges.map(\.environment))::text[],
                    \(ranges.map(\.first))::timestamptz[], \(ranges.map(\.last))::timestamptz[])
            """)
    }

    /// Waits for the analysis lock (held until the caller's transaction ends), then removes and
    /// returns every queued entry committed so far.
    func take(on connection: isolated PostgresConnection) throws -> AnalysisWork {
        try ServiceLock.analysis.wait(on: connection)
        var work = AnalysisWork()
        let rows = try connection.query(
            "DELETE FROM analysis_queue RETURNING deploy_ids, metric_services, metric_environments, metric_first, metric_last"
        )
        for row in rows {
            work.deployIds.formUnion(try row.decode([String].self, at: 0))
            let services = try row.decode([String].self, at: 1)
            let environments = try row.decode([String].self, at: 2)
            let firsts = try row.decode([Date].self, at: 3)
            let lasts = try row.decode([Date].self, at: 4)
            for index in services.indices {
                work.metricRanges.append(
                    MetricRange(
                        service: services[index], environment: environments[index], first: firsts[index],
                        last: lasts[index]))
            }
        }
        return work
    }

    /// Whether any work is queued or any event awaits attribution (a cheap check without the
    /// lock, for idle replicas and for entries a crashed replica left behind).
    func hasWork(on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM analysis_queue)
                OR EXISTS (SELECT 1 FROM deploy_events WHERE attribution_pending)
            """)[0].decode(Bool.self, at: 0)
    }
}
