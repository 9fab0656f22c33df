import Foundation
import Postgres
import PostmortemCore
import TestSupport
import Testing

@testable import PostmortemService

/// The healthy history read from PostgreSQL against the rule `analyze` applies in memory
/// (``HealthyHistory``), on a database whose default collation is not byte order.
@Suite("Healthy history on PostgreSQL")
struct HealthyHistoryReaderTests {
    /// Deploys started at the same time are ordered by deploy ID as Swift compares strings (code
    /// point order), not by the database's collation: in en-US, `deploy-a` sorts before
    /// `Deploy-b`; in code point order, after it.
    @Test func deploysStartedTogetherAreOrderedByCodePointWhateverTheCollation() async throws {
        let name = "history_icu_\(getpid())"
        try TestDatabase.cluster.psql(
            "CREATE DATABASE \"\(name)\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        let database = PostgresConfiguration(connectionString: TestDatabase.cluster.url(database: name))
        try await DatabaseSchema.migrate(database)
        let pool = PostgresPool(configuration: database, maxConnections: 1)
        var config = AnalysisConfig()
        config.healthyDeploys = 1
        let deploys = DeployRepository(
            decoder: EventDecoder(), attributor: Attributor(window: config.attributionWindow))
        let reader = HealthyHistoryReader(events: deploys, config: config)
        func event(_ type: String, _ id: String, _ data: String) throws -> AcceptedEvent {
            try UseCaseTests.accepted(
                #"{"specversion":"1.0","id":"\#(id)","source":"/t","type":"io.deploypostmortem.\#(type)","data":{\#(data)}}"#
            )
        }
        func started(_ deployId: String, at time: String) throws -> AcceptedEvent {
            try event(
                "deploy.started.v1", "\(deployId)-s",
                #""deployId":"\#(deployId)","service":"api","environment":"prod","startedAt":"\#(time)""#)
        }
        func succeeded(_ deployId: String) throws -> AcceptedEvent {
            try event(
                "deploy.finished.v1", "\(deployId)-f",
                #""deployId":"\#(deployId)","outcome":"succeeded","finishedAt":"2026-11-26T10:30:00Z""#)
        }
        let healthy = ["Deploy-b", "deploy-a"]
        let batch =
            try healthy.flatMap { [try started($0, at: "2026-11-26T10:00:00Z"), try succeeded($0)] }
            + [try started("later", at: "2026-11-26T11:00:00Z")]

        let (collationDiffers, read, all) = try await pool.withConnection { connection in
            let collationDiffers = try connection.query("SELECT 'deploy-a' < 'Deploy-b'")[0].decode(Bool.self, at: 0)
            _ = try deploys.insert(batch, on: connection)
            let timelines = try deploys.timelines(of: healthy + ["later"], on: connection)
            try deploys.recordDeploys(timelines.values, on: connection)
            let later = timelines["later"]!
            let read = try reader.history(for: later, metrics: ["http_error_rate"], on: connection)
            return (
                collationDiffers, read.deploys(before: later, limit: 1).map(\.deployId),
                HealthyHistory(candidates: timelines.values, series: []).deploys(before: later, limit: 1).map(
                    \.deployId)
            )
        }
        #expect(collationDiffers, "the database sorts deploy-a first, unlike Swift")
        #expect(all == ["deploy-a"], "analyze: the later of the two in code point order")
        #expect(read == all)
        await pool.close()
    }
}
