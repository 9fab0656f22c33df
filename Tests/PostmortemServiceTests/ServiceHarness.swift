import DemoScenarios
import Foundation
import Kafka
import Logging
import Postgres
import PostmortemCore
import PostmortemService
import TestSupport

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
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "deploy-postmortem-\(UUID().uuidString.prefix(8))",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "300", "fetch.wait.max.ms": "50",
                "topic.metadata.refresh.interval.ms": "1000", "linger.ms": "1",
            ]))
        configuration.database.poolSize = 4
        configuration.http.port = nil
        configuration.jobs.overdueSweepInterval = .seconds(3600)  // tests sweep explicitly
        let writeDigest = APITokens.hash(Self.writeToken).map { String(format: "%02x", $0) }.joined()
        configuration.api.tokens = try APITokens(parsing: "reader:read:\(Self.readToken)\nwriter:write:sha256:\(writeDigest)")
        configuration.api.maxRequestBodyBytes = 4096
        configure(&configuration)
        self.configuration = configuration
        producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1"]), logger: Self.logger)
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
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    func stop() async {
        serverTask.cancel()
        _ = await serverTask.result
        await producer.close()
        cluster.shutdown()
    }

    /// Produces JSON documents, each to the input topic its event type belongs on, keyed by deploy ID or service.
    func produce(_ documents: [String]) async throws {
        try await produceRouted(documents.map { (Self.topic(of: $0, configuration.topics), Self.key(of: $0), $0) })
    }

    /// Produces documents to the given topics and keys, in order.
    func produceRouted(_ documents: [(topic: String, key: String, value: String)]) async throws {
        let records = documents.map { KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8)) }
        for outcome in await producer.send(records) { _ = try outcome.get() }
    }

    /// Produces each demo scenario's events to the topic of its role, keyed by its deploy ID, in order.
    func produce(_ scenarios: [DemoScenarios.Scenario]) async throws {
        let topics = configuration.topics
        for scenario in scenarios {
            try await produceRouted(zip(scenario.events, scenario.topicOfEach).map { event, role in
                (role == "metrics" ? topics.metrics : role == "rollbacks" ? topics.rollbacks : topics.deploys, scenario.deployId, event)
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
        for outcome in await producer.send(records) { _ = try outcome.get() }
    }

    /// Produces raw bytes to a topic (poison messages).
    func produceRaw(_ values: [[UInt8]], topic: String) async throws {
        for outcome in await producer.send(values.map { KafkaRecord(topic: topic, key: Array("poison".utf8), value: $0) }) { _ = try outcome.get() }
    }

    static func topic(of document: String, _ topics: ServiceConfiguration.Topics) -> String {
        if document.contains("metric.sampled") { return topics.metrics }
        if document.contains("rolled_back") || document.contains("service.rolledback") { return topics.rollbacks }
        return topics.deploys
    }

    static func key(of document: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any] else { return "" }
        let data = object["data"] as? [String: Any] ?? object["customData"] as? [String: Any] ?? [:]
        return data["deployId"] as? String ?? data["service"] as? String ?? ""
    }

    /// Runs a query on a short-lived connection.
    func query<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(database)
        let value = try await connection.run(body)
        await connection.close()
        return value
    }

    func count(_ sql: String) async throws -> Int {
        try await query { try $0.query(sql)[0].decode(Int.self, at: 0) }
    }

    /// Waits until `condition` holds (see ``waitUntil(_:timeout:_:)``).
    func wait(_ what: String, timeout: Duration = .seconds(60), until condition: () async throws -> Bool) async throws {
        try await waitUntil(what, timeout: timeout, condition)
    }

    /// Reads every message of `topic` from the beginning with a fresh group, until `count` arrived.
    func read(_ topic: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            config: KafkaConfig(["bootstrap.servers": cluster.bootstrapServers, "group.id": "reader-\(UUID())", "auto.offset.reset": "earliest", "fetch.wait.max.ms": "50"]),
            topics: [topic], logger: Self.logger)
        var received: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline {
            received += try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200))
        }
        await consumer.close()
        return received
    }
}

/// Waits until `condition` holds (checked every 100 ms), failing with `what` after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(100))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The analyze sample from docs/events: one failed deploy (d-42) told by 13 events.
enum SampleEvents {
    static let lines: [String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/events/examples/analyze-sample.jsonl")
        return (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }()

    /// What the offline analysis makes of the same events: the reference for the service.
    static func offlinePostmortems(of documents: [String]) throws -> [Postmortem] {
        let decoder = EventDecoder()
        let events = try documents.map { try decoder.decode(json: Array($0.utf8), now: Date()) }
        return BatchAnalysis().run(events).postmortems
    }
}
