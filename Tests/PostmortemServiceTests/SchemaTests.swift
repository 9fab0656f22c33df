import Foundation
import Postgres
import PostmortemService
import TestSupport
import Testing

@Suite("Service schema")
struct SchemaTests {
    @Test func shippedMigrationsCreateTheDesignTables() async throws {
        let configuration = try TestDatabase.fresh()
        let applied = try await DatabaseSchema.migrate(configuration)
        #expect(applied.first?.name == "initial")
        #expect(try await DatabaseSchema.migrate(configuration).isEmpty)

        let connection = try await PostgresConnection.connect(configuration)
        let tables = try await connection.run { connection in
            try connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'metric_samples_%' ORDER BY 1"
            ).map { try $0.decode(String.self, at: 0) }
        }
        #expect(
            tables == [
                "action_items", "analysis_queue", "deploy_events", "deploys", "follow_up_inputs", "metric_samples",
                "metric_source_fetches", "outbox", "postmortems",
                "schema_migrations",
            ])
    }

    /// Migration 0011: postmortems stored before their documents carried the timeline are queued
    /// for the one re-analysis that stores it; the others are not.
    @Test func documentsWithoutTheirTimelineAreQueuedForAnalysis() async throws {
        let configuration = try TestDatabase.fresh()
        try await Migrator(migrations: try DatabaseSchema.migrations().filter { $0.version < 11 }).migrate(
            configuration)
        let connection = try await PostgresConnection.connect(configuration)
        let insert =
            "INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, document, opened_at, updated_at) VALUES ($1, $2, 'api', 'prod', '{deploy_failed}', 'sev2', $3::jsonb, now(), now())"
        try await connection.run {
            try $0.query(insert, [UUID(), "old-2", #"{"deployId":"old-2"}"#])
            try $0.query(insert, [UUID(), "new", #"{"deployId":"new","timeline":[],"triggeredAt":{}}"#])
            try $0.query(insert, [UUID(), "old-1", #"{"deployId":"old-1","timeline":[]}"#])
        }
        #expect(try await DatabaseSchema.migrate(configuration).map(\.version).first == 11)
        let queued = try await connection.run {
            try $0.query("SELECT deploy_ids FROM analysis_queue").map { try $0.decode([String].self, at: 0) }
        }
        #expect(queued == [["old-1", "old-2"]])
    }

    @Test func onePostmortemPerDeployAndOneActionItemPerFinding() async throws {
        let configuration = try TestDatabase.fresh()
        try await DatabaseSchema.migrate(configuration)
        let connection = try await PostgresConnection.connect(configuration)
        let insertPostmortem =
            "INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, opened_at, updated_at) VALUES ($1, $2, 'api', 'prod', $3, 'sev2', now(), now())"
        let postmortem = UUID()
        try await connection.run {
            try $0.query(insertPostmortem, [postmortem, "deploy-1", ["rolled_back_automatically"]])
        }
        let duplicate = await #expect(throws: PostgresError.self) {
            try await connection.run { try $0.query(insertPostmortem, [UUID(), "deploy-1", ["failed"]]) }
        }
        #expect(duplicate?.constraint == "postmortems_deploy_id_key")

        let insertItem =
            "INSERT INTO action_items (action_item_id, postmortem_id, finding_key, kind, gate, title, description, created_at, updated_at) VALUES ($1, $2, $3, 'test', 'ci', 't', 'd', now(), now())"
        try await connection.run { try $0.query(insertItem, [UUID(), postmortem, "ci.coverage_gap"]) }
        let twice = await #expect(throws: PostgresError.self) {
            try await connection.run { try $0.query(insertItem, [UUID(), postmortem, "ci.coverage_gap"]) }
        }
        #expect(twice?.isUniqueViolation == true)
    }

    @Test func redeliveredMetricPointsAreNoOpsAndMonthlyPartitionsRoute() async throws {
        let configuration = try TestDatabase.fresh()
        try await DatabaseSchema.migrate(configuration)
        let connection = try await PostgresConnection.connect(configuration)
        let (count, partition) = try await connection.run { connection in
            let name = try connection.query("SELECT create_metric_samples_partition('2026-11-15')")[0].decode(
                String.self, at: 0)
            #expect(
                try connection.query("SELECT create_metric_samples_partition('2026-11-01')")[0].decode(
                    String.self, at: 0) == name)
            let insert = """
                INSERT INTO metric_samples (service, environment, metric, ts, value, labels)
                VALUES ('api', 'prod', 'error_rate', $1, 0.5, '{"pod":"a"}')
                ON CONFLICT DO NOTHING
                """
            let at = Date(timeIntervalSince1970: 1_795_714_918)
            try connection.query(insert, [at])
            try connection.query(insert, [at])
            let row = try connection.query("SELECT count(*), min(tableoid::regclass::text) FROM metric_samples")[0]
            return (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1))
        }
        #expect(count == 1)
        #expect(partition == "metric_samples_2026_11")
    }

    @Test func outboxInsertNotifiesTheRelayOnCommit() async throws {
        let configuration = try TestDatabase.fresh()
        try await DatabaseSchema.migrate(configuration)
        let listener = try await PostgresConnection.connect(configuration)
        try await listener.listen("outbox")
        let writer = try await PostgresConnection.connect(configuration)
        try await writer.transaction { connection in
            try connection.query(
                "INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ($1, 'postmortem.events', 'pm-1', '{}')",
                ["evt-1"])
        }
        var received: [PostgresNotification] = []
        for _ in 0..<50 where received.isEmpty {
            received = try await listener.waitForNotifications(timeout: .milliseconds(100))
        }
        #expect(received.map(\.channel) == ["outbox"])
    }
}
