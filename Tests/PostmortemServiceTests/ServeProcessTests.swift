import Foundation
import Kafka
import LocalPostgres
import Postgres
import PostmortemService
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `deploy-postmortem serve` as real processes against the mock cluster and PostgreSQL.
@Suite("serve processes", .serialized)
struct ServeProcessTests {
    /// A started `serve` process; killed when released by the test.
    final class ServeProcess: Sendable {
        let process: Process

        /// `environment` is added last (e.g. logging settings); `standardError` receives the logs.
        init(
            database: String, bootstrap: String, group: String, migrate: Bool = true,
            environment: [String: String] = [:],
            standardError: Pipe? = nil
        ) throws {
            process = Process()
            process.executableURL = BuiltProducts.executable("deploy-postmortem")
            process.arguments = ["serve", "--http-port", "0"] + (migrate ? [] : ["--no-migrate"])
            process.environment = ProcessInfo.processInfo.environment.merging([
                "DATABASE_URL": database, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_GROUP_ID": group,
                "KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "KAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS": "1000", "KAFKA_LINGER_MS": "1", "LOG_LEVEL": "error",
            ]) { $1 }.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = standardError ?? FileHandle.nullDevice
            try process.run()
        }

        /// Sends SIGKILL and waits (at most 10 s) until the process is gone.
        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            if !waitForExit(within: .seconds(10)) {
                Issue.record("serve (pid \(process.processIdentifier)) still there 10 s after SIGKILL")
            }
        }

        /// How long `serve` gets to shut down gracefully after SIGTERM.
        static let shutdownTimeout: Duration = .seconds(30)

        /// Sends SIGTERM and waits for the exit; a process still running after
        /// ``shutdownTimeout`` fails the test and is killed (a hang would stall the whole run).
        func terminate() {
            Glibc.kill(process.processIdentifier, SIGTERM)
            if !waitForExit(within: Self.shutdownTimeout) {
                Issue.record(
                    "serve (pid \(process.processIdentifier)) still running \(Self.shutdownTimeout) after SIGTERM; killed"
                )
                kill()
            }
        }

        /// Waits until the process has exited, at most `timeout`. Besides `Process.isRunning` it
        /// looks at the process itself (gone, or a zombie), so an exit Foundation fails to notice
        /// cannot make the test wait forever as `waitUntilExit()` would.
        func waitForExit(within timeout: Duration) -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if !process.isRunning || Self.hasExited(process.processIdentifier) { return true }
                usleep(50_000)
            }
            return false
        }

        /// Whether `pid` no longer runs: reaped, or exited and awaiting its parent's `wait`.
        static func hasExited(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            // The state follows the parenthesized command name: "pid (comm) S …".
            guard let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
        }

        // A test that throws before stopping its replicas must not leave them running.
        deinit { if process.isRunning { kill() } }
    }

    /// A failed deploy in two events: started, then rolled back automatically.
    static func failedDeploy(_ index: Int) -> [(topic: String, key: String, value: String)] {
        let id = "deploy-\(index)"
        return [
            (
                "deploy.events", id,
                #"{"specversion":"1.0","id":"start-\#(index)","source":"/ci","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(id)","service":"svc-\#(index % 7)","environment":"prod","startedAt":"2026-11-26T10:00:00Z","team":"team-\#(index % 3)"}}"#
            ),
            (
                "deploy.rollbacks", id,
                #"{"specversion":"1.0","id":"rollback-\#(index)","source":"/ci","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{"deployId":"\#(id)","service":"svc-\#(index % 7)","environment":"prod","mode":"automatic","rolledBackAt":"2026-11-26T10:20:00Z"}}"#
            ),
        ]
    }

    static func produce(_ range: Range<Int>, via producer: KafkaProducer) async throws {
        let records = range.flatMap(failedDeploy).map {
            KafkaRecord(topic: $0.topic, key: Array($0.key.utf8), value: Array($0.value.utf8))
        }
        let outcomes = try await withDeadline(ServiceHarness.produceTimeout, "delivering \(records.count) records") {
            await producer.send(records)
        }
        for outcome in outcomes { _ = try outcome.get() }
    }

    static func cluster() throws -> MockCluster {
        let topics = ServiceConfiguration.Topics()
        return try MockCluster(topics: topics.all(partitions: 4))
    }

    static func counts(_ database: PostgresConfiguration) async throws -> (postmortems: Int, opened: Int, unsent: Int) {
        let row = try await StackState.query(database) { connection in
            try connection.query(
                """
                SELECT (SELECT count(*) FROM postmortems),
                       (SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.postmortem.opened.v1'),
                       (SELECT count(*) FROM outbox WHERE sent_at IS NULL)
                """)[0]
        }
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
    }

    /// Whether no analysis work is queued and no event awaits attribution.
    static func queueIsEmpty(_ database: PostgresConfiguration) async throws -> Bool {
        try await StackState.query(database) { connection in
            try connection.query(
                "SELECT NOT EXISTS (SELECT 1 FROM analysis_queue) AND NOT EXISTS (SELECT 1 FROM deploy_events WHERE attribution_pending)"
            )[0].decode(Bool.self, at: 0)
        }
    }

    /// The log lines of one `serve` run, started with `environment` and stopped by SIGTERM once
    /// its log contains `marker` (or after 30 s).
    static func logs(of environment: [String: String], database: String, until marker: String) async throws -> [String]
    {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let errors = Pipe()
        let serve = try ServeProcess(
            database: database, bootstrap: broker.bootstrapServers, group: "logs-\(UUID().uuidString.prefix(6))",
            environment: environment, standardError: errors)
        let collected = Mutex(Data())
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            while true {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                collected.withLock { $0.append(chunk) }
            }
            readerDone.signal()
        }.start()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline,
            !collected.withLock({ String(decoding: $0, as: UTF8.self).contains(marker) })
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(300))
        serve.terminate()
        try await waitUntil("the log stream closed", timeout: .seconds(10)) {
            readerDone.wait(timeout: .now()) == .success
        }
        let text = collected.withLock { String(decoding: $0, as: UTF8.self) }
        return text.split(separator: "\n").map(String.init)
    }

    /// What docs/operations.md ("Logs") promises: JSON lines on standard error with `ts`,
    /// `level`, `logger` and `msg`; `serving` with the version at start, `stopped` after a
    /// graceful shutdown; `LOG_LEVEL` filters; passwords never appear.
    @Test func logsAreJSONLinesOnStandardErrorAtTheConfiguredLevelWithoutSecrets() async throws {
        let database = try TestDatabase.fresh("logs")
        try await DatabaseSchema.migrate(database)
        let secretURL = database.connectionString.replacingOccurrences(
            of: "postgres@", with: "postgres:db-secret-4711@")
        #expect(secretURL.contains("db-secret-4711"))
        let secrets = ["KAFKA_SASL_PASSWORD": "kafka-secret-0815", "LOG_FORMAT": "json"]

        let info = try await Self.logs(
            of: secrets.merging(["LOG_LEVEL": "info"]) { $1 }, database: secretURL, until: #""msg":"serving""#)
        let objects = info.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!info.isEmpty && objects.allSatisfy { $0 != nil }, "every line is a JSON object: \(info)")
        for object in objects.compactMap({ $0 }) {
            #expect(["ts", "level", "logger", "msg"].allSatisfy { object[$0] is String }, "\(object)")
            #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
        }
        let serving = try #require(objects.compactMap { $0 }.first { $0["msg"] as? String == "serving" })
        #expect(serving["level"] as? String == "info")
        #expect(serving["version"] as? String == ProductVersion.current)
        #expect((serving["database"] as? String)?.hasPrefix("postgres@127.0.0.1:") == true)
        #expect(objects.compactMap { $0 }.last?["msg"] as? String == "stopped")
        #expect(!info.joined().contains("db-secret-4711") && !info.joined().contains("kafka-secret-0815"))

        // No API tokens: serve warns just before it logs `serving`.
        #expect(
            objects.contains {
                $0?["level"] as? String == "warning" && ($0?["msg"] as? String)?.hasPrefix("no API tokens") == true
            })
        let warnings = try await Self.logs(
            of: secrets.merging(["LOG_LEVEL": "warning"]) { $1 }, database: secretURL, until: "no API tokens configured"
        )
        let levels = Set(
            warnings.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["level"] as? String
            })
        #expect(
            levels.contains("warning") && levels.isSubset(of: ["warning", "error", "critical"]),
            "LOG_LEVEL=warning hides info: \(warnings)")
        #expect(!warnings.contains { $0.contains(#""msg":"serving""#) })

        // An unknown level is refused like any other invalid setting, naming the variable.
        let refused = try await BuiltProducts.deployPostmortem(
            ["serve"], environment: ["LOG_LEVEL": "verbose", "LOG_FORMAT": "json", "DATABASE_URL": secretURL])
        #expect(refused.status == 1)
        #expect(
            refused.standardError.contains(
                "LOG_LEVEL=verbose: expected one of trace, debug, info, notice, warning, error, critical"))
        #expect(!refused.standardError.contains("db-secret-4711"))
    }

    /// SIGTERM is trapped before `serve` logs anything: sent right after its first log line,
    /// during start-up (migrations, connecting, joining the group), it is a graceful stop with
    /// exit status 0, never a death by the signal.
    @Test func sigtermRightAfterTheFirstLogLineIsAGracefulStop() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let database = try TestDatabase.fresh("early-sigterm")
        for attempt in 1...20 {
            let errors = Pipe()
            let serve = try ServeProcess(
                database: database.connectionString, bootstrap: broker.bootstrapServers, group: "early-sigterm",
                environment: ["LOG_LEVEL": "info"], standardError: errors)
            let first = await ChildProcess.firstLine(of: errors.fileHandleForReading)
            Glibc.kill(serve.process.processIdentifier, SIGTERM)
            let (reason, status) = try await withDeadline(ServeProcess.shutdownTimeout, "serve stopping") {
                await ChildProcess.exit(of: serve.process)
            }
            #expect(
                !first.isEmpty && reason == .exit && status == 0,
                "attempt \(attempt) after \(first): \(reason) \(status)")
        }
    }

    @Test func replicaKilledMidStreamLosesNothingAndDuplicatesNothing() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let database = try TestDatabase.fresh("replicas")
        try await DatabaseSchema.migrate(database)
        let group = "replicas-\(UUID().uuidString.prefix(6))"
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))

        let first = try ServeProcess(
            database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        let second = try ServeProcess(
            database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        defer { second.terminate() }
        try await Self.produce(0..<40, via: producer)
        try await waitUntil("the first postmortems", state: { await StackState.describe(database) }) {
            try await Self.counts(database).postmortems >= 5
        }
        first.kill()
        try await Self.produce(40..<80, via: producer)
        try await Task.sleep(for: .seconds(2))
        let restarted = try ServeProcess(
            database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        defer { restarted.terminate() }
        try await Self.produce(80..<100, via: producer)

        try await waitUntil(
            "100 postmortems, all published", timeout: .seconds(90), state: { await StackState.describe(database) }
        ) {
            let counts = try await Self.counts(database)
            return counts.postmortems == 100 && counts.unsent == 0
        }
        let counts = try await Self.counts(database)
        #expect(counts.opened == 100)

        // On the bus: every postmortem opened, each event ID once after de-duplication.
        let consumer = try KafkaConsumer(
            config: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "check-\(UUID())",
                "auto.offset.reset": "earliest",
            ]),
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
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
        let serve = try ServeProcess(
            database: database.connectionString, bootstrap: broker.bootstrapServers, group: "unmigrated", migrate: false
        )
        defer { serve.terminate() }
        try await Self.produce(0..<10, via: producer)
        try await Task.sleep(for: .seconds(5))
        let consumer = try KafkaConsumer(
            config: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "dlq-\(UUID())",
                "auto.offset.reset": "earliest",
            ]),
            topics: [ServiceConfiguration.Topics().deadLetter])
        var deadLetters = 0
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            deadLetters += try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200)).count
        }
        await consumer.close()
        #expect(deadLetters == 0, "nothing is dead-lettered while the schema is missing")

        try await DatabaseSchema.migrate(database)
        try await waitUntil(
            "the held events analyzed", timeout: .seconds(60), state: { await StackState.describe(database) }
        ) {
            try await Self.counts(database).postmortems == 10
        }
        await producer.close()
    }

    @Test func databaseOutageOfTenSecondsPausesAndRecovers() async throws {
        let broker = try Self.cluster()
        defer { broker.shutdown() }
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let database = PostgresConfiguration(connectionString: try cluster.createDatabase("outage"))
        try await DatabaseSchema.migrate(database)
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
        let serve = try ServeProcess(
            database: database.connectionString, bootstrap: broker.bootstrapServers, group: "outage")
        defer { serve.terminate() }

        try await Self.produce(0..<10, via: producer)
        try await waitUntil("the first postmortems", state: { await StackState.describe(database) }) {
            try await Self.counts(database).postmortems == 10
        }
        try cluster.pause()
        try await Self.produce(10..<30, via: producer)
        try await Task.sleep(for: .seconds(10))
        #expect(serve.process.isRunning, "the service must survive the outage")
        try cluster.resume()

        try await waitUntil("recovery", timeout: .seconds(90), state: { await StackState.describe(database) }) {
            let counts = try await Self.counts(database)
            return counts.postmortems == 30 && counts.unsent == 0
        }
        #expect(try await Self.counts(database).opened == 30)
        await producer.close()
    }
}
