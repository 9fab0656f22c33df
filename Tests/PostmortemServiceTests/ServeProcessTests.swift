import Foundation
import Kafka
import LocalPostgres
import Postgres
import PostmortemService
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `deploy-postmortem serve` as real processes against the mock cluster and PostgreSQL.
@Suite("serve processes", .serialized)
struct ServeProcessTests {
    /// A started `serve` process; killed when released by the test.
    final class ServeProcess: Sendable {
        let process: Process

        init(database: String, bootstrap: String, group: String, migrate: Bool = true) throws {
            process = Process()
            process.executableURL = BuiltProducts.executable("deploy-postmortem")
            process.arguments = ["serve", "--http-port", "0"] + (migrate ? [] : ["--no-migrate"])
            process.environment = ProcessInfo.processInfo.environment.merging([
                "DATABASE_URL": database, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_GROUP_ID": group,
                "KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "KAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS": "1000", "KAFKA_LINGER_MS": "1", "LOG_LEVEL": "error",
            ]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func terminate() {
            Glibc.kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }

        // A test that throws before stopping its replicas must not leave them running.
        deinit { if process.isRunning { kill() } }
    }

    /// A failed deploy in two events: started, then rolled back automatically.
    static func failedDeploy(_ index: Int) -> [(topic: String, key: String, value: String)] {
        let id = "deploy-\(index)"
        return [
            ("deploy.events", id, #"{"specversion":"1.0","id":"start-\#(index)","source":"/ci","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"svc-\#(index % 7)","environment":"prod","startedAt":"2026-11-26T10:00:00Z","team":"team-\#(index % 3)"}}"#),
            ("deploy.rollbacks", id, #"{"specversion":"1.0","id":"rollback-\#(index)","source":"/ci","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{"deployId":"\#(id)","service":"svc-\#(index % 7)","environment":"prod","mode":"automatic","rolledBackAt":"2026-11-26T10:20:00Z"}}"#),
        ]
    }

    static func produce(_ range: Range<Int>, via producer: KafkaProducer) async throws {
        let records = range.flatMap(failedDeploy).map { KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8)) }
        for outcome in await producer.send(records) { _ = try outcome.get() }
    }

    static func cluster() throws -> MockCluster {
        let topics = ServiceConfiguration.Topics()
        return try MockCluster(topics: topics.all(partitions: 4))
    }

    static func counts(_ database: PostgresConfiguration) async throws -> (postmortems: Int, opened: Int, unsent: Int) {
        let connection = try await PostgresConnection.connect(database)
        let row = try await connection.run { connection in
            try connection.query(
                """
                SELECT (SELECT count(*) FROM postmortems),
                       (SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.postmortem.opened.v1'),
                       (SELECT count(*) FROM outbox WHERE sent_at IS NULL)
                """)[0]
        }
        await connection.close()
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
    }

    /// Whether no analysis work is queued and no event awaits attribution.
    static func queueIsEmpty(_ database: PostgresConfiguration) async throws -> Bool {
        let connection = try await PostgresConnection.connect(database)
        let empty = try await connection.run { connection in
            try connection.query(
                "SELECT NOT EXISTS (SELECT 1 FROM analysis_queue) AND NOT EXISTS (SELECT 1 FROM deploy_events WHERE attribution_pending)"
            )[0].decode(Bool.self, at: 0)
        }
        await connection.close()
        return empty
    }

    @Test func replicaKilledMidStreamLosesNothingAndDuplicatesNothing() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let database = try TestDatabase.fresh("replicas")
        try await DatabaseSchema.migrate(database)
        let group = "replicas-\(UUID().uuidString.prefix(6))"
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))

        let first = try ServeProcess(database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        let second = try ServeProcess(database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        defer { second.terminate() }
        try await Self.produce(0..<40, via: producer)
        try await waitUntil("the first postmortems") { try await Self.counts(database).postmortems >= 5 }
        first.kill()
        try await Self.produce(40..<80, via: producer)
        try await Task.sleep(for: .seconds(2))
        let restarted = try ServeProcess(database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        defer { restarted.terminate() }
        try await Self.produce(80..<100, via: producer)

        try await waitUntil("100 postmortems, all published", timeout: .seconds(90)) {
            let counts = try await Self.counts(database)
            return counts.postmortems == 100 && counts.unsent == 0
        }
        let counts = try await Self.counts(database)
        #expect(counts.opened == 100)

        // On the bus: every postmortem opened, each event ID once after de-duplication.
        let consumer = try KafkaConsumer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "group.id": "check-\(UUID())", "auto.offset.reset": "earliest"]),
            topics: [ServiceConfiguration.Topics().postmortems])
        var ids: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while Set(ids).count < 100, ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 500, maxWait: .milliseconds(200)) {
                let object = try JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any]
                ids.append(object?["id"] as? String ?? "")
            }
        }
        await consumer.close()
        await producer.close()
        #expect(Set(ids).count == 100)
    }

    /// Servers started before the migration Job finished must wait, not dead-letter what they
    /// read: a missing table is the database's trouble, not the message's.
    @Test func unmigratedDatabaseHoldsEventsUntilTheSchemaArrives() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let database = try TestDatabase.fresh("unmigrated")
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
        let serve = try ServeProcess(database: database.connectionString, bootstrap: broker.bootstrapServers, group: "unmigrated", migrate: false)
        defer { serve.terminate() }
        try await Self.produce(0..<10, via: producer)
        try await Task.sleep(for: .seconds(5))
        let consumer = try KafkaConsumer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "group.id": "dlq-\(UUID())", "auto.offset.reset": "earliest"]),
            topics: [ServiceConfiguration.Topics().deadLetter])
        var deadLetters = 0
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline { deadLetters += try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200)).count }
        await consumer.close()
        #expect(deadLetters == 0, "nothing is dead-lettered while the schema is missing")

        try await DatabaseSchema.migrate(database)
        try await waitUntil("the held events analyzed", timeout: .seconds(60)) { try await Self.counts(database).postmortems == 10 }
        await producer.close()
    }

    @Test func databaseOutageOfTenSecondsPausesAndRecovers() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let database = PostgresConfiguration(connectionString: try cluster.createDatabase("outage"))
        try await DatabaseSchema.migrate(database)
        let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
        let serve = try ServeProcess(database: database.connectionString, bootstrap: broker.bootstrapServers, group: "outage")
        defer { serve.terminate() }

        try await Self.produce(0..<10, via: producer)
        try await waitUntil("the first postmortems") { try await Self.counts(database).postmortems == 10 }
        try cluster.pause()
        try await Self.produce(10..<30, via: producer)
        try await Task.sleep(for: .seconds(10))
        #expect(serve.process.isRunning, "the service must survive the outage")
        try cluster.resume()

        try await waitUntil("recovery", timeout: .seconds(90)) {
            let counts = try await Self.counts(database)
            return counts.postmortems == 30 && counts.unsent == 0
        }
        #expect(try await Self.counts(database).opened == 30)
        await producer.close()
    }
}
