import Foundation
import HTTPTypes
import Hummingbird
import Kafka
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// The running service: the ingest pipeline, the outbox relay and the producer they share,
/// wired from a ``ServiceConfiguration`` and run as one `ServiceGroup` (SIGTERM/SIGINT →
/// graceful shutdown: finish the batch, commit, leave the group, publish, flush).
public final class PostmortemServer: Sendable {
    /// The consumer side; its ``IngestPipeline/health`` feeds readiness.
    public let pipeline: IngestPipeline
    /// Publishes the outbox; one replica at a time is its leader.
    public let relay: OutboxRelay
    /// The database pool shared by ingestion, analysis, the background jobs and the API's edits.
    public let pool: PostgresPool
    /// The pool the API's reads use (``ServiceConfiguration/Database/readPoolSize``), apart
    /// from ingestion and analysis; ``pool`` itself when that size is 0.
    public let readPool: PostgresPool
    /// Reads stored postmortems back as domain values.
    public let reader: PostmortemReader
    /// DORA's delivery figures and the gate-gap ledger.
    public let insights: InsightsReader
    /// Prometheus metrics of this replica.
    public let metrics = ServiceMetrics()
    /// Announces overdue action items (one sweep at a time across replicas).
    public let sweeper: OverdueSweeper
    /// Judges done action items that changed a gate by the next regression of their metric.
    public let followUps: FollowUpChecker
    /// Creates metric partitions ahead and applies the retention (one replica at a time).
    public let maintainer: DataMaintainer
    /// Fetches metrics from Prometheus, when `PROMETHEUS_SOURCE_FILE` configures it.
    public let prometheusSource: PrometheusMetricSource?
    private let http: HTTPSurface
    private let httpAddress: (host: String, port: Int)?
    private let producer: KafkaProducer
    /// Whether a Kafka broker answers (readiness, `deploy_postmortem_kafka_broker_reachable`).
    private let brokers: BrokerMonitor
    /// After this long, a graceful shutdown escalates to cancelling the services.
    private let shutdownTimeout: Duration
    private let logger: Logger

    /// Builds the service's parts; nothing connects until ``run()``.
    public init(configuration: ServiceConfiguration, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init)
        throws
    {
        self.logger = logger
        shutdownTimeout = configuration.shutdownTimeout
        pool = PostgresPool(
            configuration: configuration.database.connection, maxConnections: configuration.database.poolSize,
            logger: logger)
        readPool =
            configuration.database.readPoolSize == 0
            ? pool
            : PostgresPool(
                configuration: configuration.database.connection,
                maxConnections: configuration.database.readPoolSize, logger: logger)
        // One set of KAFKA_* settings serves both roles; each client gets the properties it reads.
        var consumerConfig = configuration.kafka.forConsumer
        if consumerConfig["auto.offset.reset"] == nil {
            consumerConfig = consumerConfig.merging(["auto.offset.reset": "earliest"])
        }
        let consumer = try KafkaConsumer(config: consumerConfig, topics: configuration.topics.inputs, logger: logger)
        producer = try KafkaProducer(config: configuration.kafka.forProducer, logger: logger)

        let analysis = configuration.analysis
        let decoder = EventDecoder()
        let events = DeployRepository(decoder: decoder, attributor: Attributor(window: analysis.attributionWindow))
        let metricRepository = MetricRepository(config: analysis)
        let encoder = configuration.outputEvents
        let outbox = OutboxRepository(
            postmortemTopic: configuration.topics.postmortems, actionItemTopic: configuration.topics.actionItems)
        let postmortemRepository = PostmortemRepository()
        let actionItemRepository = ActionItemRepository(encoder: encoder, outbox: outbox)
        let postmortems = PostmortemStore(
            encoder: encoder, postmortems: postmortemRepository, actionItems: actionItemRepository, outbox: outbox)
        let analyzer = PostmortemAnalyzer(config: analysis)
        let queue = AnalysisQueue()
        let sourceProgress = MetricSourceProgress(
            metricNames: configuration.prometheusSource?.metrics.map(\.name) ?? [])
        let repositories = PostgresTransaction.Repositories(
            deploys: events, metrics: metricRepository, queue: queue, postmortems: postmortemRepository,
            actionItems: actionItemRepository, outbox: outbox)
        let analysisStep = AnalysisStep(
            events: events, metrics: metricRepository, history: HealthyHistoryReader(events: events, config: analysis),
            postmortems: postmortems, queue: queue, analyzer: analyzer, sourceProgress: sourceProgress, logger: logger)
        reader = PostmortemReader(
            pool: readPool, postmortems: postmortemRepository, actionItems: actionItemRepository)
        insights = InsightsReader(pool: readPool)
        sweeper = OverdueSweeper(
            pool: pool, repositories: repositories, interval: configuration.jobs.overdueSweepInterval, clock: clock,
            logger: logger)
        followUps = FollowUpChecker(
            pool: pool, deploys: events, insights: InsightsRepository(), actionItems: actionItemRepository,
            interval: configuration.jobs.overdueSweepInterval, clock: clock, logger: logger)
        maintainer = DataMaintainer(
            pool: pool, retention: configuration.retention, analysis: analysis,
            interval: configuration.jobs.maintenanceInterval,
            clock: clock, logger: logger)
        let (pool, serviceMetrics) = (self.pool, self.metrics)
        prometheusSource = configuration.prometheusSource.map { source in
            PrometheusMetricSource(
                configuration: source, pool: pool, samples: metricRepository, progress: sourceProgress, queue: queue,
                analysis: analysis,
                metrics: serviceMetrics, clock: clock, logger: logger)
        }
        relay = OutboxRelay(database: configuration.database.connection, producer: producer, logger: logger)
        var settings = IngestPipeline.Settings()
        settings.deadLetterTopic = configuration.topics.deadLetter
        // librdkafka refuses records over message.max.bytes (default 1,000,000); leave room for headers.
        let producerLimit = configuration.kafka.forProducer["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000
        settings.deadLetterMaxValueBytes = max(DeadLetterRecord.excerptBytes, producerLimit - 65_536)
        pipeline = IngestPipeline(
            consumer: consumer, producer: producer, pool: pool, applier: ApplyBatch(), repositories: repositories,
            analysis: analysisStep, decoder: decoder,
            settings: settings, metrics: self.metrics, clock: clock, logger: logger)
        let actionItems = ActionItemStore(
            pool: pool, readPool: readPool, repositories: repositories, editor: EditActionItem(encoder: encoder))
        let api = APIRoutes(
            postmortems: reader, actionItems: actionItems, insights: InsightsRoutes(insights: insights, clock: clock),
            tokens: configuration.api.tokens,
            maxBodyBytes: configuration.api.maxRequestBodyBytes, metrics: self.metrics, clock: clock)
        let ui = UIRoutes(
            postmortems: reader, chartPoints: ChartPointsReader(pool: readPool, metrics: metricRepository),
            actionItems: actionItems, insights: insights,
            authenticator: UIAuthenticator(
                sessions: UISessions(key: configuration.ui.sessionKey, lifetime: configuration.ui.sessionLifetime),
                tokens: configuration.api.tokens,
                proxyHeader: configuration.ui.authProxyHeader.flatMap { HTTPField.Name($0) }, clock: clock),
            metrics: self.metrics, clock: clock)
        let metrics = self.metrics
        let connections = ConnectionRegistry(
            limit: ConnectionRegistry.fitDescriptorLimit(
                connections: configuration.http.limits.maxConnections, logger: logger),
            dropped: { metrics.recordDroppedConnection($0) })
        brokers = BrokerMonitor(producer: producer, metrics: metrics, logger: logger)
        http = HTTPSurface(
            pipeline: pipeline, relay: relay, actionItems: actionItems, api: api, ui: ui, metrics: metrics,
            delivery: (DeliveryGauges(registry: metrics.registry), insights), clock: clock,
            limits: configuration.http.limits, connections: connections,
            readinessChecks: Readiness(pool: pool, pipeline: pipeline, relay: relay, brokers: brokers, logger: logger))
        if configuration.ui.sessionKey == nil {
            logger.notice(
                "no UI session key configured (UI_SESSION_KEY_FILE): UI sessions end when this process restarts")
        }
        if let header = configuration.ui.authProxyHeader {
            logger.notice(
                "the UI trusts the \(header) header as the user's name: only an authenticating proxy that strips it from clients may reach this port"
            )
        }
        if configuration.api.tokens.isEmpty {
            logger.warning("no API tokens configured (API_TOKENS_FILE, API_TOKENS): every /v1 request gets 401")
        }
        httpAddress = configuration.http.port.map { (configuration.http.host, $0) }
    }

    /// The HTTP routes: probes, metrics and `/v1`.
    public var httpRouter: Router<APIRequestContext> { http.router() }

    /// The HTTP application (probes, metrics and the `/v1` API) bound to `host:port`.
    public func httpApplication(host: String = "127.0.0.1", port: Int) -> some ApplicationProtocol {
        http.application(host: host, port: port)
    }

    /// Runs until SIGTERM or SIGINT (when `handlesSignals`) or task cancellation, then shuts
    /// down gracefully; a graceful shutdown that takes longer than
    /// ``ServiceConfiguration/shutdownTimeout`` is escalated to cancelling the services.
    /// Embedders that own the process's signals pass `handlesSignals: false`.
    public func run(handlesSignals: Bool = true) async throws {
        // Services stop in reverse order: the pipeline first, then the relay, the producer
        // (flush) last; HTTP keeps answering probes until the others are done.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let httpAddress {
            services.append(.init(service: httpApplication(host: httpAddress.host, port: httpAddress.port)))
        }
        services += [
            .init(service: producer), .init(service: brokers), .init(service: relay), .init(service: sweeper),
            .init(service: followUps),
            .init(service: maintainer),
        ]
        if let prometheusSource { services.append(.init(service: prometheusSource)) }
        services.append(.init(service: pipeline))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownTimeout
        try await ServiceGroup(configuration: configuration).run()
        await pool.close()
        if readPool !== pool { await readPool.close() }
    }
}
