import Foundation
import Postgres
import Testing
import TestSupport

/// `deploy-postmortem migrate` run as a real process.
@Suite("migrate command")
struct MigrateCommandTests {
    struct Outcome {
        var status: Int32
        var output: String
    }

    static func migrate(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = BuiltProducts.executable("deploy-postmortem")
        process.arguments = ["migrate"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test func appliesTheSchemaFromDatabaseURLAndIsIdempotent() async throws {
        let configuration = try TestDatabase.fresh()
        let first = try Self.migrate([], environment: ["DATABASE_URL": configuration.connectionString])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("applied=[\"1_initial\"]"))
        let second = try Self.migrate(["--database-url", configuration.connectionString])
        #expect(second.status == 0)
        #expect(second.output.contains("applied=[]"))

        let connection = try await PostgresConnection.connect(configuration)
        let versions = try await connection.run { try $0.query("SELECT version FROM schema_migrations").map { try $0.decode(Int.self, at: 0) } }
        #expect(versions == [1])
    }

    @Test func unreachableDatabaseExitsNonZeroWithTheReasonAndNoPassword() throws {
        let outcome = try Self.migrate(["--database-url", "postgresql://postgres:hunter2@127.0.0.1:1/postgres"])
        #expect(outcome.status == 1)
        #expect(outcome.output.contains("could not connect to PostgreSQL at postgres@127.0.0.1:1/postgres"))
        #expect(!outcome.output.contains("hunter2"))
    }
}
