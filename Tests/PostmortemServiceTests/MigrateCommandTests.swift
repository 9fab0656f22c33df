import Foundation
import Postgres
import Testing
import TestSupport

/// `deploy-postmortem migrate` run as a real process.
@Suite("migrate command")
struct MigrateCommandTests {
    static func migrate(_ arguments: [String], environment: [String: String] = [:]) throws -> BuiltProducts.Outcome {
        try BuiltProducts.runDeployPostmortem(["migrate"] + arguments, environment: environment)
    }

    @Test func appliesTheSchemaFromDatabaseURLAndIsIdempotent() async throws {
        let configuration = try TestDatabase.fresh()
        let first = try Self.migrate([], environment: ["DATABASE_URL": configuration.connectionString])
        #expect(first.status == 0, "\(first.combined)")
        #expect(first.combined.contains("applied=[\"1_initial\"]"))
        let second = try Self.migrate(["--database-url", configuration.connectionString])
        #expect(second.status == 0)
        #expect(second.combined.contains("applied=[]"))

        let connection = try await PostgresConnection.connect(configuration)
        let versions = try await connection.run { try $0.query("SELECT version FROM schema_migrations").map { try $0.decode(Int.self, at: 0) } }
        #expect(versions == [1])
    }

    @Test func unreachableDatabaseExitsNonZeroWithTheReasonAndNoPassword() throws {
        let outcome = try Self.migrate(["--database-url", "postgresql://postgres:hunter2@127.0.0.1:1/postgres"])
        #expect(outcome.status == 1)
        #expect(outcome.combined.contains("could not connect to PostgreSQL at postgres@127.0.0.1:1/postgres"))
        #expect(!outcome.combined.contains("hunter2"))
    }
}
