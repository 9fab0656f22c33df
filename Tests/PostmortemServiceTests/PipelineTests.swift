import Crypto
import DemoScenarios
import Foundation
import Kafka
import Postgres
import TestSupport
import Testing

@testable import PostmortemCore
@testable import PostmortemService

/// The pipeline end to end: Kafka protocol through the mock cluster, real PostgreSQL.
@Suite("Ingest pipeline", .serialized)
struct PipelineTests {
    /// The stored postmortem document, parsed as `analyze`'s JSON is (Foundation's parser rounds
    /// the long decimals jsonb prints for tiny numbers, such as a replay's p-value).
    static func storedDocument(_ harness: ServiceHarness, deployId: String) async throws -> JSONValue {
        let text = try await harness.query {
            try $0.query("SELECT document::text FROM postmortems WHERE deploy_id = $1", [deployId])[0].decode(
                String.self, at: 0)
        }
        return try JSONParser.parse(Array(text.utf8), maxDepth: 64)
    }

    static func field(_ name: String, of message: KafkaMessage) -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any]
        return object?[name] as? String ?? ""
    }

    static func type(of message: KafkaMessage) -> String { field("type", of: message) }

    /// Produces `lines` one batch each, each stored and analyzed before the next is produced;
    /// `after(index)` runs once line `index` is.
    static func produceOneByOne(
        _ lines: [String], into harness: ServiceHarness, after: (Int) async throws -> Void = { _ in }
    ) async throws {
        let before = harness.messagesHandled()
        for (index, line) in lines.enumerated() {
            try await harness.produce([line])
            try await harness.waitUntilSettled("line \(index + 1) analyzed", messages: before + index + 1)
            try await after(index)
        }
    }

    /// Every stored postmortem as "deploy status", by deploy.
    static func statuses(_ harness: ServiceHarness) async throws -> [String] {
        try await harness.query { connection in
            try connection.query("SELECT deploy_id, status FROM postmortems ORDER BY deploy_id").map {
                "\(try $0.decode(String.self, at: 0)) \(try $0.decode(String.self, at: 1))"
            }
        }
    }

    /// How many `postmortem.<type>` events the outbox holds for each postmortem, as "type subject".
    static func postmortemEvents(_ harness: ServiceHarness) async throws -> [String: Int] {
        try await harness.query { connection in
            Dictionary(
                uniqueKeysWithValues: try connection.query(
                    """
                    SELECT payload::jsonb->>'type', payload::jsonb->>'subject', count(*) FROM outbox
                    WHERE payload::jsonb->>'type' LIKE 'io.deploypostmortem.postmortem.%' GROUP BY 1, 2
                    """
                ).map {
                    (
                        "\(try $0.decode(String.self, at: 0).split(separator: ".")[3]) \(try $0.decode(String.self, at: 1))",
                        try $0.decode(Int.self, at: 2)
                    )
                })
        }
    }

    static func offlineDocument(_ documents: [String]) throws -> JSONValue {
        try #require(try SampleEvents.offlinePostmortems(of: documents).first).json
    }

    /// The repro streams r02 (artifact shared across environments) and r03 (a CDEvents rollback
    /// naming the artifact rolled back to), copied into the core tests' fixtures.
    static func repro(_ prefix: String) throws -> [String] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../PostmortemCoreTests/Fixtures/repro").standardized
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix(prefix) })
        return try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map(
            String.init)
    }

    /// The rollback and the incident arrive first (no deploy fits yet), then the older deploys, then
    /// the newer ones, each after the previous are stored: the claims must land where `analyze`
    /// attributes — never across environments, and the rollback on the deploy it replaced.
    @Test func claimsStayInTheirEnvironmentAndARollbackGoesToTheDeployItReplaced() async throws {
        try await ServiceHarness.with { harness in
            let r02 = try Self.repro("r02_")
            let r03 = try Self.repro("r03_")
            for (step, lines) in [[r02[2], r03[2]], [r02[0], r03[0]], [r02[1], r03[1]]].enumerated() {
                try await harness.produce(lines)
                try await harness.wait("step \(step) stored") {
                    try await harness.count("SELECT count(*) FROM deploy_events") == 2 * (step + 1)
                }
            }
            try await harness.wait("both postmortems") {
                try await harness.count("SELECT count(*) FROM postmortems") == 2
            }
            let offline = try SampleEvents.offlinePostmortems(of: r02 + r03)
            #expect(offline.map(\.deployId) == ["cd-r03-v2", "dep-r02-eu"])
            for postmortem in offline {
                #expect(try await Self.storedDocument(harness, deployId: postmortem.deployId) == postmortem.json)
            }
        }
    }

    /// r23: the deploy names its service "café" precomposed, the rollback (no deploy ID, a later
    /// batch) with a combining accent. The service stores and compares one spelling (NFC), as
    /// `analyze` does, so the rollback reaches the deploy.
    @Test func oneNameIsOneServiceWhateverItsUnicodeSpelling() async throws {
        let r23 = try Self.repro("r23_")
        #expect(r23[0].contains("caf\u{E9}") && r23[1].contains("cafe\u{301}"), "the fixture spells it both ways")
        try await ServiceHarness.with { harness in
            try await Self.produceOneByOne(r23, into: harness)
            let offline = try SampleEvents.offlinePostmortems(of: r23)
            #expect(offline.map(\.deployId) == ["dep-r4"])
            #expect(try await Self.storedDocument(harness, deployId: "dep-r4") == offline.first?.json)
            #expect(try await harness.count("SELECT count(*) FROM deploy_events WHERE deploy_id IS NULL") == 0)
            #expect(try await harness.count("SELECT count(DISTINCT service) FROM deploy_events") == 1)
        }
    }

    /// r25: a release A, then a rollback naming no deploy (A is the only candidate then, so it
    /// takes it and opens a postmortem), then the start of hotfix B, which began before the
    /// rollback: each line analyzed before the next arrives. The rollback moves to B, as
    /// `analyze` attributes it; A's postmortem is withdrawn (kept, announced, its items
    /// cancelled naming B), never left stale, and listed only when asked for.
    @Test func aRollbackMovesToTheHotfixThatStartedBeforeItAndTheStalePostmortemIsWithdrawn() async throws {
        let r25 = try Self.repro("r25_")
        try await ServiceHarness.with { harness in
            try await Self.produceOneByOne(r25, into: harness) { index in
                guard index == 2 else { return }
                let statuses = try await Self.statuses(harness)
                #expect(statuses == ["dep-r25-a open"], "the release took the rollback first")
            }
            let offline = try SampleEvents.offlinePostmortems(of: r25)
            #expect(offline.map(\.deployId) == ["dep-r25-b"])
            #expect(try await Self.storedDocument(harness, deployId: "dep-r25-b") == offline.first?.json)
            #expect(try await Self.statuses(harness) == ["dep-r25-a withdrawn", "dep-r25-b open"])
            let reasons = try await harness.query { connection in
                try connection.query(
                    """
                    SELECT DISTINCT payload::jsonb->'data'->>'reason' FROM outbox
                    WHERE payload::jsonb->>'type' = 'io.deploypostmortem.action_item.cancelled.v1'
                    """
                ).map { try $0.decode(String?.self, at: 0) ?? "" }
            }
            #expect(reasons == ["withdrawn: the trigger of deploy dep-r25-a now belongs to deploy dep-r25-b"])
            let open =
                "SELECT count(*) FROM action_items a JOIN postmortems p USING (postmortem_id) WHERE p.deploy_id = 'dep-r25-a' AND a.status IN ('open', 'in_progress')"
            #expect(try await harness.count(open) == 0)

            let topics = harness.configuration.topics
            let events = try await harness.read(
                topics.postmortems, count: try await harness.outboxRows(topic: topics.postmortems))
            let subjects = Dictionary(grouping: events.map { (Self.type(of: $0), Self.field("subject", of: $0)) }) {
                $0.0
            }.mapValues { Set($0.map(\.1)) }
            let withdrawn = "io.deploypostmortem.postmortem.withdrawn.v1"
            #expect(events.filter { Self.type(of: $0) == withdrawn }.count == 1)
            #expect(subjects[withdrawn] == [StableID.uuid("postmortem|dep-r25-a")])
            #expect(subjects["io.deploypostmortem.postmortem.opened.v1"]?.contains(offline.first?.id ?? "") == true)

            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let listed = try await api.call(.get, "/v1/postmortems", token: ServiceHarness.readToken)
                #expect(listed.items.compactMap { $0["deployId"] as? String } == ["dep-r25-b"])
                let asked = try await api.call(
                    .get, "/v1/postmortems?status=withdrawn", token: ServiceHarness.readToken)
                #expect(asked.items.compactMap { $0["deployId"] as? String } == ["dep-r25-a"])
                #expect(asked.items.first?["status"] as? String == "withdrawn")
            }
        }
    }

    /// After r25, a corrected copy of the hotfix's start (same source and ID, started 09:45,
    /// after the rollback; its smaller digest wins) gives the rollback back to the release: the
    /// release's postmortem reopens (`postmortem.updated`, status open, its items restored) and
    /// the hotfix's is withdrawn, as `analyze` reads the same events.
    @Test func aWithdrawnPostmortemReopensWhenItsTriggerComesBack() async throws {
        let r25 = try Self.repro("r25_")
        let digest = { (line: String) in try EventDecoder().decode(json: Array(line.utf8), now: Date()).contentDigest }
        let original = try digest(r25[3])
        let copies = (0..<20_000).lazy.map {
            r25[3].replacingOccurrences(of: "2026-11-10T09:30:00Z", with: "2026-11-10T09:45:00Z")
                .replacingOccurrences(of: #""team":"team-a""#, with: #""team":"team-a-\#($0)""#)
        }
        let smaller = try copies.first { try digest($0) < original }
        let corrected = try #require(smaller, "no copy's digest is below \(original)")
        try await ServiceHarness.with { harness in
            try await Self.produceOneByOne(r25 + [corrected], into: harness)
            let offline = try SampleEvents.offlinePostmortems(of: r25 + [corrected])
            #expect(offline.map(\.deployId) == ["dep-r25-a"])
            #expect(try await Self.storedDocument(harness, deployId: "dep-r25-a") == offline.first?.json)
            #expect(try await Self.statuses(harness) == ["dep-r25-a open", "dep-r25-b withdrawn"])

            let (a, b) = (StableID.uuid("postmortem|dep-r25-a"), StableID.uuid("postmortem|dep-r25-b"))
            let events = try await Self.postmortemEvents(harness)
            #expect(events["opened \(a)"] == 1 && events["withdrawn \(a)"] == 1 && events["updated \(a)"] ?? 0 >= 1)
            #expect(events["opened \(b)"] == 1 && events["withdrawn \(b)"] == 1, "\(events)")
            let items =
                "SELECT count(*) FROM action_items a JOIN postmortems p USING (postmortem_id) WHERE p.deploy_id ="
            #expect(
                try await harness.count("\(items) 'dep-r25-a' AND a.status = 'open'")
                    == offline.first?.actionItems.count)
            #expect(try await harness.count("\(items) 'dep-r25-b' AND a.status = 'open'") == 0)
            #expect(
                try await harness.count(
                    "SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.action_item.reopened.v1' AND payload::jsonb->'data'->>'reason' LIKE 'restored:%'"
                ) == offline.first?.actionItems.count)
        }
    }

    /// Headers the contract does not read never decide an event's fate: a deploy start with a
    /// binary header holding NUL and invalid UTF-8, and 40 more small headers, is stored (the
    /// binary one as base64, the extra ones up to the cap, the rest counted), and the postmortem
    /// is what `analyze` makes of the events. It was dead-lettered as "rejected by the database".
    @Test func headersTheContractDoesNotReadNeverLoseAnEvent() async throws {
        let extra = (0..<40).map { KafkaHeader(name: "x-extra-\($0)", string: "v") }
        let headers = SampleEvents.lines.map {
            $0.contains("deploy.started") ? [KafkaHeader(name: "x-binary", value: [0x61, 0x00, 0xFF])] + extra : []
        }
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(SampleEvents.lines, headers: headers)
            try await harness.waitUntilSettled("the postmortem published", messages: SampleEvents.lines.count)
            #expect(
                try await Self.storedDocument(harness, deployId: "d-42") == Self.offlineDocument(SampleEvents.lines))
            let binary = try await harness.query { connection in
                try connection.query(
                    "SELECT headers->'x-binary'->>'base64', (SELECT count(*) FROM jsonb_object_keys(headers)) FROM deploy_events WHERE headers ? 'x-binary'"
                ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
            }
            #expect(binary.first?.0 == "YQD/")
            #expect(binary.first?.1 == StoredHeaders.maxOtherHeaders)
            let metrics = try HTTPTests.parsePrometheus(
                String(decoding: harness.server.metrics.registry.emitToBuffer(), as: UTF8.self))
            #expect(metrics["deploy_postmortem_headers_dropped_total"] == 9, "41 headers, 32 kept")
            let processed = "deploy_postmortem_events_processed_total"
            #expect(HTTPTests.total(metrics, processed, #"outcome="accepted""#) == Double(SampleEvents.lines.count))
            #expect(HTTPTests.total(metrics, processed, #"outcome="dead_lettered""#) == 0)
        }
    }

    /// A postmortem opened before the customer impact was known, then raised by it: its items'
    /// due dates follow the severity of the whole analysis, as `analyze` plans them (they are
    /// not frozen at the first batch's severity).
    @Test func itemsDueDatesFollowTheSeverityALaterEventRaises() async throws {
        let impact = SampleEvents.lines.filter { $0.contains("incident") }
        let before = SampleEvents.lines.filter { !$0.contains("incident") }
        let offline = try #require(try SampleEvents.offlinePostmortems(of: SampleEvents.lines).first)
        let early = try #require(try SampleEvents.offlinePostmortems(of: before).first)
        try #require(!impact.isEmpty && early.actionItems.first?.dueAt != offline.actionItems.first?.dueAt)
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(before)
            try await harness.waitUntilSettled("the postmortem before the impact", messages: before.count)
            try await harness.produce(impact)
            try await harness.waitUntilSettled("the raised postmortem", messages: SampleEvents.lines.count)
            let stored = try await harness.query { connection in
                try connection.query("SELECT action_item_id::text, due_at FROM action_items").map {
                    (try $0.decode(String.self, at: 0), try $0.decode(Date.self, at: 1))
                }
            }
            #expect(
                Dictionary(uniqueKeysWithValues: stored)
                    == Dictionary(uniqueKeysWithValues: offline.actionItems.map { ($0.id, $0.dueAt) }))
        }
    }

    @Test func opensExactlyThePostmortemTheOfflineAnalysisFinds() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the postmortem and its items", messages: SampleEvents.lines.count)
            #expect(
                try await Self.storedDocument(harness, deployId: "d-42") == Self.offlineDocument(SampleEvents.lines))
            #expect(try await harness.count("SELECT count(*) FROM postmortems") == 1)
            #expect(try await harness.count("SELECT count(*) FROM action_items") == 5)
            let outbox = try await harness.query { connection in
                try connection.query("SELECT topic, payload::jsonb->>'type' FROM outbox ORDER BY seq").map {
                    "\(try $0.decode(String.self, at: 0)) \(try $0.decode(String.self, at: 1))"
                }
            }
            // Opened first, each item created once; a first batch without every event may open the
            // postmortem that the next batch updates (how often depends on how messages fall into batches).
            #expect(outbox.first == "postmortem.events io.deploypostmortem.postmortem.opened.v1")
            #expect(
                outbox.filter { $0 == "postmortem.action-items io.deploypostmortem.action_item.created.v1" }.count == 5)
            #expect(
                Set(outbox.dropFirst()).subtracting([
                    "postmortem.action-items io.deploypostmortem.action_item.created.v1",
                    "postmortem.events io.deploypostmortem.postmortem.updated.v1",
                ]).isEmpty, "\(outbox)")
            #expect(try await harness.count("SELECT count(*) FROM metric_samples") == 2)

            // The relay publishes them: read back from the bus, keyed by the postmortem ID.
            let postmortemID = try #require(try SampleEvents.offlinePostmortems(of: SampleEvents.lines).first?.id)
            let opened = try await harness.read(harness.configuration.topics.postmortems, count: 1).prefix(1)
            #expect(opened.map { Self.type(of: $0) } == ["io.deploypostmortem.postmortem.opened.v1"])
            #expect(opened.first?.key == Array(postmortemID.utf8))
            let created = try await harness.read(harness.configuration.topics.actionItems, count: 5)
            #expect(
                created.map { Self.type(of: $0) }
                    == Array(repeating: "io.deploypostmortem.action_item.created.v1", count: 5))
            #expect(Set(created.compactMap(\.key)) == [Array(postmortemID.utf8)])
            try await harness.wait("the outbox drained") {
                try await harness.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
            }
        }
    }

    @Test func tripledAndShuffledDeliveryChangesNothing() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            var generator = SplitMix64(seed: 42)
            let delivered = (SampleEvents.lines + SampleEvents.lines + SampleEvents.lines).shuffled(using: &generator)
            for chunk in stride(from: 0, to: delivered.count, by: 5) {
                try await harness.produce(Array(delivered[chunk..<min(chunk + 5, delivered.count)]))
            }
            try await harness.wait("all 39 deliveries stored") {
                let events = try await harness.count("SELECT count(*) FROM deploy_events")
                let points = try await harness.count("SELECT count(*) FROM metric_samples")
                return events == 12 && points == 2
            }
            // Let every redelivery land before judging.
            try await Task.sleep(for: .seconds(2))
            #expect(try await harness.count("SELECT count(*) FROM postmortems") == 1)
            #expect(try await harness.count("SELECT count(*) FROM action_items") == 5)
            // Opened once, each item created once; evidence arriving out of order may update the
            // postmortem on the way (how many times depends on how deliveries fall into batches).
            let types = try await harness.query { connection in
                try connection.query("SELECT payload::jsonb->>'type', count(*) FROM outbox GROUP BY 1").reduce(
                    into: [String: Int]()
                ) {
                    $0[try $1.decode(String.self, at: 0)] = try $1.decode(Int.self, at: 1)
                }
            }
            #expect(types["io.deploypostmortem.postmortem.opened.v1"] == 1)
            #expect(types["io.deploypostmortem.action_item.created.v1"] == 5)
            // At most one update per distinct event that arrived after the opening.
            #expect(types["io.deploypostmortem.postmortem.updated.v1", default: 0] <= SampleEvents.lines.count)
            #expect(
                Set(types.keys).subtracting([
                    "io.deploypostmortem.postmortem.opened.v1", "io.deploypostmortem.action_item.created.v1",
                    "io.deploypostmortem.postmortem.updated.v1",
                ]).isEmpty, "\(types)")
            let outboxCount = types.values.reduce(0, +)
            try await harness.wait("the outbox drained") {
                try await harness.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
            }
            let published =
                try await harness.read(harness.configuration.topics.postmortems, count: outboxCount - 5)
                + harness.read(harness.configuration.topics.actionItems, count: 5)
            #expect(published.count == outboxCount)
            #expect(Set(published.map { Self.field("id", of: $0) }).count == outboxCount)
            #expect(
                try await Self.storedDocument(harness, deployId: "d-42") == Self.offlineDocument(SampleEvents.lines))

            // Once converged, redelivering everything again emits nothing.
            @Sendable func duplicates() throws -> Double {
                HTTPTests.total(
                    try HTTPTests.parsePrometheus(harness.server.metrics.registry.emitToString()),
                    "deploy_postmortem_events_processed_total",
                    #"outcome="duplicate""#)
            }
            let before = try duplicates()
            try await harness.produce(delivered)
            try await harness.wait("the 36 redelivered deploy events counted as duplicates") {
                try duplicates() == before + 36
            }
            #expect(try await harness.count("SELECT count(*) FROM outbox") == outboxCount)
            #expect(try await harness.count("SELECT count(*) FROM metric_samples") == 2)

            // An edited copy of the rollback (same source and id, automatic instead of manual: another
            // trigger) is a conflicting duplicate: counted, and resolved as `analyze` resolves it.
            @Sendable func conflicting() throws -> Double {
                HTTPTests.total(
                    try HTTPTests.parsePrometheus(harness.server.metrics.registry.emitToString()),
                    "deploy_postmortem_events_processed_total",
                    #"outcome="conflicting""#)
            }
            let rollback = try #require(SampleEvents.lines.first { $0.contains(#""mode": "manual""#) })
            let edited = rollback.replacingOccurrences(of: #""mode": "manual""#, with: #""mode": "automatic""#)
            #expect(edited != rollback)
            try await harness.produce([edited])
            try await harness.wait("the edited rollback counted as conflicting") { try conflicting() == 1 }
            try await harness.wait("the stored postmortem equals analyze of every copy") {
                try await Self.storedDocument(harness, deployId: "d-42")
                    == Self.offlineDocument(SampleEvents.lines + [edited])
            }
        }
    }

    @Test func poisonMessagesGoToTheDeadLetterTopicAndTheRestIsProcessed() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            let topics = harness.configuration.topics
            let poison: [(bytes: [UInt8], error: String)] = [
                (Array("not json at all".utf8), "$: "),
                (
                    Array(
                        #"{"specversion":"1.0","id":"p-1","source":"/x","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":7}}"#
                            .utf8), "data.deployId: "
                ),
                (
                    Array(
                        #"{"specversion":"1.0","id":"p-2","source":"/x","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{"service":"checkout"}}"#
                            .utf8), "data.environment: "
                ),
                (
                    Array(
                        #"{"specversion":"1.0","id":"p-3","source":"/x","type":"io.deploypostmortem.deploy.intervened.v1","data":{"service":"checkout","environment":"prod","kind":"data_fix","at":"2026-11-26T10:20:00Z","description":"\#(String(repeating: "x", count: 20_000))"}}"#
                            .utf8), "data.description: "
                ),
            ]
            let half = SampleEvents.lines.count / 2
            try await harness.produce(Array(SampleEvents.lines[..<half]))
            try await harness.produceRaw(poison.map(\.bytes), topic: topics.deploys)
            // A valid CDEvent of a type the product does not use: counted as ignored, never dead-lettered.
            let unused =
                #"{"context":{"specversion":"0.5.1","id":"cd-env","source":"/cd","type":"dev.cdevents.environment.modified.0.3.0","timestamp":"2026-11-26T10:00:00Z"},"subject":{"id":"prod","content":{"name":"prod"}}}"#
            try await harness.produceRaw([Array(unused.utf8)], topic: topics.deploys)
            try await harness.produce(Array(SampleEvents.lines[half...]))

            let dead = try await harness.read(topics.deadLetter, count: poison.count)
            #expect(dead.count == poison.count)
            for (message, expected) in zip(
                dead.sorted { $0.value.count < $1.value.count }, poison.sorted { $0.bytes.count < $1.bytes.count })
            {
                #expect(message.value == expected.bytes)
                let error =
                    message.header("dlq.error").flatMap(\.value).map { String(decoding: $0, as: UTF8.self) } ?? ""
                #expect(error.hasPrefix(expected.error), "dlq.error was \(error)")
                #expect(message.header("dlq.topic")?.value == Array(topics.deploys.utf8))
                #expect(message.header("dlq.partition") != nil && message.header("dlq.offset") != nil)
            }
            try await harness.wait("the valid events around the poison") {
                try await harness.count("SELECT count(*) FROM action_items") == 5
            }
            #expect(
                try await Self.storedDocument(harness, deployId: "d-42") == Self.offlineDocument(SampleEvents.lines))
            let samples = try HTTPTests.parsePrometheus(harness.server.metrics.registry.emitToString())
            #expect(
                samples[#"deploy_postmortem_events_processed_total{type="invalid",outcome="dead_lettered"}"#]
                    == Double(poison.count))
            #expect(samples[#"deploy_postmortem_events_processed_total{type="cdevents",outcome="ignored"}"#] == 1)
        }
    }

    /// A message too large for the dead-letter topic is dead-lettered truncated (its value),
    /// or as a bare excerpt (when its headers alone are too large), the batch goes on, and no
    /// dead letter is written twice. Invalid UTF-8 and a non-JSON content type are dead-lettered
    /// with a clear reason.
    @Test func oversizedAndMalformedMessagesAreDeadLetteredOnceEach() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            let topics = harness.configuration.topics
            let big = try KafkaProducer(
                config: KafkaConfig([
                    "bootstrap.servers": harness.cluster.bootstrapServers, "message.max.bytes": "5000000",
                    "linger.ms": "1",
                ]))
            let hugeValue = [UInt8](repeating: UInt8(ascii: "["), count: 1_500_000)
            let hugeHeader = KafkaHeader(
                name: "x-trace-dump", value: [UInt8](repeating: UInt8(ascii: "x"), count: 1_200_000))
            let invalidUTF8 =
                Array(#"{"specversion":"1.0","id":"u-"#.utf8) + [0xFF]
                + Array(#"","source":"/x","type":"t","data":{}}"#.utf8)
            let half = SampleEvents.lines.count / 2
            try await harness.produce(Array(SampleEvents.lines[..<half]))
            for outcome in await big.send([
                KafkaRecord(topic: topics.deploys, key: Array("huge-value".utf8), value: hugeValue),
                KafkaRecord(
                    topic: topics.deploys, key: Array("huge-header".utf8), value: Array("{}".utf8),
                    headers: [hugeHeader]),
                KafkaRecord(topic: topics.deploys, key: Array("utf8".utf8), value: invalidUTF8),
                KafkaRecord(
                    topic: topics.deploys, key: Array("avro".utf8), value: Array("{}".utf8),
                    headers: [KafkaHeader(name: "content-type", string: "application/avro")]),
            ]) { _ = try outcome.get() }
            await big.close()
            try await harness.produce(Array(SampleEvents.lines[half...]))

            try await harness.wait("the valid events around the poison") {
                try await harness.count("SELECT count(*) FROM action_items") == 5
            }
            // Read well past the four expected, to see any duplicate.
            let dead = Dictionary(grouping: try await harness.read(topics.deadLetter, count: 5, timeout: .seconds(8))) {
                String(decoding: $0.key ?? [], as: UTF8.self)
            }
            #expect(dead.keys.sorted() == ["avro", "huge-header", "huge-value", "utf8"])
            #expect(dead.values.allSatisfy { $0.count == 1 }, "each dead letter written once")
            func header(_ key: String, _ name: String) -> String? {
                dead[key]?.first?.header(name)?.value.map { String(decoding: $0, as: UTF8.self) }
            }
            let valueLetter = try #require(dead["huge-value"]?.first)
            #expect(valueLetter.value == Array(hugeValue.prefix(1_000_000 - 65_536)))
            #expect(header("huge-value", "dlq.truncated") == "true")
            #expect(header("huge-value", "dlq.original-size") == "1500000")
            #expect(
                header("huge-value", "dlq.original-sha256")
                    == SHA256.hash(data: hugeValue).map { String(format: "%02x", $0) }.joined())
            #expect(
                header("huge-value", "dlq.error")?.hasPrefix("$: message of 1500000 bytes exceeds the limit") == true)
            #expect(dead["huge-header"]?.first?.header("x-trace-dump") == nil, "the excerpt drops the original headers")
            #expect(header("huge-header", "dlq.headers-dropped") == "1")
            #expect(header("utf8", "dlq.error")?.hasSuffix("invalid UTF-8 in string") == true)
            #expect(
                header("avro", "dlq.error")?.hasPrefix(
                    #"header content-type: unsupported content type "application/avro""#) == true)
        }
    }

    @Test func lateMetricsRefreshTheCorrelationOnceAndEmitUpdated() async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the postmortem published", messages: SampleEvents.lines.count)
            // Counted from here: a postmortem opened by a first batch without every event is updated
            // by the next, with events of its own.
            func outboxRows(_ type: String) async throws -> Int {
                try await harness.count(
                    "SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.\(type).v1'")
            }
            let initial = (
                events: try await harness.count("SELECT count(*) FROM outbox"),
                items: try await harness.count("SELECT count(*) FROM action_items"),
                updates: try await outboxRows("postmortem.updated"),
                revisions: try await outboxRows("action_item.revised")
            )

            let late = Self.errorRateEvent(id: "late-1")
            try await harness.produce([late])
            try await harness.waitUntilSettled("postmortem.updated", messages: SampleEvents.lines.count + 1)
            #expect(try await outboxRows("postmortem.updated") == initial.updates + 1)
            let contributing = try await harness.query {
                try $0.query("SELECT jsonb_array_length(contributing_metrics) FROM postmortems")[0].decode(
                    Int.self, at: 0)
            }
            #expect(contributing >= 1)
            #expect(
                try await Self.storedDocument(harness, deployId: "d-42")
                    == Self.offlineDocument(SampleEvents.lines + [late]))

            // The same points again (another event id) change nothing: no second update. A marker
            // point far after the deploy, on the same partition, shows the repeat was consumed.
            let points = try await harness.count("SELECT count(*) FROM metric_samples")
            let events = try await harness.count("SELECT count(*) FROM outbox")
            let items = try await harness.count("SELECT count(*) FROM action_items")
            // Late metrics change the figures some items cite: those are revised, with one event each,
            // and the stored wording is the analysis of all the events.
            let before = try #require(try SampleEvents.offlinePostmortems(of: SampleEvents.lines).first).actionItems
            let after = try #require(try SampleEvents.offlinePostmortems(of: SampleEvents.lines + [late]).first)
                .actionItems
            let rewritten = after.filter { item in
                before.contains { $0.id == item.id && ($0.title != item.title || $0.description != item.description) }
            }
            #expect(!rewritten.isEmpty)
            #expect(try await outboxRows("action_item.revised") == initial.revisions + rewritten.count)
            let storedWording = try await harness.query { connection in
                try connection.query("SELECT action_item_id::text, title, description FROM action_items").map {
                    [
                        try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1),
                        try $0.decode(String.self, at: 2),
                    ]
                }
            }
            #expect(Set(storedWording) == Set(after.map { [$0.id, $0.title, $0.description] }))
            #expect(
                events == initial.events + 1 + (items - initial.items) + rewritten.count,
                "one postmortem.updated, one action_item.created per new finding, one action_item.revised per rewritten item"
            )
            try await harness.produce([Self.errorRateEvent(id: "late-2"), Self.markerEvent])
            try await harness.wait("the repeat consumed") {
                try await harness.count("SELECT count(*) FROM metric_samples") == points + 1
            }
            #expect(try await harness.count("SELECT count(*) FROM outbox") == events)
        }
    }

    /// One point of the same series a day later: outside every analysis window of d-42.
    static let markerEvent =
        #"{"specversion":"1.0","id":"marker","source":"/exporters/prometheus","type":"io.deploypostmortem.metric.sampled.v1","time":"2026-11-26T10:36:00Z","data":{"service":"checkout","environment":"prod","metric":"http_error_rate","points":[{"at":"2026-11-25T10:00:00Z","value":0.01}]}}"#

    /// An error rate flat at 1 % for the hour before d-42 started, then 8 % until the rollback.
    static func errorRateEvent(id: String) -> String {
        let start = Date(timeIntervalSince1970: 1_795_683_600)  // 2026-11-26T09:00:00Z
        let points = (0..<96).map { minute in
            let at = ISO8601DateFormatter().string(from: start.addingTimeInterval(Double(minute) * 60))
            return #"{"at":"\#(at)","value":\#(minute < 60 ? 0.01 : 0.08)}"#
        }
        return
            #"{"specversion":"1.0","id":"\#(id)","source":"/exporters/prometheus","type":"io.deploypostmortem.metric.sampled.v1","time":"2026-11-26T10:36:00Z","data":{"service":"checkout","environment":"prod","metric":"http_error_rate","points":[\#(points.joined(separator: ","))]}}"#
    }
}
