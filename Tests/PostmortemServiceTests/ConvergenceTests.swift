import DemoScenarios
import Foundation
import Kafka
import LocalPostgres
import Postgres
import PostmortemService
import TestSupport
import Testing

@testable import PostmortemCore

/// The oracle: whatever the number of replicas, the interleaving, the redeliveries or a replica
/// killed mid-stream, the postmortem stored for each deploy equals what `deploy-postmortem
/// analyze` prints for the same events.
@Suite("convergence across replicas", .serialized)
struct ConvergenceTests {
    /// 300 failing deploys (more than a third need attribution), their events keyed by event
    /// ID so that one deploy's events spread over partitions and so over replicas.
    static let now = Date()
    static let fleet = DemoScenarios.fleet(count: 300, endingAt: now)
    static let topics = ServiceConfiguration.Topics()

    /// The fleet's events with their topics, then conflicting copies of some (same source + id,
    /// other content, as a producer re-sending an edited event makes them): some rollbacks naming
    /// another deploy, every 5th deploy's rollback in the other mode, every 7th deploy's start
    /// naming another team, and every 11th deploy's metric events with one value raised. In order, each copy comes long after its
    /// original was stored, and the smaller content digest comes first about as often as not.
    static let events: [(event: String, topic: String)] = {
        let originals = fleet.flatMap { scenario in
            zip(scenario.events, scenario.topicOfEach).map { (event: $0, topic: $1) }
        }
        let copies = fleet.enumerated().flatMap { index, scenario in
            zip(scenario.events, scenario.topicOfEach).compactMap { event, topic in
                conflictingCopy(of: event, deploy: index).map { (event: $0, topic: topic) }
            }
        }
        return originals + copies
    }()

    /// The edited copy of `event` of the `deploy`-th fleet deploy, when it gets one.
    static func conflictingCopy(of event: String, deploy: Int) -> String? {
        guard var object = try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any],
            var data = object["data"] as? [String: Any], let type = object["type"] as? String
        else { return nil }
        switch type {
        case let type where type.hasSuffix("deploy.rolled_back.v1") && deploy % 12 == 10 && data["deployId"] != nil:
            // Names another deploy (of the previous story): if this copy wins, the deploy that
            // held the rollback loses it (its customer impact still makes it a postmortem).
            data["deployId"] = fleet[deploy - 1].deployId
        case let type where type.hasSuffix("deploy.rolled_back.v1") && deploy % 5 == 0:
            data["mode"] = data["mode"] as? String == "manual" ? "automatic" : "manual"
        case let type where type.hasSuffix("deploy.started.v1") && deploy % 7 == 0:
            data["team"] = "edited-team"
        case let type where type.hasSuffix("metric.sampled.v1") && deploy % 11 == 0:
            guard var points = data["points"] as? [[String: Any]], let value = points.last?["value"] as? Double else {
                return nil
            }
            points[points.count - 1]["value"] = value * 3 + 1
            data["points"] = points
        default:
            return nil
        }
        object["data"] = data
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    static var records: [KafkaRecord] { records(events) }

    /// `events` as records to their topics, keyed by event ID.
    static func records(_ events: [(event: String, topic: String)]) -> [KafkaRecord] {
        events.map { event, topic in
            let name =
                switch topic {
                case "rollbacks": topics.rollbacks
                case "metrics": topics.metrics
                default: topics.deploys
                }
            let id =
                (try? JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])?["id"] as? String ?? event
            return KafkaRecord(topic: name, key: Array(id.utf8), value: Array(event.utf8))
        }
    }

    /// What `analyze` prints for the fleet: per deploy, the postmortem document (without its
    /// action items) and its action items as (kind, gate, title, description) by ID.
    static func oracle(_ lines: [String] = events.map(\.event)) throws -> [String: Expected] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = BuiltProducts.executable("deploy-postmortem")
        process.arguments = ["analyze", file.path, "--format", "json", "--now", RFC3339.format(now)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            case .array(let postmortems) = try JSONParser.parse(Array(data), maxDepth: 64)
        else {
            throw TestFailure("analyze failed with status \(process.terminationStatus)")
        }
        var expected: [String: Expected] = [:]
        for case .object(var fields) in postmortems {
            guard case .string(let deployId) = fields["deployId"],
                case .array(let items) = fields.removeValue(forKey: "actionItems")
            else { throw TestFailure("unexpected analyze output") }
            expected[deployId] = Expected(
                document: .object(fields), items: try Dictionary(uniqueKeysWithValues: items.map(Expected.item)))
        }
        return expected
    }

    /// A postmortem as compared: its document and its live action items.
    struct Expected: Equatable, CustomStringConvertible {
        var document: JSONValue
        var items: [String: [String]]

        static func item(_ value: JSONValue) throws -> (String, [String]) {
            guard case .object(let f) = value, case .string(let id) = f["id"], case .string(let kind) = f["kind"],
                case .string(let gate) = f["gate"], case .string(let title) = f["title"],
                case .string(let description) = f["description"]
            else { throw TestFailure("unexpected action item \(value.serialized)") }
            return (id, [kind, gate, title, description])
        }

        var description: String { document.serialized + " items: \(items)" }
    }

    /// What the database holds, in the same shape: every live postmortem's document, and its items
    /// that re-analysis has not superseded.
    static func stored(_ database: PostgresConfiguration) async throws -> [String: Expected] {
        try await StackState.query(database) { connection in
            var stored: [String: Expected] = [:]
            // Withdrawn postmortems are kept for audit; `analyze` prints only live ones.
            for row in try connection.query(
                "SELECT deploy_id, document::text FROM postmortems WHERE status <> 'withdrawn'")
            {
                stored[try row.decode(String.self, at: 0)] = Expected(
                    document: try JSONParser.parse(Array(try row.decode(String.self, at: 1).utf8), maxDepth: 64),
                    items: [:])
            }
            for row in try connection.query(
                """
                SELECT p.deploy_id, a.action_item_id::text, a.kind, a.gate, a.title, a.description
                FROM action_items a JOIN postmortems p USING (postmortem_id) WHERE NOT a.superseded
                """)
            {
                stored[try row.decode(String.self, at: 0)]?.items[try row.decode(String.self, at: 1)] = try (2...5).map
                {
                    try row.decode(String.self, at: $0)
                }
            }
            return stored
        }
    }

    /// The deploys whose stored postmortem differs from the oracle (missing, extra or unequal).
    static func differences(_ stored: [String: Expected], _ expected: [String: Expected]) -> [String] {
        Set(stored.keys).union(expected.keys).sorted().compactMap { deployId in
            stored[deployId] == expected[deployId]
                ? nil
                : "\(deployId): stored \(stored[deployId]?.description ?? "nothing"), analyze \(expected[deployId]?.description ?? "nothing")"
        }
    }

    /// Waits until the stored postmortems equal the oracle (and stay equal once the queue is
    /// drained), then expects no difference, naming the first few.
    static func expectConvergence(_ database: PostgresConfiguration, to expected: [String: Expected]) async throws {
        var diff: [String] = []
        let deadline = ContinuousClock.now + .seconds(150)
        while ContinuousClock.now < deadline {
            diff = differences(try await stored(database), expected)
            if diff.isEmpty, try await ServeProcessTests.queueIsEmpty(database) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let state = diff.isEmpty ? "" : await StackState.describe(database)
        #expect(
            diff.isEmpty,
            "\(diff.count) of \(expected.count) deploys differ from analyze (\(state)): \(diff.prefix(3).joined(separator: "\n"))"
        )
    }

    /// A mock cluster, a migrated database and `serve` replicas in one group, stopped by `stop()`.
    final class Stack: Sendable {
        let broker: MockCluster
        let database: PostgresConfiguration
        let producer: KafkaProducer
        private let group: String

        init(database: PostgresConfiguration) async throws {
            broker = try ServeProcessTests.cluster()
            self.database = database
            try await DatabaseSchema.migrate(database)
            group = "convergence-\(UUID().uuidString.prefix(6))"
            producer = try KafkaProducer(
                config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "5"]))
        }

        /// Starts one more replica.
        func replica() throws -> ServeProcessTests.ServeProcess {
            try ServeProcessTests.ServeProcess(
                database: database.connectionString, bootstrap: broker.bootstrapServers, group: group)
        }

        func produce(_ records: some Collection<KafkaRecord>) async throws {
            let (producer, records) = (producer, Array(records))
            let outcomes = try await withDeadline(ServiceHarness.produceTimeout, "delivering \(records.count) records")
            { await producer.send(records) }
            for outcome in outcomes { _ = try outcome.get() }
        }

        func stop(_ replicas: [ServeProcessTests.ServeProcess]) async throws {
            for replica in replicas where replica.process.isRunning { replica.terminate() }
            let (producer, broker) = (producer, broker)
            try await withDeadline(ServiceHarness.stopTimeout, "the test producer closing") { await producer.close() }
            try await onThread(ServiceHarness.stopTimeout, "the mock cluster shutting down") { broker.shutdown() }
        }
    }

    @Test func threeReplicasWhileEventsArriveMatchAnalyze() async throws {
        let expected = try Self.oracle()
        #expect(expected.count == 300, "every deploy of the fleet fails")
        #expect(
            expected.values.contains { $0.document.serialized.contains("edited-team") }, "some conflicting copies win")
        let stack = try await Stack(database: try TestDatabase.fresh("convergence"))
        let replicas = try (0..<3).map { _ in try stack.replica() }
        // Produced in slices while the replicas run, so batches interleave across replicas.
        let records = Self.records
        for slice in stride(from: 0, to: records.count, by: 250) {
            try await stack.produce(records[slice..<min(slice + 250, records.count)])
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Self.expectConvergence(stack.database, to: expected)
        try await stack.stop(replicas)
    }

    /// Four healthy deploys of `story`'s service, 1 to 4 days before it, canary 0–10 min passed
    /// with the story's check, finished succeeded; `metric` flat at `level` for an hour from each
    /// start but for one spike in the canary (`level` × 2.25, 2.5, 2.75, 3), in the story's
    /// series (region eu-west-1).
    static func healthyHistory(
        of story: DemoScenarios.Scenario, service: String, metric: String, level: Double, threshold: Double
    ) throws -> (deploys: [(event: String, topic: String)], metrics: [(event: String, topic: String)]) {
        guard
            let started = story.events.first.flatMap({
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }),
            let data = started["data"] as? [String: Any], let text = data["startedAt"] as? String,
            let start = RFC3339.parse(text)
        else { throw TestFailure("the story does not begin with its start") }
        func event(_ type: String, _ id: String, _ data: [String: Any]) throws -> String {
            let object: [String: Any] = [
                "specversion": "1.0", "id": id, "source": "/history", "type": "io.deploypostmortem.\(type)",
                "time": RFC3339.format(start),
                "data": data,
            ]
            return String(
                decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        var deploys: [(event: String, topic: String)] = []
        var metrics: [(event: String, topic: String)] = []
        for day in 1...4 {
            let id = "history-\(day)"
            let at = { (minutes: Double) in
                RFC3339.format(start.addingTimeInterval(Double(-day) * 86_400 + minutes * 60))
            }
            deploys.append(
                (
                    try event(
                        "deploy.started.v1", "\(id)-started",
                        [
                            "deployId": id, "service": service, "environment": "prod", "startedAt": at(0),
                            "artifact": ["name": service, "version": "2.13.\(day)"],
                        ]), "deploys"
                ))
            deploys.append(
                (
                    try event(
                        "deploy.gate_finished.v1", "\(id)-canary",
                        [
                            "deployId": id, "gate": "canary", "outcome": "passed", "startedAt": at(0),
                            "finishedAt": at(10), "trafficPercent": 10,
                            "checks": [
                                [
                                    "metric": metric, "threshold": threshold, "direction": "above", "observed": level,
                                    "passed": true,
                                ]
                            ],
                        ]), "deploys"
                ))
            deploys.append(
                (
                    try event(
                        "deploy.finished.v1", "\(id)-finished",
                        ["deployId": id, "outcome": "succeeded", "finishedAt": at(41)]), "deploys"
                ))
            metrics.append(
                (
                    try event(
                        "metric.sampled.v1", "\(id)-\(metric)",
                        [
                            "service": service, "environment": "prod", "metric": metric, "unit": "percent",
                            "labels": ["region": "eu-west-1"],
                            "points": (0...60).map {
                                [
                                    "at": at(Double($0)),
                                    "value": $0 == 2 + day ? level * (2 + 0.25 * Double(day)) : level,
                                ]
                            },
                        ]), "metrics"
                ))
        }
        return (deploys, metrics)
    }

    /// The healthy deploys' events first and their points later (each re-prices the stored
    /// postmortem), or their points first and their events later: then a healthy deploy has no
    /// `deploys` row yet when the step looks for the postmortems it prices.
    @Test(arguments: [false, true])
    func healthyDeploysArrivingAfterTheFailedOneRepriceItsProposalAsAnalyzeDoes(pointsFirst: Bool) async throws {
        let story = try #require(DemoScenarios.all(endingAt: Self.now).first { $0.name == "canary-too-loose" })
        let history = try Self.healthyHistory(
            of: story, service: "payments", metric: "http_error_rate", level: 0.5, threshold: 5)
        let failed = Array(zip(story.events, story.topicOfEach).map { (event: $0, topic: $1) })
        let expected = try Self.oracle((failed + history.deploys + history.metrics).map(\.event))
        let finding = #"canary.canary_threshold_too_loose:http_error_rate{region="eu-west-1"}"#
        let proposal = { (document: JSONValue?) -> JSONValue? in
            guard case .object(let fields)? = document, case .array(let findings)? = fields["findings"] else {
                return nil
            }
            return findings.lazy.compactMap { f -> JSONValue? in
                guard case .object(let f) = f, f["key"] == .string(finding) else { return nil }
                return f["proposal"]
            }.first
        }
        guard case .object(let priced)? = proposal(expected[story.deployId]?.document) else {
            throw TestFailure(
                "analyze proposes nothing: \(expected[story.deployId]?.document.serialized ?? "no postmortem")")
        }
        #expect(priced["healthyRuns"] == .number(4), "analyze replays the four healthy deploys")
        #expect(priced["proposed"] == .number(1.5), "the tightest threshold none of them trips")

        let stack = try await Stack(database: try TestDatabase.fresh("convergence-history"))
        let replicas = try (0..<2).map { _ in try stack.replica() }
        try await stack.produce(Self.records(failed))
        try await waitUntil("the failed deploy's postmortem") {
            try await ServeProcessTests.counts(stack.database).postmortems == 1
        }
        let (first, last) = pointsFirst ? (history.metrics, history.deploys) : (history.deploys, history.metrics)
        try await stack.produce(Self.records(first))
        try await Task.sleep(for: .seconds(1))
        try await stack.produce(Self.records(last))
        try await Self.expectConvergence(stack.database, to: expected)
        let stored = try await Self.stored(stack.database)
        guard case .object(let storedProposal)? = proposal(stored[story.deployId]?.document) else {
            throw TestFailure("nothing stored")
        }
        #expect(storedProposal["healthyRuns"] == .number(4))
        try await stack.stop(replicas)
    }

    @Test func shuffledTripleRedeliveryWithAReplicaKilledMatchesAnalyze() async throws {
        let expected = try Self.oracle()
        let stack = try await Stack(database: try TestDatabase.fresh("convergence-kill"))
        let replicas = try (0..<3).map { _ in try stack.replica() }
        var generator = SystemRandomNumberGenerator()
        let records = (0..<3).flatMap { _ in Self.records.shuffled(using: &generator) }
        let third = records.count / 3
        try await stack.produce(records[..<third])
        try await waitUntil("the first postmortems", state: { await StackState.describe(stack.database) }) {
            try await ServeProcessTests.counts(stack.database).postmortems >= 20
        }
        replicas[2].kill()
        try await stack.produce(records[third...])
        try await Self.expectConvergence(stack.database, to: expected)
        try await stack.stop(replicas)
    }

    /// One event of a line, the phase (batch) it is produced in, and its topic.
    struct LineEvent {
        var phase: Int
        var event: String
        var topic: String
    }

    /// `count` lines (one service in prod each) as real lines run: a release then a hotfix with
    /// a manual rollback (and on every other line a customer impact) that names no deploy; a
    /// release rolled back by deploy ID, re-deployed with the same artifact and rolled back again
    /// without one; four deploys with an intervention and an impact that name none. The later
    /// deploys of every line arrive last (phase 2), after the events that belong to them; the
    /// events naming no deploy arrive before the release (phase 0, even lines) or after it
    /// (phase 1, odd lines, so the release first takes them and opens a postmortem).
    static func lines(count: Int) -> [LineEvent] {
        let base = now.addingTimeInterval(-6 * 3600)
        return (0..<count).flatMap { line -> [LineEvent] in
            let service = "line-\(line)"
            let (release, failures) = line % 2 == 0 ? (1, 0) : (0, 1)
            func at(_ minutes: Double) -> String { RFC3339.format(base.addingTimeInterval(minutes * 60)) }
            func event(_ phase: Int, _ type: String, _ id: String, _ data: [String: Any], topic: String = "deploys")
                -> LineEvent
            {
                var data = data
                if type != "deploy.finished.v1" { data["environment"] = data["environment"] ?? "prod" }
                let object: [String: Any] = [
                    "specversion": "1.0", "id": "\(service)-\(id)", "source": "/lines",
                    "type": "io.deploypostmortem.\(type)", "data": data,
                ]
                let json = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                return LineEvent(phase: phase, event: String(decoding: json, as: UTF8.self), topic: topic)
            }
            func deploy(_ phase: Int, _ name: String, at minutes: Double, version: String) -> [LineEvent] {
                let id = "\(service)-\(name)"
                return [
                    event(
                        phase, "deploy.started.v1", "\(name)-started",
                        [
                            "deployId": id, "service": service, "startedAt": at(minutes),
                            "artifact": ["name": service, "version": version], "team": "team-\(line % 3)",
                        ]),
                    event(
                        phase, "deploy.finished.v1", "\(name)-finished",
                        ["deployId": id, "outcome": "succeeded", "finishedAt": at(minutes + 5)]),
                ]
            }
            func rollback(_ phase: Int, _ id: String, at minutes: Double, mode: String, deployId: String? = nil)
                -> LineEvent
            {
                var data: [String: Any] = ["service": service, "mode": mode, "rolledBackAt": at(minutes)]
                data["deployId"] = deployId
                return event(phase, "deploy.rolled_back.v1", id, data, topic: "rollbacks")
            }
            func impact(_ phase: Int, _ id: String, at minutes: Double, severity: String) -> LineEvent {
                event(
                    phase, "deploy.impacted_customers.v1", id,
                    ["service": service, "severity": severity, "startedAt": at(minutes)])
            }
            switch line % 3 {
            case 0:
                return deploy(release, "release", at: 0, version: "3.1.0")
                    + deploy(2, "hotfix", at: 30, version: "3.1.1")
                    + [rollback(failures, "rollback", at: 41, mode: "manual")]
                    + (line % 2 == 0 ? [impact(failures, "impact", at: 38, severity: "high")] : [])
            case 1:
                return deploy(release, "release", at: 0, version: "4.0.0")
                    + [rollback(release, "rollback-1", at: 10, mode: "automatic", deployId: "\(service)-release")]
                    + deploy(2, "redeploy", at: 40, version: "4.0.0")
                    + [
                        rollback(failures, "rollback-2", at: 50, mode: "manual"),
                        impact(failures, "impact", at: 45, severity: "medium"),
                    ]
            default:
                return deploy(release, "a", at: 0, version: "5.0.0") + deploy(release, "b", at: 10, version: "5.0.1")
                    + deploy(2, "c", at: 20, version: "5.0.2") + deploy(2, "d", at: 30, version: "5.0.3")
                    + [
                        event(
                            failures, "deploy.intervened.v1", "intervention",
                            ["service": service, "kind": "data_fix", "at": at(15)]),
                        impact(failures, "impact", at: 33, severity: "low"),
                    ]
            }
        }
    }

    /// The lines above, phase by phase, each phase shuffled, into one replica or three (a phase
    /// is produced once the one before it is stored and analyzed; with three, one replica is
    /// SIGKILLed before the last phase): every live postmortem equals `analyze`, no event stays
    /// unattributed, each deploy that lost its last trigger has its postmortem withdrawn once,
    /// and every postmortem was opened once.
    @Test(arguments: [1, 3])
    func hotfixLinesInTheWorstArrivalOrderMatchAnalyze(replicaCount: Int) async throws {
        let events = Self.lines(count: 30)
        let expected = try Self.oracle(events.map(\.event))
        let failing = (0..<30).flatMap { line in
            [["hotfix"], ["release", "redeploy"], ["b", "d"]][line % 3].map { "line-\(line)-\($0)" }
        }
        #expect(Set(expected.keys) == Set(failing), "analyze: \(expected.keys.sorted())")
        let stack = try await Stack(database: try TestDatabase.fresh("convergence-lines-\(replicaCount)"))
        let replicas = try (0..<replicaCount).map { _ in try stack.replica() }
        var produced = 0
        var generator = SystemRandomNumberGenerator()
        for phase in 0...2 {
            if phase == 2, replicaCount > 1 { replicas[replicaCount - 1].kill() }
            let batch = events.filter { $0.phase == phase }.shuffled(using: &generator)
            try await stack.produce(Self.records(batch.map { ($0.event, $0.topic) }))
            produced += batch.count
            let stored = produced
            try await waitUntil(
                "phase \(phase) stored and analyzed", state: { await StackState.describe(stack.database) }
            ) {
                let count = try await StackState.query(stack.database) {
                    try $0.query("SELECT count(*) FROM deploy_events")[0].decode(Int.self, at: 0)
                }
                guard count == stored else { return false }
                return try await ServeProcessTests.queueIsEmpty(stack.database)
            }
        }
        try await Self.expectConvergence(stack.database, to: expected)
        let (unattributed, withdrawn, opened) = try await StackState.query(stack.database) { connection in
            let unattributed = try connection.query("SELECT count(*) FROM deploy_events WHERE deploy_id IS NULL")[0]
                .decode(Int.self, at: 0)
            let withdrawn = try connection.query(
                """
                SELECT p.deploy_id, (SELECT count(*) FROM outbox o WHERE o.payload::jsonb->>'subject' = p.postmortem_id::text
                                       AND o.payload::jsonb->>'type' = 'io.deploypostmortem.postmortem.withdrawn.v1')
                FROM postmortems p WHERE p.status = 'withdrawn'
                """
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
            let opened = try connection.query(
                """
                SELECT count(*) FROM postmortems p WHERE (SELECT count(*) FROM outbox o
                    WHERE o.payload::jsonb->>'subject' = p.postmortem_id::text
                      AND o.payload::jsonb->>'type' = 'io.deploypostmortem.postmortem.opened.v1') <> 1
                """
            )[0].decode(Int.self, at: 0)
            return (unattributed, withdrawn, opened)
        }
        #expect(unattributed == 0)
        // Every release of the release-then-hotfix lines took the rollback first (or later, from
        // the unattributed pool) and lost it to its hotfix.
        let releases = Set((0..<30).filter { $0 % 3 == 0 }.map { "line-\($0)-release" })
        #expect(releases.isSubset(of: Set(withdrawn.map(\.0))), "withdrawn: \(withdrawn.map(\.0).sorted())")
        #expect(withdrawn.allSatisfy { $0.1 == 1 }, "one postmortem.withdrawn each: \(withdrawn)")
        #expect(Set(withdrawn.map(\.0)).isDisjoint(with: expected.keys))
        #expect(opened == 0, "every postmortem opened exactly once")
        try await stack.stop(replicas)
    }

    @Test func twoReplicasThroughAFifteenSecondDatabaseOutageMatchAnalyze() async throws {
        let expected = try Self.oracle()
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let stack = try await Stack(
            database: PostgresConfiguration(connectionString: try cluster.createDatabase("convergence_outage")))
        let replicas = try (0..<2).map { _ in try stack.replica() }
        let records = Self.records
        let half = records.count / 2
        try await stack.produce(records[..<half])
        try await waitUntil("the first postmortems", state: { await StackState.describe(stack.database) }) {
            try await ServeProcessTests.counts(stack.database).postmortems >= 20
        }
        try cluster.pause()
        try await stack.produce(records[half...])
        try await Task.sleep(for: .seconds(15))
        #expect(replicas.filter { $0.process.isRunning }.count == 2, "the replicas must survive the outage")
        try cluster.resume()
        try await Self.expectConvergence(stack.database, to: expected)
        try await stack.stop(replicas)
    }
}

/// A test precondition that did not hold.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
