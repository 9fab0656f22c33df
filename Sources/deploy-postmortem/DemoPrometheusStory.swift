import DemoScenarios
import Foundation
import LocalPostgres
import PostmortemCore
import PostmortemService

/// The demo's sixth story, played when Prometheus is installed: a copy of "soak too short" whose
/// metrics are not sent as events but loaded into a throwaway Prometheus server, from which the
/// service's Prometheus metric source fetches them. The postmortem opens with the metric
/// pending, then is updated with the same findings the story has when its metrics are events.
struct DemoPrometheusStory {
    /// The story's deploy and failure events (its metric events left out).
    let scenario: DemoScenarios.Scenario
    /// The server holding the story's metrics.
    let prometheus: LocalPrometheus
    /// What `PROMETHEUS_SOURCE_FILE` would hold for it.
    let sourceFile: String

    /// The story, or nil when the `prometheus` package is not installed.
    static func make(endingAt now: Date) throws -> DemoPrometheusStory? {
        guard LocalPrometheus.binaries != nil else { return nil }
        // The soak story's second fleet copy: its own service (`search-1`), so it does not meet the others.
        var scenario = DemoScenarios.fleet(count: 2, endingAt: now)[1]
        scenario.name = "soak-too-short-from-prometheus"
        scenario.summary = "As soak-too-short, with p99 latency read from Prometheus instead of metric events."
        var kept: [(String, String)] = []
        var series: [String: [String: LocalPrometheus.Series]] = [:]  // metric → labels key → series
        var metrics: [String: [String: Any]] = [:]
        for (event, topic) in zip(scenario.events, scenario.topicOfEach) {
            guard topic == "metrics" else {
                kept.append((event, topic))
                continue
            }
            let data =
                (try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])?["data"] as? [String: Any]
                ?? [:]
            guard let name = data["metric"] as? String, let points = data["points"] as? [[String: Any]],
                let service = data["service"] as? String, let environment = data["environment"] as? String
            else { continue }
            let labels = (data["labels"] as? [String: String] ?? [:]).merging([
                "service": service, "environment": environment,
            ]) { a, _ in a }
            let key = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            series[name, default: [:]][key, default: (labels, [])].points += points.compactMap { point in
                guard let at = (point["at"] as? String).flatMap(RFC3339.parse), let value = point["value"] as? Double
                else { return nil }
                return (at, value)
            }
            var metric: [String: Any] = [
                "name": name, "badDirection": "above", "step": 60,
                // Drops the selector's labels, so the series keep the labels their events had.
                "query":
                    "sum without (service, environment) (\(name){service=\"{service}\", environment=\"{environment}\"})",
            ]
            metric["unit"] = data["unit"]
            metrics[name] = metric
        }
        scenario.events = kept.map(\.0)
        scenario.topicOfEach = kept.map(\.1)
        let prometheus = try LocalPrometheus(
            openMetrics: LocalPrometheus.openMetrics(gauges: series.mapValues { Array($0.values) }))
        let file: [String: Any] = [
            "url": prometheus.url, "intervalSeconds": 1, "metrics": metrics.keys.sorted().map { metrics[$0]! },
        ]
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: file, options: [.sortedKeys, .prettyPrinted]),
            as: UTF8.self)
        return DemoPrometheusStory(scenario: scenario, prometheus: prometheus, sourceFile: text)
    }

    /// The Prometheus source the service is configured with, parsed as `serve` parses the file.
    func sourceConfiguration() throws -> PrometheusSourceConfiguration {
        try PrometheusSourceConfiguration.parse(Array(sourceFile.utf8), file: "demo")
    }
}
