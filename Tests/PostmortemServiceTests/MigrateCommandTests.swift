import Foundation
import Postgres
import PostmortemService
import TestSupport
import Testing

/// `deploy-postmortem migrate` run as a real process.
@Suite("migrate command")
struct MigrateCommandTests {
    static func migrate(_ arguments: [String], environment: [String: String] = [:]) throws -> BuiltProducts.Outcome {
        try BuiltProducts.runDeployPostmortem(["migrate"] + arguments, environment: environment)
    }

    /// The "migrations finished" record of the process's JSON-lines log (standard error is not a terminal).
    static func finishedRecord(_ outcome: BuiltProducts.Outcome) throws -> [String: String] {
        let records = try outcome.standardError.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                "not a JSON log line: \(line)")
        }
        return try #require(records.first { $0["msg"] == "migrations finished" })
    }

    @Test func appliesTheSchemaFromDatabaseURLAndIsIdempotent() async throws {
        let configuration = try TestDatabase.fresh()
        let shipped = try DatabaseSchema.migrations()
        #expect(shipped.map(\.version) == Array(1...shipped.count), "migrations are numbered 1, 2, … without gaps")
        let first = try Self.migrate([], environment: ["DATABASE_URL": configuration.connectionString])
        #expect(first.status == 0, "\(first.combined)")
        #expect(try Self.finishedRecord(first)["applied"] == "\(shipped.map { "\($0.version)_\($0.name)" })")
        let second = try Self.migrate(["--database-url", configuration.connectionString])
        #expect(second.status == 0)
        #expect(try Self.finishedRecord(second)["applied"] == "[]")

        let connection = try await PostgresConnection.connect(configuration)
        let versions = try await connection.run {
            try $0.query("SELECT version FROM schema_migrations").map { try $0.decode(Int.self, at: 0) }
        }
        #expect(versions.sorted() == shipped.map(\.version))
    }

    @Test func unreachableDatabaseExitsNonZeroWithTheReasonAndNoPassword() throws {
        let outcome = try Self.migrate(["--database-url", "postgresql://postgres:hunter2@127.0.0.1:1/postgres"])
        #expect(outcome.status == 1)
        #expect(outcome.combined.contains("could not connect to PostgreSQL at postgres@127.0.0.1:1/postgres"))
        #expect(!outcome.combined.contains("hunter2"))
    }
}
