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
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "5"]))
        let probe = PostgresPool(configuration: postgres, maxConnections: 1)
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; PostgreSQL 127.0.0.1 (fsync off); Kafka: librdkafka mock cluster, 6 partitions per topic")

        // 1. Deploy events end to end, produced before the service starts, consumed from a backlog.
        let events = (0..<deploys).flatMap { Self.healthyDeploy($0) }
        try await send(events, via: producer)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var configuration = ServiceConfiguration(
            database: postgres,
            kafka: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "group.id": "bench", "linger.ms": "1", "fetch.wait.max.ms": "10"]))
        configuration.databasePoolSize = 4
        configuration.httpPort = nil
        let server = try PostmortemServer(configuration: configuration, logger: logger)
        let started = ContinuousClock.now
        let service = Task { try await server.run(handlesSignals: false) }
        try await waitFor(probe, "SELECT count(*) FROM deploy_events", toReach: events.count)
        let eventsElapsed = ContinuousClock.now - started
        print("deploy events end to end: \(events.count) in \(Self.format(eventsElapsed)) → \(Self.rate(events.count, eventsElapsed)) events/s (target ≥ 20,000; includes the consumer group join)")

        // 2. Metric points stored, then the same points through psql \copy.
        let metricDocuments = (0..<metricEvents).map { Self.metricEvent($0) }
        let points = metricEvents * 1000
        let metricsStart = ContinuousClock.now
        try await send(metricDocuments.enumerated().map { (topics.metrics, "svc-\($0.offset % 50)", $0.element) }, via: producer)
        try await waitFor(probe, "SELECT count(*) FROM metric_samples", toReach: points)
        let metricsElapsed = ContinuousClock.now - metricsStart
        let psqlElapsed = try psqlCopy(points: metricDocuments, database: database, url: url)
        let ours = Self.rate(points, metricsElapsed)
        let theirs = Self.rate(points, psqlElapsed)
        print("metric points stored end to end: \(ours) points/s; psql \\copy of the same points: \(theirs) points/s; ratio \(String(format: "%.2f", Double(ours) / Double(theirs))) (target ≥ 0.80)")

        // 3. Rollback → postmortem.opened latency at a steady rate of failing deploys.
        let latencies = try await measureLatency(broker: broker, producer: producer, topics: topics)
        let sorted = latencies.sorted()
        if !sorted.isEmpty {
            let p50 = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            print("rollback → postmortem.opened at \(rate) failing deploys/s: n=\(sorted.count) p50 \(Self.format(p50)) p99 \(Self.format(p99)) (target p99 < 100 ms)")
        }
        service.cancel()
        _ = await service.result
        await producer.close()
        await probe.close()
    }

    private func measureLatency(broker: MockCluster, producer: KafkaProducer, topics: ServiceConfiguration.Topics) async throws -> [Duration] {
        let reader = try KafkaConsumer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "group.id": "latency", "auto.offset.reset": "latest", "fetch.wait.max.ms": "5"]),
            topics: [topics.postmortems])
        // Join the group before measuring.
        let joinDeadline = ContinuousClock.now + .seconds(15)
        while try await reader.assignment().isEmpty, ContinuousClock.now < joinDeadline {
            _ = try await reader.poll(maxMessages: 10, maxWait: .milliseconds(100))
        }
        let total = rate * seconds
        let sentAt = SentTimes()
        let sender = Task {
            let interval = Duration.seconds(1) / rate
            var next = ContinuousClock.now
            for index in 0..<total {
                let (start, rollback) = Self.failingDeploy(index)
                _ = try await producer.send(KafkaRecord(topic: topics.deploys, key: Array(start.key.utf8), value: Array(start.value.utf8)))
                await sentAt.record("bench-fail-\(index)", at: ContinuousClock.now)
                _ = try await producer.send(KafkaRecord(topic: topics.rollbacks, key: Array(rollback.key.utf8), value: Array(rollback.value.utf8)))
                next += interval
                try await Task.sleep(until: next)
            }
        }
        var latencies: [Duration] = []
        let deadline = ContinuousClock.now + .seconds(seconds + 30)
        while latencies.count < total, ContinuousClock.now < deadline {
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

    private func send(_ documents: [(topic: String, key: String, value: String)], via producer: KafkaProducer) async throws {
        for start in stride(from: 0, to: documents.count, by: 10_000) {
            let chunk = documents[start..<min(start + 10_000, documents.count)]
            for outcome in await producer.send(chunk.map { KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8)) }) {
                _ = try outcome.get()
            }
        }
    }

    private func waitFor(_ pool: PostgresPool, _ sql: String, toReach target: Int) async throws {
        while try await pool.withConnection({ try $0.query(sql)[0].decode(Int.self, at: 0) }) < target {
            try await Task.sleep(for: .milliseconds(50))
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
        try database.run("psql", ["-X", "-q", "-d", url, "-c", "CREATE TABLE psql_points (LIKE metric_samples INCLUDING ALL)"])
        return try ContinuousClock().measure {
            try database.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", "\\copy psql_points (service, environment, metric, ts, value, labels) FROM '\(file.path)'"])
        }
    }

    static let origin = Date().addingTimeInterval(-3 * 86_400)

    static func pointTime(event: Int, point: Int) -> Date {
        origin.addingTimeInterval(Double(event / 50) * 1000 + Double(point))
    }

    static func healthyDeploy(_ index: Int) -> [(topic: String, key: String, value: String)] {
        let id = "bench-ok-\(index)", at = "2026-11-26T09:00:00Z"
        let service = "svc-\(index % 50)"
        return [
            ("deploy.events", id, #"{"specversion":"1.0","id":"\#(id)-s","source":"/bench","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","startedAt":"\#(at)"}}"#),
            ("deploy.events", id, #"{"specversion":"1.0","id":"\#(id)-ci","source":"/bench","type":"io.deploypostmortem.deploy.gate_finished.v1","data":{"deployId":"\#(id)","gate":"ci","outcome":"passed","ci":{"testsTotal":420,"testsFailed":0,"coveragePercent":81.5}}}"#),
            ("deploy.events", id, #"{"specversion":"1.0","id":"\#(id)-c","source":"/bench","type":"io.deploypostmortem.deploy.gate_finished.v1","data":{"deployId":"\#(id)","gate":"canary","outcome":"passed","trafficPercent":10}}"#),
            ("deploy.events", id, #"{"specversion":"1.0","id":"\#(id)-f","source":"/bench","type":"io.deploypostmortem.deploy.finished.v1","data":{"deployId":"\#(id)","outcome":"succeeded","finishedAt":"2026-11-26T09:30:00Z"}}"#),
        ]
    }

    static func failingDeploy(_ index: Int) -> (start: (key: String, value: String), rollback: (key: String, value: String)) {
        let id = "bench-fail-\(index)", service = "fail-\(index % 50)"
        return (
            (id, #"{"specversion":"1.0","id":"\#(id)-s","source":"/bench","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","startedAt":"2026-11-26T10:00:00Z","team":"payments"}}"#),
            (id, #"{"specversion":"1.0","id":"\#(id)-r","source":"/bench","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{"deployId":"\#(id)","service":"\#(service)","environment":"prod","mode":"automatic","rolledBackAt":"2026-11-26T10:20:00Z"}}"#)
        )
    }

    static func metricEvent(_ index: Int) -> String {
        let formatter = ISO8601DateFormatter()
        let points = (0..<1000).map { #"{"at":"\#(formatter.string(from: pointTime(event: index, point: $0)))","value":\#(Double($0 % 97))}"# }
        return #"{"specversion":"1.0","id":"bench-m-\#(index)","source":"/bench","type":"io.deploypostmortem.metric.sampled.v1","data":{"service":"svc-\#(index % 50)","environment":"prod","metric":"latency_p99_ms","labels":{"pod":"pod-\#(index % 4)"},"points":[\#(points.joined(separator: ","))]}}"#
    }

    static func rate(_ count: Int, _ duration: Duration) -> Int {
        Int(Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18))
    }

    static func format(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
        return milliseconds >= 1000 ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.1f ms", milliseconds)
    }
}
