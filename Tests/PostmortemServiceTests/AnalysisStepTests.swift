import DemoScenarios
import Foundation
import Kafka
import Logging
import Postgres
import PostmortemCore
import TestSupport
import Testing

@testable import PostmortemService

/// The store transaction and the analysis step on a real PostgreSQL, driven directly (no Kafka),
/// so what each batch writes can be counted.
@Suite("Analysis step on PostgreSQL", .serialized)
struct AnalysisStepTests {
    /// Records every write to `deploys` (operation and deploy) in `deploy_writes`.
    static let countDeployWrites = """
        CREATE TABLE deploy_writes (seq serial, deploy_id text, op text);
        CREATE FUNCTION record_deploy_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO deploy_writes (deploy_id, op) VALUES (NEW.deploy_id, TG_OP); RETURN NEW; END $$;
        CREATE TRIGGER record_deploy_writes AFTER INSERT OR UPDATE ON deploys FOR EACH ROW EXECUTE FUNCTION record_deploy_write();
        """

    /// A fresh migrated database, the repositories and the analysis step over it.
    struct Fixture {
        let database: PostgresConfiguration
        let pool: PostgresPool
        let repositories: PostgresTransaction.Repositories
        let step: AnalysisStep

        init(_ label: String) async throws {
            database = try TestDatabase.fresh(label)
            try await DatabaseSchema.migrate(database)
            pool = PostgresPool(configuration: database, maxConnections: 1)
            let configuration = ServiceConfiguration(database: database, kafka: KafkaConfig([:]))
            let analysis = configuration.analysis
            let encoder = configuration.outputEvents
            let outbox = OutboxRepository(
                postmortemTopic: configuration.topics.postmortems, actionItemTopic: configuration.topics.actionItems)
            repositories = PostgresTransaction.Repositories(
                deploys: DeployRepository(
                    decoder: EventDecoder(), attributor: Attributor(window: analysis.attributionWindow)),
                metrics: MetricRepository(config: analysis), queue: AnalysisQueue(),
                postmortems: PostmortemRepository(),
                actionItems: ActionItemRepository(encoder: encoder, outbox: outbox), outbox: outbox)
            step = AnalysisStep(
                events: repositories.deploys, metrics: repositories.metrics,
                history: HealthyHistoryReader(events: repositories.deploys, config: analysis),
                postmortems: PostmortemStore(
                    encoder: encoder, postmortems: repositories.postmortems, actionItems: repositories.actionItems,
                    outbox: outbox),
                queue: repositories.queue, analyzer: PostmortemAnalyzer(config: analysis),
                sourceProgress: MetricSourceProgress(metricNames: []),
                logger: Logger(label: "step"))
        }

        /// One ingest transaction and the analysis step after it, as the pipeline runs them.
        func ingest(_ batch: [AcceptedEvent]) async throws {
            let (repositories, step) = (repositories, step)
            let known = try await pool.withTransaction {
                try ApplyBatch().run(batch, in: repositories.transaction(on: $0)).1
            }
            _ = try await pool.withTransaction { try step.run(known: known, now: Date(), on: $0) }
        }
    }

    @Test func eachBatchWritesTheDeploysRowOnceAndAttributesToTheDeployItStarts() async throws {
        let fixture = try await Fixture("step")
        let pool = fixture.pool
        try await pool.withConnection { _ = try $0.execute(script: Self.countDeployWrites) }
        let ingest = fixture.ingest
        func writes() async throws -> [String] {
            try await pool.withConnection { connection in
                try connection.query("SELECT deploy_id || ' ' || op FROM deploy_writes ORDER BY seq").map {
                    try $0.decode(String.self, at: 0)
                }
            }
        }

        // The start and a rollback naming no deploy, in one batch: the step attributes the
        // rollback to the deploy it has just folded, before any `deploys` row exists.
        try await ingest([try UseCaseTests.started("d-1"), try UseCaseTests.rolledBack(nil)])
        #expect(try await writes() == ["d-1 INSERT"], "one write for the batch")
        let attributedTo = try await pool.withConnection { connection in
            try connection.query("SELECT deploy_id FROM deploy_events WHERE event_id = 'rb-none'")[0].decode(
                String?.self, at: 0)
        }
        #expect(attributedTo == "d-1")
        let postmortems = try await pool.withConnection {
            try $0.query("SELECT count(*) FROM postmortems WHERE deploy_id = 'd-1'")[0].decode(Int.self, at: 0)
        }
        #expect(postmortems == 1)

        // A later event of the deploy: one more write, the row refreshed with it.
        try await ingest([try UseCaseTests.rolledBack("d-1", mode: "manual")])
        #expect(try await writes() == ["d-1 INSERT", "d-1 UPDATE"])
        let contexts = try await pool.withConnection { connection in
            try connection.query("SELECT timeline->'contextIds' FROM deploys WHERE deploy_id = 'd-1'")[0].decode(
                PostgresJSON.self, at: 0
            )
            .decode([String].self)
        }
        #expect(
            Set(contexts).isSuperset(of: ["d-1-s", "rb-none", "rb-d-1"]),
            "the row knows every event of the deploy: \(contexts)")

        // A redelivery stores nothing, queues nothing, writes nothing.
        try await ingest([try UseCaseTests.started("d-1")])
        #expect(try await writes().count == 2)
        await pool.close()
    }

    /// Only a deploy that succeeded can be in a healthy history, so only such a deploy re-prices
    /// the postmortems after it: a failed deploy started at the same moment as a run of failed
    /// ones (placed before them by ID) re-analyzes itself alone; a succeeded one, every later
    /// postmortem of its line. Counted by the `deploys` rows each step writes (one per deploy
    /// it analyzes).
    @Test func onlyASucceededDeployRepricesTheLaterPostmortemsOfItsLine() async throws {
        let fixture = try await Fixture("step-pricing")
        try await fixture.pool.withConnection { _ = try $0.execute(script: Self.countDeployWrites) }
        func writes(_ batch: [AcceptedEvent]) async throws -> [String] {
            try await fixture.pool.withConnection { _ = try $0.query("DELETE FROM deploy_writes") }
            try await fixture.ingest(batch)
            return try await fixture.pool.withConnection { connection in
                try connection.query("SELECT DISTINCT deploy_id FROM deploy_writes ORDER BY 1").map {
                    try $0.decode(String.self, at: 0)
                }
            }
        }
        let finished = try UseCaseTests.accepted(
            #"{"specversion":"1.0","id":"e-0-f","source":"/t","type":"io.deploypostmortem.deploy.finished.v1","data":{"deployId":"e-0","outcome":"succeeded","finishedAt":"2026-11-26T10:05:00Z"}}"#
        )
        let failedRun = try ["f-1", "f-2", "f-3"].flatMap {
            [try UseCaseTests.started($0), try UseCaseTests.rolledBack($0)]
        }

        #expect(try await writes(failedRun) == ["f-1", "f-2", "f-3"])
        #expect(
            try await writes([try UseCaseTests.started("f-0"), try UseCaseTests.rolledBack("f-0")]) == ["f-0"],
            "a failed deploy is in no healthy history: the run after it is not re-analyzed")
        #expect(
            try await writes([try UseCaseTests.started("e-0"), finished]) == ["e-0", "f-0", "f-1", "f-2", "f-3"],
            "a succeeded deploy is in the healthy history of every later postmortem")
        await fixture.pool.close()
    }

    /// Healthy deploys whose points were stored first and whose events all come in one later
    /// batch, after the failed deploy's postmortem: none has a `deploys` row when the step looks
    /// for the postmortems they price, yet the stored postmortem must be re-priced to equal
    /// `analyze` (its proposal's healthy runs included).
    @Test func healthyDeploysArrivingInOneBatchRepriceAnEarlierPostmortem() async throws {
        let story = try #require(
            DemoScenarios.all(endingAt: ConvergenceTests.now).first { $0.name == "canary-too-loose" })
        let history = try ConvergenceTests.healthyHistory(
            of: story, service: "payments", metric: "http_error_rate", level: 0.5, threshold: 5)
        let expected = try ConvergenceTests.oracle(story.events + (history.metrics + history.deploys).map(\.event))
        let fixture = try await Fixture("step-history")
        try await fixture.ingest(try story.events.map(UseCaseTests.accepted))
        try await fixture.ingest(try history.metrics.map { try UseCaseTests.accepted($0.event) })
        try await fixture.ingest(try history.deploys.map { try UseCaseTests.accepted($0.event) })
        let stored = try await ConvergenceTests.stored(fixture.database)
        #expect(stored.keys.sorted() == [story.deployId], "healthy deploys open no postmortem")
        #expect(
            ConvergenceTests.differences(stored, expected).isEmpty,
            "\(stored[story.deployId]?.document.serialized ?? "")")
        await fixture.pool.close()
    }
}
