import Kafka
import PostmortemCore
import Prometheus
import Synchronization

/// The service's Prometheus metrics. Counters move as work is done; gauges that describe
/// external state (outbox backlog, consumer lag) are refreshed when `/metrics` is scraped, and
/// `metrics_refreshed_timestamp_seconds` says when those read from the database last were.
public final class ServiceMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    private let metricPoints: Counter
    private let headersDropped: Counter
    private let updated: Counter
    private let withdrawn: Counter
    private let eventsMoved: Counter
    private let batches: DurationHistogram
    let outboxBacklog: Gauge
    let outboxOldestAge: Gauge
    let pipelineFailing: Gauge
    let overdueActionItems: Gauge
    let httpConnections: Gauge
    let kafkaBrokerReachable: Gauge
    let metricsRefreshed: Gauge
    /// Connections the server closed or refused, by ``DroppedConnectionReason``.
    private let droppedConnections: [DroppedConnectionReason: Counter]
    /// Item gauges by status label (`open`, `in_progress`, `done`, `cancelled`).
    private let actionItems: [String: Gauge]
    /// Lag gauges of the partitions this replica reported last, to drop revoked ones.
    private let lagGauges = Mutex<[TopicPartition: Gauge]>([:])

    /// Creates the metrics, all at zero.
    public init() {
        metricPoints = registry.makeCounter(
            descriptor: Self.name(
                "metric_points_stored", unit: "total", help: "Metric points stored (redeliveries excluded)."))
        headersDropped = registry.makeCounter(
            descriptor: Self.name(
                "headers_dropped", unit: "total",
                help:
                    "Kafka headers the contract does not read, not stored with their event (over the count or size cap)."
            ))
        updated = registry.makeCounter(
            descriptor: Self.name("postmortems_updated", unit: "total", help: "Postmortems whose analysis changed."))
        withdrawn = registry.makeCounter(
            descriptor: Self.name(
                "postmortems_withdrawn", unit: "total",
                help: "Postmortems withdrawn: their deploy's last trigger now belongs to another deploy."))
        eventsMoved = registry.makeCounter(
            descriptor: Self.name(
                "attribution_moves", unit: "total",
                help: "Events moved to another deploy (or unattributed) when attribution was re-derived."))
        batches = registry.makeDurationHistogram(
            descriptor: Self.name(
                "batch_duration", unit: "seconds", help: "Time to apply one batch, transaction included."),
            buckets: [
                .milliseconds(5), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .seconds(1), .seconds(5),
            ])
        outboxBacklog = registry.makeGauge(
            descriptor: Self.name("outbox_backlog", unit: "events", help: "Outbox events not yet published."))
        outboxOldestAge = registry.makeGauge(
            descriptor: Self.name(
                "outbox_oldest_age", unit: "seconds", help: "Age of the oldest unpublished outbox event."))
        pipelineFailing = registry.makeGauge(
            descriptor: Self.name(
                "pipeline_failing", unit: "", help: "1 while the pipeline retries a failure (database or broker down).")
        )
        overdueActionItems = registry.makeGauge(
            descriptor: Self.name(
                "action_items_overdue", unit: "", help: "Open or in-progress action items past their due date."))
        kafkaBrokerReachable = registry.makeGauge(
            descriptor: Self.name(
                "kafka_broker_reachable", unit: "",
                help: "1 when a Kafka broker answered the last metadata request (every 5 s), else 0."))
        metricsRefreshed = registry.makeGauge(
            descriptor: Self.name(
                "metrics_refreshed_timestamp", unit: "seconds",
                help:
                    "When the gauges read from the database (outbox, action items) were last refreshed, Unix time; old while the database is unreachable."
            ))
        httpConnections = registry.makeGauge(
            descriptor: Self.name("http_connections", unit: "", help: "Open HTTP connections."))
        let byStatus = Self.name("action_items", unit: "", help: "Action items, by status.")
        let registry = registry
        let dropped = Self.name(
            "http_connections_closed", unit: "total",
            help:
                "HTTP connections the server closed (timeouts, evicted to make room) or refused (limit reached, none idle), by reason."
        )
        droppedConnections = Dictionary(
            uniqueKeysWithValues: DroppedConnectionReason.allCases.map { reason in
                (reason, registry.makeCounter(descriptor: dropped, labels: [("reason", reason.rawValue)]))
            })
        actionItems = Dictionary(
            uniqueKeysWithValues: ActionItemStatus.allCases.map { status in
                (status.rawValue, registry.makeGauge(descriptor: byStatus, labels: [("status", status.rawValue)]))
            })
    }

    private static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "deploy_postmortem", metricName: metric, unitName: unit, helpText: help)
    }

    /// The counter of input messages of `kind` with `outcome` (created at first use).
    private func processed(_ kind: String, _ outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name(
                "events_processed", unit: "total", help: "Input messages handled, by event type and outcome."),
            labels: [("type", kind), ("outcome", outcome)])
    }

    /// Counts one failed Prometheus query of the metric source (each attempt), by metric and
    /// reason (``PrometheusQueryError/reason``).
    func recordPrometheusQueryFailure(metric: String, reason: String) {
        registry.makeCounter(
            descriptor: Self.name(
                "prometheus_query_failures", unit: "total",
                help:
                    "Prometheus query_range requests of the metric source that failed, by metric and reason (timeout, unreachable, http_<status>, too_large, too_many_series, invalid_response, query_error, auth_file)."
            ),
            labels: [("metric", metric), ("reason", reason)]
        ).increment()
    }

    /// Records one applied batch; `deadLettered` holds the kind of each message sent to the DLQ
    /// (`invalid` when it could not be decoded).
    func record(_ outcome: BatchOutcome, deadLettered: [String], duration: Duration) {
        for (pair, count) in outcome.events { processed(pair.kind, pair.outcome.rawValue).increment(by: Int64(count)) }
        for kind in deadLettered { processed(kind, "dead_lettered").increment() }
        metricPoints.increment(by: Int64(outcome.metricPoints))
        headersDropped.increment(by: Int64(outcome.headersDropped))
        batches.recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Sets the action-item gauges from counts by status (missing statuses count zero).
    func setActionItems(byStatus counts: [String: Int], overdue: Int) {
        for (status, gauge) in actionItems { gauge.set(to: Double(counts[status] ?? 0)) }
        overdueActionItems.set(to: Double(overdue))
    }

    /// Sets the consumer-lag gauge of every partition assigned to this replica; partitions no
    /// longer assigned are dropped from the exposition.
    func setConsumerLag(_ lags: [PartitionLag]) {
        let descriptor = Self.name(
            "consumer_lag", unit: "messages", help: "Messages not yet consumed, by assigned partition.")
        lagGauges.withLock { gauges in
            var current: [TopicPartition: Gauge] = [:]
            for lag in lags {
                let gauge =
                    gauges[lag.topicPartition]
                    ?? registry.makeGauge(
                        descriptor: descriptor,
                        labels: [("topic", lag.topicPartition.topic), ("partition", "\(lag.topicPartition.partition)")])
                if let messages = lag.lag { gauge.set(to: Double(messages)) }
                current[lag.topicPartition] = gauge
            }
            for (partition, gauge) in gauges where current[partition] == nil { registry.unregisterGauge(gauge) }
            gauges = current
        }
    }

    /// Records one HTTP request's latency.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.name(
                "http_request_duration", unit: "seconds", help: "HTTP request latency, by method, route and status."),
            labels: [("method", method), ("route", route), ("status", "\(status)")],
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ]
        ).record(duration)
    }

    /// Records an HTTP connection closed or refused by the server.
    func recordDroppedConnection(_ reason: DroppedConnectionReason) {
        droppedConnections[reason]?.increment()
    }

    /// Records what one analysis step did: each postmortem opened (once per trigger it has),
    /// the number updated and withdrawn, the events moved between deploys, and the failure
    /// events no deploy fits.
    func recordAnalysis(_ outcome: AnalysisOutcome) {
        updated.increment(by: Int64(outcome.updated.count))
        withdrawn.increment(by: Int64(outcome.withdrawn.count))
        eventsMoved.increment(by: Int64(outcome.eventsMoved))
        for kind in outcome.unattributedFailures {
            registry.makeCounter(
                descriptor: Self.name(
                    "unattributed_failures", unit: "total",
                    help: "Failure events (rollbacks, impact, interventions, failures) no deploy fits when attributed."),
                labels: [("type", kind)]
            ).increment()
        }
        for trigger in outcome.openedTriggers.joined() {
            registry.makeCounter(
                descriptor: Self.name("postmortems_opened", unit: "total", help: "Postmortems opened, by trigger."),
                labels: [("trigger", trigger)]
            ).increment()
        }
    }
}
