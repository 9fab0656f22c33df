import Foundation
import Hummingbird
import HummingbirdCore

/// What the service answers over HTTP: liveness, readiness and Prometheus metrics without
/// authentication, the authenticated `/v1` API (every error a JSON body) and the web UI under
/// `/ui` (HTML, errors too).
struct HTTPSurface: Sendable {
    let pipeline: IngestPipeline
    let relay: OutboxRelay
    let actionItems: ActionItemStore
    let api: APIRoutes
    /// The web UI under `/ui`.
    let ui: UIRoutes
    let metrics: ServiceMetrics
    /// The delivery gauges and what they are computed from.
    let delivery: (gauges: DeliveryGauges, insights: InsightsReader)
    let clock: @Sendable () -> Date
    /// Timeouts of every connection.
    let limits: ServiceConfiguration.HTTPLimits
    /// The open connections, at most the configured number.
    let connections: ConnectionRegistry
    /// What `/readyz` checks.
    let readinessChecks: Readiness
    /// The gauges read from the database, refreshed at most once a second however often
    /// `/metrics` is scraped.
    let databaseGauges: RefreshedValue<Void>

    /// The surface; `readinessChecks` and the database gauges are refreshed at most once a second.
    init(
        pipeline: IngestPipeline, relay: OutboxRelay, actionItems: ActionItemStore, api: APIRoutes, ui: UIRoutes,
        metrics: ServiceMetrics, delivery: (gauges: DeliveryGauges, insights: InsightsReader),
        clock: @escaping @Sendable () -> Date, limits: ServiceConfiguration.HTTPLimits, connections: ConnectionRegistry,
        readinessChecks: Readiness
    ) {
        (self.pipeline, self.relay, self.actionItems, self.api, self.ui) = (pipeline, relay, actionItems, api, ui)
        (self.metrics, self.delivery, self.clock, self.limits) = (metrics, delivery, clock, limits)
        (self.connections, self.readinessChecks) = (connections, readinessChecks)
        databaseGauges = RefreshedValue(every: .seconds(1)) {
            await Self.refreshDatabaseGauges(
                relay: relay, actionItems: actionItems, metrics: metrics, delivery: delivery, clock: clock)
        }
    }

    /// The routes (exposed for the test that compares them with docs/openapi.yaml).
    func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: StandardResponseHeaders())
        router.add(middleware: JSONErrorMiddleware())
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ in try await readiness() }
        router.get("metrics") { _, _ in await scrape() }
        api.register(on: router)
        ui.register(on: router)
        return router
    }

    /// Builds the Hummingbird application listening on `host:port` (port 0 picks a free one),
    /// every connection under a ``ConnectionGuard`` (timeouts, connection cap).
    func application(host: String, port: Int) -> some ApplicationProtocol {
        let (limits, connections) = (limits, connections)
        return Application(
            router: router(),
            server: .http1(
                configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: connections)]
                )),
            configuration: .init(address: .hostname(host, port: port), serverName: "deploy-postmortem"))
    }

    /// 200 when every check passes, 503 otherwise; the body names each check's state and
    /// nothing more (see ``Readiness``).
    func readiness() async throws -> Response {
        let checks = await readinessChecks.evaluate()
        let ready = checks.values.allSatisfy { $0 == "ok" }
        let body = try JSONSerialization.data(
            withJSONObject: ["status": ready ? "ready" : "unready", "checks": checks], options: [.sortedKeys])
        return Response(
            status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// How long a scrape waits for the gauges read from the database before it answers with
    /// the values it has (`deploy_postmortem_metrics_refreshed_timestamp_seconds` tells their age).
    static let refreshTimeout: Duration = .seconds(2)

    /// Prometheus text exposition, with the gauges of external state refreshed first (those
    /// read from the database at most once a second, waiting at most ``refreshTimeout``).
    func scrape() async -> Response {
        let databaseGauges = databaseGauges
        _ = await withDeadline(Self.refreshTimeout) { await databaseGauges.value() }
        metrics.pipelineFailing.set(to: pipeline.health.currentFailure == nil ? 0 : 1)
        metrics.httpConnections.set(to: Double(connections.count))
        if let lag = try? await pipeline.consumerLag() { metrics.setConsumerLag(lag) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }

    /// Reads the outbox backlog, the action items by status and the delivery figures into their
    /// gauges; on failure the previous values stay (the refresh timestamp shows their age).
    private static func refreshDatabaseGauges(
        relay: OutboxRelay, actionItems: ActionItemStore, metrics: ServiceMetrics,
        delivery: (gauges: DeliveryGauges, insights: InsightsReader), clock: @escaping @Sendable () -> Date
    ) async {
        do {
            let backlog = try await relay.backlog()
            let counts = try await actionItems.counts(now: clock())
            metrics.outboxBacklog.set(to: Double(backlog.count))
            metrics.outboxOldestAge.set(
                to: backlog.oldestAge.map {
                    Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18
                } ?? 0)
            metrics.setActionItems(byStatus: counts.byStatus, overdue: counts.overdue)
            metrics.metricsRefreshed.set(to: Date().timeIntervalSince1970)
        } catch {
            // The previous values stay; the refresh timestamp shows they are stale.
        }
        // Separately: a slow window of deploys must not keep the gauges above stale.
        try? await delivery.gauges.refresh(from: delivery.insights, now: clock())
    }
}
