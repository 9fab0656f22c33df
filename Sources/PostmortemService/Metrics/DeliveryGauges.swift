import Foundation
import PostmortemCore
import Prometheus
import Synchronization

/// Gauges of DORA's delivery figures over the current window (the last ``window`` of deploys,
/// every service), refreshed when `/metrics` is scraped, at most once per ``refreshInterval``
/// (the figures read every deploy of the window).
final class DeliveryGauges: Sendable {
    /// The current window: the last 28 days (four weeks).
    static let window: TimeInterval = 28 * 86_400
    /// The shortest time between two refreshes.
    static let refreshInterval: TimeInterval = 60

    private let deploys: Gauge
    private let changeFailureRate: Gauge
    private let reworkRate: Gauge
    private let recoveryP50: Gauge
    private let recoveryP90: Gauge
    private let refreshedAt = Mutex<Date?>(nil)

    /// Registers the gauges (NaN until the first refresh) in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            let gauge = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "deploy_postmortem", metricName: name, unitName: unit,
                    helpText: help + " Over the last 28 days, every service (docs/insights.md)."))
            gauge.set(to: .nan)
            return gauge
        }
        deploys = gauge("delivery_deploys", "", "Deploys that reached production (deployment frequency).")
        changeFailureRate = gauge("delivery_change_failure_ratio", "", "Failed deploys / deploys; NaN without deploys.")
        reworkRate = gauge("delivery_rework_ratio", "", "Rework deploys / deploys; NaN without deploys.")
        recoveryP50 = gauge(
            "delivery_recovery_p50", "seconds",
            "Median failed deployment recovery time; NaN without a recovered failure.")
        recoveryP90 = gauge(
            "delivery_recovery_p90", "seconds",
            "90th percentile failed deployment recovery time; NaN without a recovered failure.")
    }

    /// Recomputes the gauges from `insights` unless they were refreshed less than
    /// ``refreshInterval`` before `now`.
    func refresh(from insights: InsightsReader, now: Date) async throws {
        let due = refreshedAt.withLock { last in
            guard last.map({ now.timeIntervalSince($0) >= Self.refreshInterval || now < $0 }) ?? true else {
                return false
            }
            last = now
            return true
        }
        guard due else { return }
        do {
            let figures = try await insights.delivery(
                DeliveryFilter(from: now.addingTimeInterval(-Self.window), to: now))
            deploys.set(to: Double(figures.deploymentFrequency.deploys))
            changeFailureRate.set(to: figures.changeFailureRate.rate ?? .nan)
            reworkRate.set(to: figures.reworkRate.rate ?? .nan)
            recoveryP50.set(to: figures.recoveryTime.p50Seconds ?? .nan)
            recoveryP90.set(to: figures.recoveryTime.p90Seconds ?? .nan)
        } catch {
            refreshedAt.withLock { $0 = nil }  // try again at the next scrape
            throw error
        }
    }
}
