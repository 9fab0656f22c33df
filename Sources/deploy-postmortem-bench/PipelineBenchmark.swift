import ArgumentParser
import Foundation
import Kafka
import LocalPostgres
import Logging
import Postgres
import PostmortemService

/// The service end to end on the mock cluster and a throwaway database, in one run:
/// deploy events/s, metric points/s stored (vs `psql \copy` of the same points), and the
/// latency from producing a rollback to reading its `postmortem.opened` from the bus at a
/// steady rate of failing deploys. Prints the figures; asserts nothing.
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "End-to-end throughput and latency of the service (run with -c release)."
    )

    @Option(help: "Healthy deploys for the throughput phase (4 events each).")
    var deploys = 10_000

    @Option(help: "Metric events of 1,000 points for the metrics phase.")
    var metricEvents = 500

    @Option(help: "Failing deploys per second in the latency phase.")
    var rate = 50

    @Option(help: "Seconds of the latency phase.")
    var seconds = 20

    @Option(help: "Seconds of failing deploys sent before the latency phase, not measured (first-use costs).")
    var warmup = 1

    func run() async throws {
        let database = try LocalPostgresCluster.start()
        defer { database.stop() }
        let url = try database.createDatabase("bench")
        let postgres = PostgresConfiguration(connectionString: url)
        try await DatabaseSchema.migrate(postgres)
        let topics = ServiceConfiguration.Topics()
        let broker = try MockCluster(
            topics: topics.all(partitions: 6))
        defer { broker.shutdown() }
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "5"]))
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; PostgreSQL 127.0.0.1 (fsync off); Kafka: librdkafka mock cluster, 6 partitions per topic"
        )

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var configuration = ServiceConfiguration(
            database: postgres,
            kafka: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "bench", "linger.ms": "1",
                "fetch.wait.max.ms": "10",
                // The second run joins the group the first left; the mock cluster waits out the session.
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
            ]))
        configuration.database.poolSize = 4
        configuration.http.port = nil

        // 1. Deploy events end to end, produced before the service starts, consumed from a backlog.
        let events = (0..<deploys).flatMap { Self.healthyDeploy($0) }
        try await send(events, via: producer)
        let deployRun = try await backlogRun(
            configuration, logger, #"deploy_postmortem_events_processed_total{type="deploy."#, events.count)
        await deployRun.stop()
        print("deploy events end to end: \(deployRun.describe(unit: "events")) (target ≥ 20,000)")

        // 2. Metric points the same way (a backlog, a service started on it), then the same
        //    points through psql \copy into a table of the same shape.
        try await quiesce(postgres)
        let metricDocuments = (0..<metricEvents).map { Self.metricEvent($0) }
        let points = metricEvents * 1000
        try await send(
            metricDocuments.enumerated().map { (topics.metrics, "svc-\($0.offset % 50)", $0.element) }, via: producer)
        let metricRun = try await backlogRun(
            configuration, logger, "deploy_postmortem_metric_points_stored_total", points)
        try await quiesce(postgres)
        let psqlElapsed = try psqlCopy(points: metricDocuments, database: database, url: url)
        let theirs = Self.rate(points, psqlElapsed)
        print(
            "metric points stored end to end: \(metricRun.describe(unit: "points")); psql \\copy of the same points: \(theirs) points/s; ratio \(String(format: "%.2f", Double(metricRun.steadyRate) / Double(theirs))) (target ≥ 0.80)"
        )

        // 3. Rollback → postmortem.opened latency at a steady rate of failing deploys.
        try await quiesce(postgres)
        let latencies = try await measureLatency(broker: broker, producer: producer, topics: topics)
        let sorted = latencies.sorted()
        if !sorted.isEmpty {
            let p50 = sorted[sorted.count / 2]
            let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            print(
                "rollback → postmortem.opened at \(rate) failing deploys/s: n=\(sorted.count) p50 \(Self.format(p50)) p99 \(Self.format(p99)) (target p99 < 100 ms)"
            )
        }
        await metricRun.stop()
        await producer.close()
    }

    /// A service started on a backlog of `total` items and run until it had stored them all.
    struct BacklogRun {
        let service: Task<Void, any Error>
        let total: Int
        let started: ContinuousClock.Instant
        let firstStored: (instant: ContinuousClock.Instant, count: Int)
        let finished: ContinuousClock.Instant

        /// Items per second after the first batch committed: the consumer group join excluded.
        var steadyRate: Int { PipelineBenchmark.rate(total - firstStored.count, finished - firstStored.instant) }

        /// `N in T → R <unit>/s including the consumer group join (J); after the first batch: S <unit>/s`.
        func describe(unit: String) -> String {
            let elapsed = finished - started
            return
                "\(total) in \(PipelineBenchmark.format(elapsed)) → \(PipelineBenchmark.rate(total, elapsed)) \(unit)/s including the consumer group join (\(PipelineBenchmark.format(firstStored.instant - started))); after the first batch: \(steadyRate) \(unit)/s"
        }

        func stop() async {
            service.cancel()
            _ = await service.result
        }
    }

    /// Starts a service on the backlog already produced and waits until its counter `series`
    /// reaches `total`.
    private func backlogRun(_ configuration: ServiceConfiguration, _ logger: Logger, _ series: String, _ total: Int)
        async throws -> BacklogRun
    {
        let server = try PostmortemServer(configuration: configuration, logger: logger)
        let started = ContinuousClock.now
        let service = Task { try await server.run(handlesSignals: false) }
        let firstStored = try await waitFor(server.metrics, series, toReach: total)
        return BacklogRun(
            service: service, total: total, started: started, firstStored: firstStored, finished: ContinuousClock.now)
    }

    private func measureLatency(broker: MockCluster, producer: KafkaProducer, topics: ServiceConfiguration.Topics)
        async throws -> [Duration]
    {
        let reader = try KafkaConsumer(
            config: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "latency", "auto.offset.reset": "latest",
                "fetch.wait.max.ms": "5",
            ]),
            topics: [topics.postmortems])
        // Join the group before measuring.
        let joinDeadline = ContinuousClock.now + .seconds(15)
        while try await reader.assignment().isEmpty, ContinuousClock.now < joinDeadline {
            _ = try await reader.poll(maxMessages: 10, maxWait: .milliseconds(100))
        }
        let measured = rate * seconds
        let unmeasured = rate * warmup
        let total = unmeasured + measured
        let sentAt = SentTimes()
        let sender = Task {
            let interval = Duration.seconds(1) / rate
            var next = ContinuousClock.now
            for index in 0..<total {
                let (start, rollback) = Self.failingDeploy(index)
                _ = try await producer.send(
                    KafkaRecord(topic: topics.deploys, key: Array(start.key.utf8), value: Array(start.value.utf8)))
                if index >= unmeasured { await sentAt.record("bench-fail-\(index)", at: ContinuousClock.now) }
                _ = try await producer.send(
                    KafkaRecord(
                        topic: topics.rollbacks, key: Array(rollback.key.utf8), value: Array(rollback.value.utf8)))
                next += interval
                try await Task.sleep(until: next)
            }
        }
        var latencies: [Duration] = []
        let deadline = ContinuousClock.now + .seconds(warmup + seconds + 30)
        while latencies.count < measured, ContinuousClock.now < deadline {
            for message in try await reader.poll(maxMessages: 500, maxWait: .milliseconds(20)) {
                let received = ContinuousClock.now
                guard let object = try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any],
                    object["type"] as? String == "io.deploypostmortem.postmortem.opened.v1",
                    let deployId = (object["data"] as? [String: Any])?["deployId"] as? String,
                    let sent = await sentAt.time(of: deployId)
                else { continue }
                latencies.append(received - sent)
            }
        }
        _ = try await sender.value
        await reader.close()
        return latencies
    }

    /// Rollback produce times by deploy ID.
    actor SentTimes {
        private var times: [String: ContinuousClock.Instant] = [:]
        func record(_ deployId: String, at instant: ContinuousClock.Instant) { times[deployId] = instant }
        func time(of deployId: String) -> ContinuousClock.Instant? { times[deployId] }
    }

    private func send(_ documents: [(topic: String, key: String, value: String)], via producer: KafkaProducer)
        async throws
    {
        for start in stride(from: 0, to: documents.count, by: 10_000) {
            let chunk = documents[start..<min(start + 10_000, documents.count)]
            for outcome in await producer.send(
                chunk.map { KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8)) })
            {
                _ = try outcome.get()
            }
        }
    }

    /// Lets PostgreSQL finish the background work the previous phase caused (autovacuum,
    /// analyze, checkpoint) before the next timed phase starts.
    private func quiesce(_ postgres: PostgresConfiguration) async throws {
        let connection = try await PostgresConnection.connect(postgres)
        try await connection.run { connection in
            try connection.query("VACUUM ANALYZE")
            try connection.query("CHECKPOINT")
        }
        await connection.close()
    }

    /// Polls the sum of the service's own counters whose series starts with `series` (counted
    /// after each batch commits) every 5 ms until it reaches `target`; returns when and at which
    /// count it was first above zero.
    /// (Counting rows in the database instead would compete with the service for the cores.)
    @discardableResult
    private func waitFor(_ metrics: ServiceMetrics, _ series: String, toReach target: Int) async throws -> (
        instant: ContinuousClock.Instant, count: Int
    ) {
        var first: (instant: ContinuousClock.Instant, count: Int)?
        while true {
            let count = metrics.registry.emitToString().split(separator: "\n").filter { $0.hasPrefix(series) }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            if count > 0, first == nil { first = (ContinuousClock.now, Int(count)) }
            if Int(count) >= target, let first { return first }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Loads the same points with psql's \copy into a copy of the table, for the ratio.
    private func psqlCopy(points documents: [String], database: LocalPostgresCluster, url: String) throws -> Duration {
        var buffer = PostgresCopyBuffer()
        for (index, _) in documents.enumerated() {
            for point in 0..<1000 {
                buffer.field("svc-\(index % 50)")
                buffer.field("prod")
                buffer.field("latency_p99_ms")
                buffer.field(Self.pointTime(event: index, point: point))
                buffer.field(Double(point % 97))
                buffer.field(PostgresJSON(rawJSON: "{\"pod\": \"pod-\(index % 4)\"}"))
                buffer.endRow()
            }
        }
        let file = database.directory.appendingPathComponent("points.copy")
        try Data(buffer.bytes).write(to: file)
        // The same shape as the service's table: partitioned, one partition, the same unique index.
        try database.run(
            "psql",
            [
                "-X", "-q", "-d", url, "-c",
                """
                CREATE TABLE psql_points (LIKE metric_samples INCLUDING ALL) PARTITION BY RANGE (ts);
                CREATE TABLE psql_points_default PARTITION OF psql_points DEFAULT;
                """,
            ])
        return try ContinuousClock().measure {
            try database.run(
                "psql",
                [
                    "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                    "\\copy psql_points (service, environment, metric, ts, value, labels) FROM '\(file.path)'",
                ])
        }
    }

    static let origin = Date().addingTimeInterval(-3 * 86_400)

    static func pointTime(event: Int, point: Int) -> Date {
        origin.addingTimeInterval(Double(event / 50) * 1000 + Double(point))
    }

    static func healthyDeploy(_ index: Int) -> [(topic: String, key: String, value: String)] {
        let id = "bench-ok-\(index)"
        let at = "2026-11-26T09:00:00Z"
        let (service, topic) = ("svc-\(index % 50)", ServiceConfiguration.Topics().deploys)
        return [
            (
                topic, id,
                #"{"specversion":"1.0","id":"\#(id)-s","source":"/bench","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","startedAt":"\#(at)"}}"#
            ),
            (
                topic, id,
                #"{"specversion":"1.0","id":"\#(id)-ci","source":"/bench","type":"io.deploypostmortem.deploy.gate_finished.v1","data":{"deployId":"\#(id)","gate":"ci","outcome":"passed","ci":{"testsTotal":420,"testsFailed":0,"coveragePercent":81.5}}}"#
            ),
            (
                topic, id,
                #"{"specversion":"1.0","id":"\#(id)-c","source":"/bench","type":"io.deploypostmortem.deploy.gate_finished.v1","data":{"deployId":"\#(id)","gate":"canary","outcome":"passed","trafficPercent":10}}"#
            ),
            (
                topic, id,
                #"{"specversion":"1.0","id":"\#(id)-f","source":"/bench","type":"io.deploypostmortem.deploy.finished.v1","data":{"deployId":"\#(id)","outcome":"succeeded","finishedAt":"2026-11-26T09:30:00Z"}}"#
            ),
        ]
    }

    static func failingDeploy(_ index: Int) -> (
        start: (key: String, value: String), rollback: (key: String, value: String)
    ) {
        let id = "bench-fail-\(index)"
        let service = "fail-\(index % 50)"
        return (
            (
                id,
                #"{"specversion":"1.0","id":"\#(id)-s","source":"/bench","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","startedAt":"2026-11-26T10:00:00Z","team":"payments"}}"#
            ),
            (
                id,
                #"{"specversion":"1.0","id":"\#(id)-r","source":"/bench","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","mode":"automatic","rolledBackAt":"2026-11-26T10:20:00Z"}}"#
            )
        )
    }

    static func metricEvent(_ index: Int) -> String {
        let formatter = ISO8601DateFormatter()
        let points = (0..<1000).map {
            #"{"at":"\#(formatter.string(from: pointTime(event: index, point: $0)))","value":\#(Double($0 % 97))}"#
        }
        return
            #"{"specversion":"1.0","id":"bench-m-\#(index)","source":"/bench","type":"io.deploypostmortem.metric.sampled.v1","data":{"service":"svc-\#(index % 50)","environment":"prod","metric":"latency_p99_ms","labels":{"pod":"pod-\#(index % 4)"},"points":[\#(points.joined(separator: ","))]}}"#
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        Int(Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18))
    }

    static func format(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
        return milliseconds >= 1000
            ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.1f ms", milliseconds)
    }
}
