import ArgumentParser
import Foundation
import LocalPostgres
import Postgres
import PostmortemCore
import PostmortemService

/// `GET /v1/insights/*` over a large history: a throwaway database seeded with `--deploys`
/// deploys over the last year (50 services, 10 teams, prod and staging; one in 15 failed and
/// rolled back, one in 45 hurt customers and was fixed forward, one in 40 cancelled), and `wrk`
/// with `--connections` connections against each query shape in turn. Prints requests/s and the
/// latency percentiles (p95 from wrk's own histogram); asserts nothing.
struct InsightsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insights",
        abstract:
            "Latency of GET /v1/insights/delivery and /gate-gaps over a year of deploys (run with -c release; needs wrk)."
    )

    @Option(help: "Deploys seeded, spread evenly over the last 365 days.")
    var deploys = 100_000

    @Option(help: "Seconds of wrk per query.")
    var seconds = 10

    @Option(help: "wrk connections.")
    var connections = 4

    @Option(help: "HTTP port of the service.")
    var port = 18_081

    func run() async throws {
        guard let wrk = APIBenchmark.executable("wrk") else {
            throw ValidationError("wrk is not installed (Debian: apt-get install wrk)")
        }
        let database = try LocalPostgresCluster.start()
        defer { database.stop() }
        let postgres = PostgresConfiguration(connectionString: try database.createDatabase("bench_insights"))
        try await DatabaseSchema.migrate(postgres)
        try await seed(postgres)
        let bench = try BenchServer(postgres: postgres, port: port, group: "bench-insights")
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("insights-bench-\(UUID()).lua")
        // wrk prints p50/p75/p90/p99; the script adds p95 from the same histogram (microseconds).
        try Data(
            #"done = function(summary, latency, requests) io.write(string.format("p95: %.2fms\n", latency:percentile(95) / 1000)) end"#
                .utf8
        )
        .write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (shared); \(deploys) deploys seeded over 365 days; pool \(bench.configuration.database.poolSize) connections; wrk -c \(connections) -d \(seconds)s"
        )
        try await waitUntilServing()

        let queries = [
            "/v1/insights/delivery?service=svc-7&environment=prod",
            "/v1/insights/delivery?team=team-3&environment=prod",
            "/v1/insights/delivery?environment=prod",
            "/v1/insights/delivery",
            "/v1/insights/delivery?from=\(RFC3339.format(Date().addingTimeInterval(-365 * 86_400)))",
            "/v1/insights/gate-gaps",
        ]
        for path in queries {
            let output = try APIBenchmark.run(
                wrk,
                [
                    "-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path,
                    "-H", "Authorization: Bearer \(bench.token)", "http://127.0.0.1:\(port)\(path)",
                ])
            let p95 =
                output.split(separator: "\n").first { $0.hasPrefix("p95:") }.map {
                    String($0.dropFirst(4)).trimmingCharacters(in: .whitespaces)
                } ?? "?"
            print("GET \(path): \(APIBenchmark.summary(of: output)), p95 \(p95)")
        }
        await bench.stop()
    }

    /// Waits until the API answers (the HTTP server binds asynchronously).
    private func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? APIBenchmark.run(
            "/usr/bin/env", ["curl", "-sf", "-o", "/dev/null", "http://127.0.0.1:\(port)/healthz"])) == nil
        {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("the service did not answer on port \(port) within 30 s")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Seeds the deploys and the postmortems of the failed ones (with a recurring canary finding).
    private func seed(_ postgres: PostgresConfiguration) async throws {
        let connection = try await PostgresConnection.connect(postgres)
        let deploys = deploys
        try await connection.run { connection in
            try connection.query(
                """
                INSERT INTO deploys (deploy_id, service, environment, team, started_at, finished_at, outcome)
                SELECT 'bd-' || i, 'svc-' || i % 50, CASE WHEN i % 3 = 0 THEN 'staging' ELSE 'prod' END, 'team-' || i % 50 % 10,
                       t, t + interval '20 minutes',
                       CASE WHEN i % 40 = 0 THEN 'cancelled' WHEN i % 15 = 0 THEN 'failed' ELSE 'succeeded' END
                FROM generate_series(1, \(deploys)) i, LATERAL (SELECT now() - (i * 365 * 86400.0 / \(deploys))::float8 * interval '1 second' AS t) s
                """)
            try connection.query(
                """
                INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, rolled_back_at, findings,
                                         opened_at, updated_at)
                SELECT md5(d.deploy_id)::uuid, d.deploy_id, d.service, d.environment,
                       CASE WHEN d.outcome = 'failed' THEN ARRAY['customer_impact:high', 'rolled_back_automatically']
                            ELSE ARRAY['customer_impact:medium'] END,
                       'sev2', CASE WHEN d.outcome = 'failed' THEN d.started_at + interval '12 minutes' END,
                       jsonb_build_array(
                           jsonb_build_object('key', 'canary.canary_threshold_too_loose:http_error_rate', 'kind', 'canary_threshold_too_loose',
                                              'gate', 'canary', 'metric', 'http_error_rate'),
                           jsonb_build_object('key', 'ci.ci_coverage_gap', 'kind', 'ci_coverage_gap', 'gate', 'ci')),
                       d.started_at, d.started_at
                FROM deploys d
                WHERE d.outcome = 'failed' OR (d.outcome = 'succeeded' AND substr(d.deploy_id, 4)::int % 45 = 7)
                """)
            try connection.query("VACUUM ANALYZE")
        }
        await connection.close()
    }
}
