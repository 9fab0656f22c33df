import Foundation
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// Fetches the configured metrics of every deploy with a postmortem from Prometheus and stores
/// them as metric samples, exactly as if they had come as `metric.sampled` events: the
/// analysis cannot tell the difference. Runs on every replica; points are stored once (the
/// `metric_samples` unique index) and progress only moves forward, so replicas that fetch the
/// same deploy at once do no harm. Each fetch that stores points, or that delivers a pending
/// metric, queues the deploy's re-analysis (`postmortem.updated`).
///
/// For each deploy and metric it queries the deploy's analysis span
/// (``AnalysisConfig/metricSpan(startedAt:rolledBackAt:)``) up to now, again every round while
/// that span is still open, and marks the metric complete once the span has closed.
public final class PrometheusMetricSource: Service, Sendable {
    private let configuration: PrometheusSourceConfiguration
    private let pool: PostgresPool
    private let samples: MetricRepository
    private let progress: MetricSourceProgress
    private let queue: AnalysisQueue
    private let analysis: AnalysisConfig
    private let metrics: ServiceMetrics
    private let clock: @Sendable () -> Date
    private let logger: Logger

    /// Postmortems opened longer ago than this are no longer fetched for (7 days).
    static let maxAge: TimeInterval = 7 * 86_400
    /// Deploys handled per round.
    static let deploysPerRound = 100
    /// How far before its last fetch a metric still open is fetched again (late scrapes).
    static let lookback: TimeInterval = 300

    init(
        configuration: PrometheusSourceConfiguration, pool: PostgresPool, samples: MetricRepository,
        progress: MetricSourceProgress,
        queue: AnalysisQueue, analysis: AnalysisConfig, metrics: ServiceMetrics, clock: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        self.configuration = configuration
        self.pool = pool
        self.samples = samples
        self.progress = progress
        self.queue = queue
        self.analysis = analysis
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    /// Fetches every `intervalSeconds` until graceful shutdown or cancellation. The HTTP client
    /// lives as long as this call, so a source that never runs holds no connections.
    public func run() async throws {
        let client = PrometheusClient(configuration: configuration)
        await repeatUntilShutdown(
            every: .seconds(configuration.intervalSeconds), logger: logger,
            failure: "Prometheus metric source round failed"
        ) { _ = try await self.round(with: client) }
        await client.shutdown()
    }

    /// One round: fetches what every due deploy misses. Returns the metrics fetched (a metric
    /// whose queries failed is left for the next round, and counted in
    /// `deploy_postmortem_prometheus_query_failures_total`).
    func round(with client: PrometheusClient) async throws -> Int {
        let now = clock()
        let (progress, openedSince) = (self.progress, now.addingTimeInterval(-Self.maxAge))
        let due = try await pool.withConnection {
            try progress.due(openedSince: openedSince, limit: Self.deploysPerRound, on: $0)
        }
        var fetched = 0
        for deploy in due {
            for metric in configuration.metrics where deploy.fetched[metric.name]?.complete != true {
                if try await fetch(metric, of: deploy, now: now, with: client) { fetched += 1 }
            }
        }
        return fetched
    }

    /// Fetches and stores one metric of one deploy; false when a query failed.
    private func fetch(
        _ metric: PrometheusSourceConfiguration.Metric, of deploy: MetricSourceProgress.DueDeploy, now: Date,
        with client: PrometheusClient
    ) async throws -> Bool {
        let span = analysis.metricSpan(startedAt: deploy.startedAt, rolledBackAt: deploy.rolledBackAt)
        let query: String
        do {
            query = try PrometheusSourceConfiguration.render(
                metric.query,
                values: ["service": deploy.service, "environment": deploy.environment, "version": deploy.version ?? ""])
        } catch {
            logger.error(
                "Prometheus query template invalid", metadata: ["metric": "\(metric.name)", "error": "\(error)"])
            return false
        }
        let step = TimeInterval(metric.step)
        var start = span.lowerBound
        if let previous = deploy.fetched[metric.name]?.until {
            start = max(start, previous.addingTimeInterval(-Self.lookback))
        }
        // On the step grid from the epoch: every query of a series evaluates at the same instants,
        // so a refresh re-stores the same points instead of interleaving shifted ones.
        start = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / step).rounded(.up) * step)
        let end = min(now, span.upperBound)
        var series: [String: MetricSample] = [:]
        var chunkStart = start
        while chunkStart <= end {
            let chunkEnd = min(
                end, chunkStart.addingTimeInterval(step * Double(PrometheusSourceConfiguration.maxPointsPerQuery - 1)))
            guard
                let answer = await queryWithRetries(
                    query, metric: metric.name, start: chunkStart, end: chunkEnd, step: metric.step, deploy: deploy,
                    client: client)
            else { return false }
            for result in answer {
                let key = result.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: ",")
                series[
                    key,
                    default: MetricSample(
                        service: deploy.service, environment: deploy.environment, metric: metric.name, points: [],
                        unit: metric.unit,
                        labels: result.labels,
                        slo: metric.sloThreshold.map { SLO(threshold: $0, direction: metric.badDirection) },
                        direction: metric.sloThreshold == nil ? metric.badDirection : nil)
                ].points += result.points
            }
            chunkStart = chunkEnd.addingTimeInterval(step)
        }
        let found = series.keys.sorted().map { series[$0]! }
        let complete = now >= span.upperBound.addingTimeInterval(step)
        let (samples, progress, queue) = (self.samples, self.progress, self.queue)
        let stored = try await pool.withTransaction { connection in
            let stored = try samples.store(found, on: connection)
            let wasPending = try progress.record(
                deployId: deploy.deployId, metric: metric.name, until: end, complete: complete, now: now, on: connection
            )
            var work = AnalysisWork()
            if stored > 0 { work.metricRanges = MetricRange.covering(found) }
            if stored > 0 || wasPending { work.deployIds = [deploy.deployId] }
            try queue.enqueue(work, on: connection)
            return stored
        }
        logger.debug(
            "Prometheus metric fetched",
            metadata: [
                "deploy_id": "\(deploy.deployId)", "metric": "\(metric.name)", "series": "\(found.count)",
                "points_stored": "\(stored)",
                "complete": "\(complete)",
            ])
        return true
    }

    /// One `query_range`, retried with backoff while it fails for a transient reason; nil when
    /// it still fails (logged and counted per attempt).
    private func queryWithRetries(
        _ query: String, metric: String, start: Date, end: Date, step: Int, deploy: MetricSourceProgress.DueDeploy,
        client: PrometheusClient
    ) async -> [PrometheusSeries]? {
        var backoff = Backoff()
        for attempt in 0...configuration.retries {
            do {
                return try await client.queryRange(query, start: start, end: end, step: step)
            } catch {
                metrics.recordPrometheusQueryFailure(metric: metric, reason: error.reason)
                logger.warning(
                    "Prometheus query failed",
                    metadata: [
                        "deploy_id": "\(deploy.deployId)", "metric": "\(metric)", "attempt": "\(attempt + 1)",
                        "error": "\(error)",
                    ])
                guard error.isTransient, attempt < configuration.retries, !Task.isCancelled else { return nil }
                try? await Task.sleep(for: backoff.nextDelay())
            }
        }
        return nil
    }
}
