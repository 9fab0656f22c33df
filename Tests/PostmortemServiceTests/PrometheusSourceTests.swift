import Foundation
import LocalPostgres
import Postgres
import PostmortemCore
import PostmortemService
import Synchronization
import Testing

/// The Prometheus metric source against a real Prometheus server (Debian's package), loaded
/// with a known regression: the service, sent only a deploy and its rollback, fetches the
/// metric, finds the onset at the chosen minute, and reaches the same postmortem as when the
/// same points come as `metric.sampled` events. Skipped (with a message) only when the
/// `prometheus` binary is absent; CI installs it (scripts/install-deps).
@Suite(
    .serialized,
    .enabled(if: LocalPrometheus.binaries != nil, "prometheus is not installed (apt-get install prometheus)"))
struct PrometheusSourceTests {
    /// A deploy 90 minutes ago (on a whole minute), an error ratio of about 1 % that jumps to
    /// about 8 % ten minutes after the start, and a rollback at thirty minutes.
    struct Story {
        let start: Date
        var onset: Date { start.addingTimeInterval(600) }
        var rollback: Date { start.addingTimeInterval(1800) }
        let deployId = "d-prom-\(UUID().uuidString.prefix(6))"

        init() {
            start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 90 * 60)
        }

        /// One point a minute from 70 minutes before the start to 40 minutes after it.
        var points: [(at: Date, value: Double)] {
            (-70...40).map { minute in
                let at = start.addingTimeInterval(Double(minute) * 60)
                return (at, (at >= onset ? 0.08 : 0.01) + 0.001 * Double((minute + 100) % 3))
            }
        }

        var openMetrics: String {
            LocalPrometheus.openMetrics(
                gauges: [
                    "http_error_ratio": [(["service": "checkout", "environment": "prod", "job": "checkout"], points)]
                ])
        }

        /// The deploy and its rollback: all the service is sent.
        var deployEvents: [String] {
            [
                Self.event(
                    "deploy.started.v1", id: "\(deployId)-start",
                    [
                        "deployId": deployId, "service": "checkout", "environment": "prod",
                        "startedAt": RFC3339.format(start),
                        "artifact": ["name": "checkout", "version": "1.4.2"],
                    ]),
                Self.event(
                    "deploy.rolled_back.v1", id: "\(deployId)-rollback",
                    [
                        "deployId": deployId, "service": "checkout", "environment": "prod", "mode": "automatic",
                        "rolledBackAt": RFC3339.format(rollback),
                    ]),
            ]
        }

        static func event(_ type: String, id: String, _ data: [String: Any]) -> String {
            let object: [String: Any] = [
                "specversion": "1.0", "id": id, "source": "test/prometheus", "type": "io.deploypostmortem.\(type)",
                "data": data,
            ]
            return String(
                decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// The source's file, written for `url` and parsed as `serve` parses it.
    static func sourceConfiguration(url: String, timeoutSeconds: Int = 5, retries: Int = 1) throws
        -> PrometheusSourceConfiguration
    {
        let text = """
            {"url": "\(url)", "intervalSeconds": 1, "timeoutSeconds": \(timeoutSeconds), "retries": \(retries),
             "metrics": [{"name": "error_ratio", "unit": "ratio", "badDirection": "above", "step": 60,
                          "query": "max by (service, environment) (http_error_ratio{service=\\"{service}\\", environment=\\"{environment}\\"})"}]}
            """
        return try PrometheusSourceConfiguration.parse(Array(text.utf8), file: "test.json")
    }

    /// The stored document of the deploy's postmortem, once `condition` holds for it.
    static func document(
        _ harness: ServiceHarness, _ deployId: String, _ what: String,
        until condition: @escaping @Sendable ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let found = FoundDocument()
        try await harness.wait(what, timeout: .seconds(90)) {
            let rows = try await harness.query {
                try $0.query("SELECT document::text FROM postmortems WHERE deploy_id = \(deployId)").map {
                    try $0.decode(String.self, at: 0)
                }
            }
            guard let text = rows.first,
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                condition(object)
            else { return false }
            found.text.withLock { $0 = text }
            return true
        }
        let text = try #require(found.text.withLock { $0 })
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The document text that met the condition, kept by the (concurrent) check of the wait.
    final class FoundDocument: Sendable {
        let text = Mutex<String?>(nil)
    }

    static func contributing(_ document: [String: Any]) -> [[String: Any]] {
        document["contributingMetrics"] as? [[String: Any]] ?? []
    }

    /// The metric points the service stored, as `metric.sampled` events (at most 1,000 points each).
    static func storedPointsAsEvents(_ harness: ServiceHarness) async throws -> [String] {
        let rows = try await harness.query { connection in
            try connection.query(
                "SELECT service, environment, metric, labels::text, unit, slo_direction, ts, value FROM metric_samples ORDER BY metric, labels, ts"
            ).map { row in
                (
                    try row.decode(String.self, at: 0), try row.decode(String.self, at: 1),
                    try row.decode(String.self, at: 2),
                    try row.decode(String.self, at: 3), try row.decode(String?.self, at: 4),
                    try row.decode(String?.self, at: 5),
                    try row.decode(Date.self, at: 6), try row.decode(Double.self, at: 7)
                )
            }
        }
        var events: [String] = []
        for (index, chunk) in stride(from: 0, to: rows.count, by: 1000).map({
            Array(rows[$0..<min($0 + 1000, rows.count)])
        }).enumerated() {
            let first = chunk[0]
            var data: [String: Any] = [
                "service": first.0, "environment": first.1, "metric": first.2,
                "labels": try JSONSerialization.jsonObject(with: Data(first.3.utf8)),
                "points": chunk.map { ["at": RFC3339.format($0.6), "value": $0.7] },
            ]
            data["unit"] = first.4
            data["direction"] = first.5
            #expect(chunk.allSatisfy { $0.2 == first.2 && $0.3 == first.3 }, "one series per chunk")
            events.append(Story.event("metric.sampled.v1", id: "points-\(index)", data))
        }
        return events
    }

    @Test func findsTheOnsetAndTheSameFindingsAsWithTheSamePointsAsEvents() async throws {
        let story = Story()
        let prometheus = try LocalPrometheus(openMetrics: story.openMetrics)
        defer { prometheus.remove() }
        try prometheus.start()
        let source = try Self.sourceConfiguration(url: prometheus.url)

        var fromPrometheus: [String: Any] = [:]
        var asEvents: [String] = []
        try await ServiceHarness.with(configure: { $0.prometheusSource = source }) { harness in
            try await harness.produce(story.deployEvents)
            fromPrometheus = try await Self.document(
                harness, story.deployId, "the postmortem with the Prometheus metric"
            ) {
                $0["pendingMetrics"] == nil && !Self.contributing($0).isEmpty
            }
            asEvents = try await Self.storedPointsAsEvents(harness)
            // Labels are kept (service, environment from `max by`); no `__name__`.
            let labels = try await harness.query {
                try $0.query("SELECT DISTINCT labels::text FROM metric_samples").map {
                    try $0.decode(String.self, at: 0)
                }
            }
            #expect(labels == [#"{"service": "checkout", "environment": "prod"}"#])
        }
        let metric = try #require(Self.contributing(fromPrometheus).first)
        #expect(metric["metric"] as? String == #"error_ratio{environment="prod",service="checkout"}"#)
        #expect(metric["onset"] as? String == RFC3339.format(story.onset))
        #expect(metric["directionSource"] as? String == "configured")
        #expect(asEvents.count == 1)

        try await ServiceHarness.with { harness in
            try await harness.produce(story.deployEvents + asEvents)
            let fromEvents = try await Self.document(
                harness, story.deployId, "the postmortem with the points as events"
            ) {
                !Self.contributing($0).isEmpty
            }
            #expect(NSDictionary(dictionary: fromEvents) == NSDictionary(dictionary: fromPrometheus))
        }
    }

    @Test func opensOnTimeWhilePrometheusIsDownAndUpdatesWhenItIsBack() async throws {
        let story = Story()
        let port = try LocalPrometheus.reservePort()
        let prometheus = try LocalPrometheus(openMetrics: story.openMetrics, port: port)
        defer { prometheus.remove() }
        let source = try Self.sourceConfiguration(url: prometheus.url, timeoutSeconds: 1, retries: 0)

        try await ServiceHarness.with(configure: { $0.prometheusSource = source }) { harness in
            try await harness.produce(story.deployEvents)
            let opened = try await Self.document(
                harness, story.deployId, "the postmortem opened with the metric pending"
            ) { _ in true }
            #expect(opened["pendingMetrics"] as? [String] == ["error_ratio"])
            #expect(Self.contributing(opened).isEmpty)
            try await harness.wait("a query failure counted") {
                let samples = try HTTPTests.parsePrometheus(harness.server.metrics.registry.emitToString())
                // Refused connections read as `unreachable`, or as `timeout` when the client kept trying until its deadline.
                return samples.contains {
                    $0.key.hasPrefix(
                        #"deploy_postmortem_prometheus_query_failures_total{metric="error_ratio",reason=""#)
                        && $0.value >= 1
                }
            }

            try prometheus.start()
            let updated = try await Self.document(harness, story.deployId, "the postmortem updated with the metric") {
                $0["pendingMetrics"] == nil && !Self.contributing($0).isEmpty
            }
            #expect(Self.contributing(updated).first?["onset"] as? String == RFC3339.format(story.onset))
            let topic = harness.configuration.topics.postmortems
            let types = try await harness.query { connection in
                try connection.query("SELECT payload::jsonb->>'type' FROM outbox WHERE topic = \(topic) ORDER BY seq")
                    .map { try $0.decode(String.self, at: 0) }
            }
            #expect(types == ["io.deploypostmortem.postmortem.opened.v1", "io.deploypostmortem.postmortem.updated.v1"])
        }
    }
}
