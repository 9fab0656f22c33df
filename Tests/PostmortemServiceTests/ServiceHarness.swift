import DemoScenarios
import Foundation
import Kafka
import Logging
import Postgres
import PostmortemCore
import TestSupport

@testable import PostmortemService

/// An isolated stack for one end-to-end test: a mock Kafka cluster over TCP, a fresh
/// migrated database, and the real `PostmortemServer` running in-process.
final class ServiceHarness: Sendable {
    let cluster: MockCluster
    let database: PostgresConfiguration
    let configuration: ServiceConfiguration
    private let producer: KafkaProducer
    /// The server under test (its HTTP application is started by tests that need it).
    let server: PostmortemServer
    private let serverTask: Task<Void, any Error>

    /// A token with the read scope (configured in plain text).
    static let readToken = "read-token-0123456789abcdef"
    /// A token with the write scope (configured by its SHA-256 digest).
    static let writeToken = "write-token-0123456789abcdef"

    static let logger: Logger = {
        var logger = Logger(label: "e2e")
        logger.logLevel = ProcessInfo.processInfo.environment["E2E_LOG"] == nil ? .critical : .debug
        return logger
    }()

    /// A stack on a fresh database of the shared test cluster, or on `database` when given;
    /// `configure` adjusts the service's configuration before it starts.
    init(
        database: PostgresConfiguration? = nil, clock: @escaping @Sendable () -> Date = Date.init,
        configure: (inout ServiceConfiguration) -> Void = { _ in }
    ) async throws {
        let topics = ServiceConfiguration.Topics()
        cluster = try MockCluster(topics: topics.all(partitions: 3))
        self.database = try database ?? TestDatabase.fresh("e2e")
        try await DatabaseSchema.migrate(self.database)
        var configuration = ServiceConfiguration(
            database: self.database,
            kafka: KafkaConfig([
                "bootstrap.servers": cluster.bootstrapServers,
                "group.id": "deploy-postmortem-\(UUID().uuidString.prefix(8))",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "300", "fetch.wait.max.ms": "50",
                "topic.metadata.refresh.interval.ms": "1000", "linger.ms": "1",
            ]))
        configuration.database.poolSize = 4
        configuration.http.port = nil
        configuration.jobs.overdueSweepInterval = .seconds(3600)  // tests sweep explicitly
        let writeDigest = APITokens.hash(Self.writeToken).map { String(format: "%02x", $0) }.joined()
        configuration.api.tokens = try APITokens(
            parsing: "reader:read:\(Self.readToken)\nwriter:write:sha256:\(writeDigest)")
        configuration.api.maxRequestBodyBytes = 4096
        configure(&configuration)
        self.configuration = configuration
        producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1"]), logger: Self.logger)
        let server = try PostmortemServer(configuration: configuration, logger: Self.logger, clock: clock)
        self.server = server
        serverTask = Task { try await server.run(handlesSignals: false) }
    }

    /// Runs `body` against a fresh stack and always tears it down, even when `body` fails.
    static func with(
        database: PostgresConfiguration? = nil, clock: @escaping @Sendable () -> Date = Date.init,
        configure: (inout ServiceConfiguration) -> Void = { _ in },
        _ body: (ServiceHarness) async throws -> Void
    ) async throws {
        let harness = try await ServiceHarness(database: database, clock: clock, configure: configure)
        do {
            try await body(harness)
        } catch {
            try? await harness.stop()
            throw error
        }
        try await harness.stop()
    }

    /// Stops the server, the test's producer and the cluster, each within a deadline: a part
    /// that does not stop fails the test with what it was doing instead of hanging the run.
    func stop() async throws {
        let (serverTask, producer, cluster) = (self.serverTask, self.producer, self.cluster)
        serverTask.cancel()
        var failures: [String] = []
        do {
            try await withDeadline(Self.stopTimeout, "the server stopping after cancellation") {
                _ = await serverTask.result
            }
        } catch {
            failures.append("\(error); state: \(await snapshot())")
        }
        do {
            try await withDeadline(Self.stopTimeout, "the test producer closing") { await producer.close() }
            try await onThread(Self.stopTimeout, "the mock cluster shutting down") { cluster.shutdown() }
        } catch {
            failures.append("\(error)")
        }
        if !failures.isEmpty { throw HarnessError(failures.joined(separator: "; ")) }
    }

    /// How long each part gets to stop.
    static let stopTimeout: Duration = .seconds(30)
    /// How long producing waits for delivery reports (the producer's `message.timeout.ms` is 5 min).
    static let produceTimeout: Duration = .seconds(60)

    /// Produces JSON documents, each to the input topic its event type belongs on, keyed by deploy ID or service.
    func produce(_ documents: [String]) async throws {
        try await produceRouted(documents.map { (Self.topic(of: $0, configuration.topics), Self.key(of: $0), $0) })
    }

    /// Produces documents to the given topics and keys, in order.
    func produceRouted(_ documents: [(topic: String, key: String, value: String)]) async throws {
        let records = documents.map {
            KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8))
        }
        try await send(records)
    }

    /// Sends `records` and checks every delivery report, failing after ``produceTimeout``.
    private func send(_ records: [KafkaRecord]) async throws {
        let producer = producer
        let outcomes = try await withDeadline(Self.produceTimeout, "delivering \(records.count) records") {
            await producer.send(records)
        }
        for outcome in outcomes { _ = try outcome.get() }
    }

    /// Produces each demo scenario's events to the topic of its role, keyed by its deploy ID, in order.
    func produce(_ scenarios: [DemoScenarios.Scenario]) async throws {
        let topics = configuration.topics
        for scenario in scenarios {
            try await produceRouted(
                zip(scenario.events, scenario.topicOfEach).map { event, role in
                    (topics.input(forRole: role), scenario.deployId, event)
                })
        }
    }

    /// Produces documents as ``produce(_:)`` does, each with its Kafka headers (`headers[i]` for `documents[i]`).
    func produce(_ documents: [String], headers: [[KafkaHeader]]) async throws {
        let records = zip(documents, headers).map { document, headers in
            KafkaRecord(
                topic: Self.topic(of: document, configuration.topics), key: Array(Self.key(of: document).utf8),
                value: Array(document.utf8), headers: headers)
        }
        try await send(records)
    }

    /// Produces raw bytes to a topic (poison messages).
    func produceRaw(_ values: [[UInt8]], topic: String) async throws {
        try await send(values.map { KafkaRecord(topic: topic, key: Array("poison".utf8), value: $0) })
    }

    static func topic(of document: String, _ topics: ServiceConfiguration.Topics) -> String {
        if document.contains("metric.sampled") { return topics.metrics }
        if document.contains("rolled_back") || document.contains("service.rolledback") { return topics.rollbacks }
        return topics.deploys
    }

    static func key(of document: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any] else {
            return ""
        }
        let data = object["data"] as? [String: Any] ?? object["customData"] as? [String: Any] ?? [:]
        return data["deployId"] as? String ?? data["service"] as? String ?? ""
    }

    /// Runs a query on a short-lived connection, failing after 30 s.
    func query<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        try await StackState.query(database, body)
    }

    func count(_ sql: String) async throws -> Int {
        try await query { try $0.query(sql)[0].decode(Int.self, at: 0) }
    }

    /// Outbox rows for `topic`, sent or not.
    func outboxRows(topic: String) async throws -> Int {
        try await query {
            try $0.query("SELECT count(*) FROM outbox WHERE topic = \(topic)")[0].decode(Int.self, at: 0)
        }
    }

    /// Waits until `condition` holds (see ``waitUntil(_:timeout:state:_:)``); a timeout tells
    /// the ``snapshot()`` of the stack.
    func wait(
        _ what: String, timeout: Duration = .seconds(60), until condition: @escaping @Sendable () async throws -> Bool
    ) async throws {
        try await waitUntil(what, timeout: timeout, state: { await self.snapshot() }, condition)
    }

    /// Input messages the service has handled, whatever the outcome (accepted, duplicate,
    /// ignored, dead-lettered), by its own metrics: a batch counts once it is stored and analyzed.
    func messagesHandled() -> Int {
        processedSeries().compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0) { $0 + Int($1) }
    }

    /// The `deploy_postmortem_events_processed_total` samples of the server's metrics, labels and value.
    private func processedSeries() -> [String] {
        let name = "deploy_postmortem_events_processed_total"
        return String(decoding: server.metrics.registry.emitToBuffer(), as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") }.map { String($0.dropFirst(name.count)) }
    }

    /// Waits until the service has handled at least `messages` input messages, no analysis work
    /// is queued or awaits attribution, and the outbox is all sent: where the pipeline rests once
    /// everything produced so far went through, however the messages were split into batches.
    /// (A batch without the trigger may open a postmortem that a later batch updates, so how
    /// many output events that takes is not fixed; what the service then holds is.)
    func waitUntilSettled(_ what: String, messages: Int, timeout: Duration = .seconds(60)) async throws {
        try await wait(what, timeout: timeout) {
            guard self.messagesHandled() >= messages else { return false }
            return try await self.query { connection in
                try connection.query(
                    """
                    SELECT NOT EXISTS (SELECT 1 FROM analysis_queue) AND NOT EXISTS (SELECT 1 FROM deploy_events WHERE attribution_pending)
                           AND NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL)
                    """)[0].decode(Bool.self, at: 0)
            }
        }
    }

    /// What the stack is doing, for a test that timed out: the database's rows (see
    /// ``StackState``), the pipeline's failure, the relay's state, the consumer's assignment and
    /// lag, and the messages processed by outcome. Each part is bounded by its own deadline, so
    /// a stuck part shows as such rather than hiding the others.
    func snapshot() async -> String {
        let server = server
        async let database = StackState.describe(database)
        async let relay = StackState.bounded("relay") { "\(await server.relay.stats)" }
        async let lag = StackState.bounded("consumer lag") {
            let lags = try await server.pipeline.consumerLag()
            return lags.isEmpty
                ? "no partitions assigned"
                : lags.map {
                    "\($0.topicPartition)@\($0.position.map(String.init) ?? "?")/\($0.highWatermark.map(String.init) ?? "?")"
                }
                .joined(separator: " ")
        }
        let processed = processedSeries().joined(separator: " ")
        let failure = server.pipeline.health.currentFailure.map { "retrying: \($0)" } ?? "ok"
        return await
            "\(database); pipeline: \(failure); relay: \(relay); assignment (position/high watermark): \(lag); processed: \(processed.isEmpty ? "nothing" : processed)"
    }

    /// Reads every message of `topic` from the beginning with a fresh group, until `count` arrived.
    func read(_ topic: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            config: KafkaConfig([
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "reader-\(UUID())",
                "auto.offset.reset": "earliest", "fetch.wait.max.ms": "50",
            ]),
            topics: [topic], logger: Self.logger)
        var received: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline {
            received += try await withDeadline(.seconds(10), "polling \(topic)") {
                try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200))
            }
        }
        try await withDeadline(Self.stopTimeout, "closing the reader of \(topic)") { await consumer.close() }
        return received
    }
}

/// Waits until `condition` holds (checked every 100 ms), failing with `what` after `timeout`,
/// and with what `state` then says about the system under test. A check that itself hangs
/// fails the wait too, once `timeout` is over.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), state: (@Sendable () async -> String)? = nil,
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    let start = ContinuousClock.now
    let deadline = start + timeout
    func timedOut(_ detail: String) async -> HarnessError {
        let snapshot = await state?() ?? ""
        return HarnessError(
            "timed out waiting for \(what) after \(ContinuousClock.now - start)\(detail)\(snapshot.isEmpty ? "" : "; state: \(snapshot)")"
        )
    }
    while true {
        let held: Bool
        do {
            held = try await withDeadline(max(deadline - .now, .seconds(5)), "checking whether \(what)", condition)
        } catch let error as DeadlineExceeded {
            throw await timedOut(" (\(error))")
        }
        if held { return }
        guard ContinuousClock.now < deadline else { throw await timedOut("") }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// The rows of a stack's database that tell how far the pipeline got, for failure messages of
/// tests that run the service in-process or as `serve` processes.
enum StackState {
    /// How long one query of a test may take.
    static let queryTimeout: Duration = .seconds(30)

    /// Runs `body` on a short-lived connection to `database`, failing after ``queryTimeout``.
    static func query<T: Sendable>(
        _ database: PostgresConfiguration, _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        try await withDeadline(queryTimeout, "a query of the test") {
            let connection = try await PostgresConnection.connect(database)
            do {
                let value = try await connection.run(body)
                await connection.close()
                return value
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    /// Row counts: events stored and awaiting attribution, metric points, postmortems, action
    /// items, outbox rows sent of all, and analysis work queued.
    static func describe(_ database: PostgresConfiguration) async -> String {
        await bounded("database") {
            let row = try await query(database) { connection in
                try connection.query(
                    """
                    SELECT (SELECT count(*) FROM deploy_events), (SELECT count(*) FROM deploy_events WHERE attribution_pending),
                           (SELECT count(*) FROM metric_samples), (SELECT count(*) FROM postmortems), (SELECT count(*) FROM action_items),
                           (SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL), (SELECT count(*) FROM outbox),
                           (SELECT count(*) FROM analysis_queue)
                    """)[0]
            }
            let counts = try (0..<8).map { try row.decode(Int.self, at: $0) }
            return
                "deploy_events \(counts[0]) (\(counts[1]) awaiting attribution), metric_samples \(counts[2]), postmortems \(counts[3]), "
                + "action_items \(counts[4]), outbox sent \(counts[5]) of \(counts[6]), analysis_queue \(counts[7])"
        }
    }

    /// `part` of a snapshot, or why it could not be taken within 5 s.
    static func bounded(_ part: String, _ body: @escaping @Sendable () async throws -> String) async -> String {
        do {
            return try await withDeadline(.seconds(5), part, body)
        } catch {
            return "\(part) unknown: \(error)"
        }
    }
}

/// Runs blocking `body` on a thread of its own and waits for it at most `timeout`.
func onThread(_ timeout: Duration, _ what: String, _ body: @escaping @Sendable () -> Void) async throws {
    try await withDeadline(timeout, what) {
        await withCheckedContinuation { continuation in
            Thread {
                body()
                continuation.resume()
            }.start()
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The analyze sample from docs/events: one failed deploy (d-42) told by 13 events.
enum SampleEvents {
    static let lines: [String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("docs/events/examples/analyze-sample.jsonl")
        return (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }()

    /// The sample's own present for a service fed with it: an hour after its last event
    /// (2026-11-26T10:40Z), moving on with real time. On this clock the sample is recent whatever
    /// the date the suite runs on: its action items (due 7 to 60 days after detection) are not
    /// overdue, and due dates a test sets relative to it stay in the future or the past.
    static let clock: @Sendable () -> Date = {
        let (present, start) = (RFC3339.parse("2026-11-26T11:40:00Z")!, ContinuousClock.now)
        return { present.addingTimeInterval((ContinuousClock.now - start) / .seconds(1)) }
    }()

    /// What the offline analysis makes of the same events: the reference for the service.
    static func offlinePostmortems(of documents: [String]) throws -> [Postmortem] {
        let decoder = EventDecoder()
        let events = try documents.map { try decoder.decode(json: Array($0.utf8), now: Date()) }
        return BatchAnalysis().run(events).postmortems
    }
}
