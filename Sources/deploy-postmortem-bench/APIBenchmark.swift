import ArgumentParser
import Foundation
import Kafka
import LocalPostgres
import Logging
import Postgres
import PostmortemService

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `/v1` list endpoints under load while the service ingests: a throwaway database seeded
/// with `--postmortems` postmortems of `--items` action items each, a service with its HTTP
/// port, failing deploys produced at `--rate` per second throughout, and `wrk` (Debian package
/// `wrk`) against `GET /v1/postmortems` and `GET /v1/action-items` in turn. Prints requests/s and
/// wrk's latency percentiles; asserts nothing.
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Throughput and latency of the /v1 list endpoints during ingestion (run with -c release; needs wrk)."
    )

    @Option(help: "Postmortems seeded.")
    var postmortems = 10_000

    @Option(help: "Action items per seeded postmortem.")
    var items = 5

    @Option(help: "Seconds of wrk per endpoint.")
    var seconds = 20

    @Option(help: "wrk connections.")
    var connections = 16

    @Option(help: "Failing deploys per second produced while wrk runs (each opens a postmortem); 0: no ingestion.")
    var rate = 20

    @Option(
        help:
            "Offered requests/s (each wrk connection waits connections/paced seconds before its next request), so latency is measured at that load rather than at saturation; 0: as fast as wrk can."
    )
    var paced = 0

    @Option(help: "HTTP port of the service.")
    var port = 18_080

    @Option(
        help:
            "Connections of the service's read pool (DATABASE_READ_POOL_SIZE; 0: reads share the main pool); default: the service's."
    )
    var readPool: Int?

    func run() async throws {
        guard let wrk = Self.executable("wrk") else {
            throw ValidationError("wrk is not installed (Debian: apt-get install wrk)")
        }
        let database = try LocalPostgresCluster.start()
        defer { database.stop() }
        let postgres = PostgresConfiguration(connectionString: try database.createDatabase("bench_api"))
        try await DatabaseSchema.migrate(postgres)
        try await Self.seed(postgres, postmortems: postmortems, items: items)
        let topics = ServiceConfiguration.Topics()
        let bench = try BenchServer(postgres: postgres, port: port, group: "bench-api", readPoolSize: readPool)
        let (server, broker, configuration, token) = (bench.server, bench.broker, bench.configuration, bench.token)
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "5"]))
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(postmortems) postmortems, \(postmortems * items) action items seeded; pool \(configuration.database.poolSize) connections, read pool \(configuration.database.readPoolSize); ingestion: \(rate) failing deploys/s; wrk -c \(connections) -d \(seconds)s\(paced > 0 ? ", paced at \(paced) req/s" : "")"
        )

        let ingestion = Task {
            guard rate > 0 else { return 0 }
            let interval = Duration.seconds(1) / rate
            var next = ContinuousClock.now
            var index = 0
            while !Task.isCancelled {
                let (start, rollback) = PipelineBenchmark.failingDeploy(index)
                _ = try await producer.send(
                    KafkaRecord(topic: topics.deploys, key: Array(start.key.utf8), value: Array(start.value.utf8)))
                _ = try await producer.send(
                    KafkaRecord(
                        topic: topics.rollbacks, key: Array(rollback.key.utf8), value: Array(rollback.value.utf8)))
                index += 1
                next += interval
                try await Task.sleep(until: next)
            }
            return index
        }
        let opened = "deploy_postmortem_postmortems_opened_total"
        try await waitUntilListening()
        if rate > 0 { try await waitUntilIngesting(server.metrics, opened) }

        let pacing = FileManager.default.temporaryDirectory.appendingPathComponent("bench-api-\(UUID()).lua")
        defer { try? FileManager.default.removeItem(at: pacing) }
        if paced > 0 {
            // wrk's delay() hook: milliseconds a connection waits before its next request.
            try "function delay()\n  return \(connections * 1000 / paced)\nend\n".write(
                to: pacing, atomically: true, encoding: .utf8)
        }
        for path in ["/v1/postmortems", "/v1/action-items"] {
            let before = Self.counter(server.metrics, opened)
            let output = try Self.run(
                wrk,
                [
                    "-t\(min(2, connections))", "-c\(connections)", "-d\(seconds)s", "--latency", "-H",
                    "Authorization: Bearer \(token)",
                ] + (paced > 0 ? ["-s", pacing.path] : []) + ["http://127.0.0.1:\(port)\(path)"])
            let ingested = Int(Self.counter(server.metrics, opened) - before)
            print(
                "GET \(path): \(Self.summary(of: output)); postmortems opened meanwhile: \(ingested); load average \(Self.loadAverage())"
            )
        }
        ingestion.cancel()
        _ = await ingestion.result
        await producer.close()
        await bench.stop()
    }

    /// Seeds `postmortems` postmortems with realistic documents (findings, metrics) and `items`
    /// action items each, spread over services, owners, statuses and due dates (also the UI
    /// benchmark's listings).
    static func seed(_ postgres: PostgresConfiguration, postmortems: Int, items: Int) async throws {
        let connection = try await PostgresConnection.connect(postgres)
        try await connection.run { connection in
            try connection.query(
                """
                INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, status, rolled_back_at,
                                         document, analysis_digest, opened_at, updated_at)
                SELECT md5('pm' || i)::uuid, 'seed-' || i, 'svc-' || i % 50, 'prod', ARRAY['rolled_back_automatically'], 'sev3',
                       CASE WHEN i % 4 = 0 THEN 'closed' ELSE 'open' END, now() - i * interval '1 minute',
                       jsonb_build_object(
                           'id', md5('pm' || i)::uuid, 'deployId', 'seed-' || i, 'service', 'svc-' || i % 50, 'environment', 'prod',
                           'severity', 'sev3', 'status', CASE WHEN i % 4 = 0 THEN 'closed' ELSE 'open' END, 'owner', 'team-' || i % 20,
                           'triggers', jsonb_build_array('rolled_back_automatically'), 'assumptions', '[]'::jsonb,
                           'findings', (SELECT jsonb_agg(jsonb_build_object('key', 'finding-' || k, 'kind', 'coverage_gap', 'gate', 'ci',
                                            'summary', repeat('why the gate let it through ', 6), 'fix', repeat('what to change ', 4),
                                            'evidence', jsonb_build_object('testsTotal', 420, 'coveragePercent', 81.5)))
                                        FROM generate_series(1, \(items)) k),
                           'actionItemIds', (SELECT jsonb_agg(md5('ai' || i || '-' || k)::uuid) FROM generate_series(1, \(items)) k)),
                       md5(i::text), now() - i * interval '1 minute', now()
                FROM generate_series(1, \(postmortems)) i
                """)
            try connection.query(
                """
                INSERT INTO action_items (action_item_id, postmortem_id, finding_key, kind, gate, title, description, owner, due_at,
                                          status, created_at, updated_at)
                SELECT md5('ai' || i || '-' || k)::uuid, md5('pm' || i)::uuid, 'finding-' || k, 'test', 'ci', 'Add a test for ' || k,
                       repeat('what to change and why ', 8), 'team-' || i % 20, now() + ((i * 7 + k) % 120 - 30) * interval '1 day',
                       (ARRAY['open', 'in_progress', 'done', 'cancelled'])[1 + (i + k) % 4], now(), now()
                FROM generate_series(1, \(postmortems)) i, generate_series(1, \(items)) k
                """)
            try connection.query("VACUUM ANALYZE")
        }
        await connection.close()
    }

    /// Waits until the service answers `/healthz` on its HTTP port.
    private func waitUntilListening() async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/healthz")!
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await URLSession.shared.data(from: url)) == nil {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("the service did not answer on port \(port) within 60 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until the service has opened its first postmortem from the produced deploys.
    private func waitUntilIngesting(_ metrics: ServiceMetrics, _ series: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while Self.counter(metrics, series) < 1 {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("the service opened no postmortem within 60 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The sum of the service's counter series starting with `series`.
    private static func counter(_ metrics: ServiceMetrics, _ series: String) -> Double {
        metrics.registry.emitToString().split(separator: "\n").filter { $0.hasPrefix(series) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// `N req/s, p50 …, p99 …, errors …` from wrk's `--latency` report.
    static func summary(of output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func value(after prefix: String) -> String {
            lines.first { $0.hasPrefix(prefix) }.map { $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
                ?? "?"
        }
        let errors = lines.filter { $0.hasPrefix("Non-2xx") || $0.hasPrefix("Socket errors") }
        return
            "\(value(after: "Requests/sec:")) req/s, p50 \(value(after: "50%")), p90 \(value(after: "90%")), p99 \(value(after: "99%"))"
            + (errors.isEmpty ? "" : " [\(errors.joined(separator: "; "))]")
    }

    /// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), or `?` where there is none.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func executable(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `path` with `arguments` and returns its standard output; throws on failure.
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(path) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
