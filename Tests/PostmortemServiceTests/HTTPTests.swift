import Foundation
import Hummingbird
import HummingbirdTesting
import LocalPostgres
import Postgres
import PostmortemCore
import TestSupport
import Testing

/// Probes and metrics over real HTTP (a live server on a free port).
@Suite("HTTP probes and metrics", .serialized)
struct HTTPTests {
    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// Samples of a Prometheus text exposition, keyed by `name{labels}`; fails on a malformed line.
    static func parsePrometheus(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw HarnessError("not a Prometheus sample line: \(line)")
            }
            let series = String(line[..<space])
            guard
                series.range(
                    of: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})?$"#,
                    options: .regularExpression) != nil
            else {
                throw HarnessError("bad series name: \(series)")
            }
            samples[series] = value
        }
        return samples
    }

    /// The sum of the series of `metric` whose labels include `label` (e.g. `outcome="accepted"`).
    static func total(_ samples: [String: Double], _ metric: String, _ label: String) -> Double {
        samples.filter { $0.key.hasPrefix(metric + "{") && $0.key.contains(label) }.values.reduce(0, +)
    }

    @Test func metricsParseAndMoveWithTraffic() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(Self.text(response) == "ok\n")
                }
                let before = try await client.execute(uri: "/metrics", method: .get) {
                    try Self.parsePrometheus(Self.text($0))
                }
                #expect(Self.total(before, "deploy_postmortem_events_processed_total", #"outcome="accepted""#) == 0)

                try await harness.produce(SampleEvents.lines)
                try await harness.waitUntilSettled("the postmortem published", messages: SampleEvents.lines.count)
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                    let after = try Self.parsePrometheus(Self.text(response))
                    #expect(Self.total(after, "deploy_postmortem_events_processed_total", #"outcome="accepted""#) == 13)
                    let decoder = EventDecoder()
                    let kinds = try SampleEvents.lines.map {
                        try decoder.decode(json: Array($0.utf8), now: Date()).event.kind
                    }
                    for (kind, count) in Dictionary(grouping: kinds, by: { $0 }).mapValues(\.count) {
                        #expect(
                            after[#"deploy_postmortem_events_processed_total{type="\#(kind)",outcome="accepted"}"#]
                                == Double(count), "\(kind)")
                    }
                    #expect(after["deploy_postmortem_metric_points_stored_total"] == 2)
                    #expect(
                        after[#"deploy_postmortem_postmortems_opened_total{trigger="rolled_back_automatically"}"#] == 1)
                    #expect(after["deploy_postmortem_outbox_backlog_events"] == 0)
                    #expect(after["deploy_postmortem_pipeline_failing"] == 0)
                    #expect(after[#"deploy_postmortem_action_items{status="open"}"#] == 5)
                    #expect(after[#"deploy_postmortem_action_items{status="done"}"#] == 0)
                    #expect(after["deploy_postmortem_action_items_overdue"] == 0)
                    let lag = after.filter { $0.key.hasPrefix("deploy_postmortem_consumer_lag_messages{") }
                    #expect(lag.count == 9, "three partitions of each input topic: \(lag.keys.sorted())")
                    #expect(lag.values.allSatisfy { $0 == 0 })
                }

                // API traffic moves the latency histogram (by route template) and the item gauges.
                let api = APICaller(client: client)
                let items = try await api.call(.get, "/v1/action-items?limit=1")
                let id = try #require(items.items.first?["id"] as? String)
                try await api.patch(id, #"{"status":"done","dueAt":"2020-01-01T00:00:00Z"}"#)
                try await api.patch(id, #"{"status":"in_progress"}"#)
                // The gauges read from the database are at most a second old.
                try await waitUntil("the item gauges moved", timeout: .seconds(10)) {
                    try await client.execute(uri: "/metrics", method: .get) { response in
                        try Self.parsePrometheus(Self.text(response))[#"deploy_postmortem_action_items{status="done"}"#]
                    } == 1
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let after = try Self.parsePrometheus(Self.text(response))
                    #expect(after[#"deploy_postmortem_action_items{status="done"}"#] == 1)
                    #expect(after[#"deploy_postmortem_action_items{status="open"}"#] == 4)
                    #expect(
                        after[
                            #"deploy_postmortem_http_request_duration_seconds_count{method="GET",route="/v1/action-items",status="200"}"#
                        ] == 1)
                    #expect(
                        after[
                            #"deploy_postmortem_http_request_duration_seconds_count{method="PATCH",route="/v1/action-items/{id}",status="200"}"#
                        ] == 1)
                    #expect(
                        after[
                            #"deploy_postmortem_http_request_duration_seconds_count{method="PATCH",route="/v1/action-items/{id}",status="409"}"#
                        ] == 1)
                }
            }
        }
    }

    /// The words `/readyz` may say: anything else (an error text, a host, a user name) is a leak.
    static let readinessWords: Set<String> = ["ok", "unreachable", "timeout", "unknown", "retrying", "failing"]

    /// `/readyz` as status, overall state and the state of each check; fails the test when the
    /// body holds anything but those words.
    static func readiness(_ client: some TestClientProtocol) async throws -> (
        status: HTTPResponse.Status, state: String, checks: [String: String]
    ) {
        try await client.execute(uri: "/readyz", method: .get) { response in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any],
                "\(Self.text(response))")
            let checks = try #require(object["checks"] as? [String: String], "\(Self.text(response))")
            #expect(Set(object.keys) == ["status", "checks"], "\(Self.text(response))")
            #expect(Set(checks.keys) == ["database", "kafka", "pipeline", "outbox_relay"])
            #expect(checks.values.allSatisfy { Self.readinessWords.contains($0) }, "\(Self.text(response))")
            #expect(response.headers[.contentType] == "application/json")
            return (response.status, object["status"] as? String ?? "", checks)
        }
    }

    /// Transactions committed in `database` so far (statistics flushed first).
    static func commits(_ harness: ServiceHarness) async throws -> Int {
        try await harness.query { connection in
            try connection.query("SELECT pg_stat_force_next_flush()")
            return try connection.query(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            )[0].decode(Int.self, at: 0)
        }
    }

    /// `/readyz` and `/metrics` answer from state read at most once a second: 500 probes and
    /// 100 scrapes in a burst commit about as many transactions as the same time idle (before,
    /// each probe ran `SELECT 1` and each scrape its aggregate queries).
    @Test func aFloodOfProbesCostsTheDatabaseNothingMeasurable() async throws {
        try await ServiceHarness.with { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                try await waitUntil("ready", timeout: .seconds(30)) { try await Self.readiness(client).status == .ok }
                let idleStart = try await Self.commits(harness)
                let idle = ContinuousClock.now
                try await Task.sleep(for: .seconds(2))
                let idleCommits = try await Self.commits(harness) - idleStart
                let idleTime = ContinuousClock.now - idle

                let floodStart = try await Self.commits(harness)
                let flood = ContinuousClock.now
                for round in 0..<10 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for probe in 0..<60 {
                            group.addTask {
                                let uri = probe % 6 == 0 ? "/metrics" : "/readyz"
                                try await client.execute(uri: uri, method: .get) {
                                    #expect($0.status == .ok, "\(round)")
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                let floodCommits = try await Self.commits(harness) - floodStart
                let floodTime = ContinuousClock.now - flood
                // Per second: the flood may add the one refresh a second of each, nothing per request.
                let idleRate = Double(idleCommits) / (idleTime / .seconds(1))
                let floodRate = Double(floodCommits) / (floodTime / .seconds(1))
                #expect(floodRate <= idleRate + 10, "idle \(idleRate)/s, flood \(floodRate)/s over \(floodTime)")
            }
        }
    }

    @Test func readinessFollowsTheDatabaseAndSaysNoMore() async throws {
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let database = PostgresConfiguration(connectionString: try cluster.createDatabase("ready"))
        try await ServiceHarness.with(database: database) { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                try await waitUntil("ready", timeout: .seconds(30)) { try await Self.readiness(client).status == .ok }
                let ready = try await Self.readiness(client)
                #expect(ready.state == "ready")
                #expect(ready.checks == ["database": "ok", "kafka": "ok", "pipeline": "ok", "outbox_relay": "ok"])
                let refreshedBefore = try await client.execute(uri: "/metrics", method: .get) {
                    try Self.parsePrometheus(Self.text($0))["deploy_postmortem_metrics_refreshed_timestamp_seconds"]
                }
                #expect(abs((refreshedBefore ?? 0) - Date().timeIntervalSince1970) < 10, "refreshed by the scrape")

                try cluster.pause()
                let paused = Date().timeIntervalSince1970
                // Readiness and the database gauges are at most a second old: let that second pass.
                try await Task.sleep(for: .milliseconds(1200))
                let start = ContinuousClock.now
                let unready = try await Self.readiness(client)
                #expect(
                    ContinuousClock.now - start < .seconds(4),
                    "answers within its deadline: \(ContinuousClock.now - start)")
                #expect(unready.status == .serviceUnavailable)
                #expect(unready.state == "unready")
                #expect(["timeout", "unreachable"].contains(unready.checks["database"]), "\(unready.checks)")
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                // Metrics still answer, with the database gauges stale and saying since when.
                let scrapeStart = ContinuousClock.now
                let during = try await client.execute(uri: "/metrics", method: .get) {
                    try Self.parsePrometheus(Self.text($0))
                }
                #expect(
                    ContinuousClock.now - scrapeStart < .seconds(4),
                    "the scrape waits for the database no longer than its deadline")
                #expect(try #require(during["deploy_postmortem_metrics_refreshed_timestamp_seconds"]) <= paused)

                try cluster.resume()
                try await harness.wait("ready again", timeout: .seconds(30)) {
                    try await Self.readiness(client).status == .ok
                }
                try await harness.wait("metrics fresh again", timeout: .seconds(30)) {
                    try await client.execute(uri: "/metrics", method: .get) {
                        try Self.parsePrometheus(Self.text($0))["deploy_postmortem_metrics_refreshed_timestamp_seconds"]
                            ?? 0 > paused
                    }
                }
            }
        }
    }

    @Test func aBrokerOutageShowsInReadinessAndMetrics() async throws {
        try await ServiceHarness.with { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                func reachable() async throws -> Double? {
                    try await client.execute(uri: "/metrics", method: .get) {
                        try Self.parsePrometheus(Self.text($0))["deploy_postmortem_kafka_broker_reachable"]
                    }
                }
                try await waitUntil("ready", timeout: .seconds(30)) { try await Self.readiness(client).status == .ok }
                #expect(try await reachable() == 1)

                try harness.cluster.setBrokerDown()
                try await waitUntil("Kafka unreachable", timeout: .seconds(30)) {
                    try await Self.readiness(client).checks["kafka"] == "unreachable"
                }
                let unready = try await Self.readiness(client)
                #expect(unready.status == .serviceUnavailable && unready.state == "unready")
                #expect(unready.checks["database"] == "ok")
                #expect(try await reachable() == 0)

                try harness.cluster.setBrokerUp()
                try await waitUntil("Kafka reachable again", timeout: .seconds(60)) {
                    try await Self.readiness(client).status == .ok
                }
                #expect(try await reachable() == 1)
            }
        }
    }
}
