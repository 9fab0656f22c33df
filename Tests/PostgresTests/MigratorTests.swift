import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Migrator")
struct MigratorTests {
    /// Migrations that fail if run twice (CREATE TABLE) and count their own runs.
    static let migrations = [
        Migration(version: 1, name: "runs", sql: "CREATE TABLE runs (version int); INSERT INTO runs VALUES (1);"),
        Migration(
            version: 2, name: "widgets",
            sql: "CREATE TABLE widgets (id int); INSERT INTO runs VALUES (2); SELECT pg_sleep(0.2);"),
        Migration(version: 3, name: "gadgets", sql: "CREATE TABLE gadgets (id int); INSERT INTO runs VALUES (3);"),
    ]

    static func runs(_ configuration: PostgresConfiguration) async throws -> [Int] {
        let connection = try await PostgresConnection.connect(configuration)
        return try await connection.run {
            try $0.query("SELECT version FROM runs ORDER BY version").map { try $0.decode(Int.self, at: 0) }
        }
    }

    @Test func appliesInOrderOnceAndSecondRunIsANoOp() async throws {
        let configuration = try TestDatabase.fresh()
        let migrator = Migrator(migrations: Self.migrations.reversed())
        let first = try await migrator.migrate(configuration)
        #expect(first.map(\.version) == [1, 2, 3])
        let second = try await migrator.migrate(configuration)
        #expect(second.isEmpty)
        #expect(try await Self.runs(configuration) == [1, 2, 3])
    }

    @Test func concurrentMigratorsApplyEachMigrationExactlyOnce() async throws {
        let configuration = try TestDatabase.fresh()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask { try await Migrator(migrations: Self.migrations).migrate(configuration).map(\.version) }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1, 2, 3])
        #expect(try await Self.runs(configuration) == [1, 2, 3])
    }

    @Test func laterMigrationsApplyOnTopOfEarlierOnes() async throws {
        let configuration = try TestDatabase.fresh()
        try await Migrator(migrations: Array(Self.migrations.prefix(1))).migrate(configuration)
        let applied = try await Migrator(migrations: Self.migrations).migrate(configuration)
        #expect(applied.map(\.version) == [2, 3])
    }

    @Test func editedMigrationIsRefused() async throws {
        let configuration = try TestDatabase.fresh()
        try await Migrator(migrations: Self.migrations).migrate(configuration)
        var edited = Self.migrations
        edited[1].sql += " -- edited"
        let error = await #expect(throws: PostgresError.self) {
            try await Migrator(migrations: edited).migrate(configuration)
        }
        #expect(error?.message.hasPrefix("migration 2_widgets was changed after it was applied") == true)
    }

    @Test func failingMigrationRollsBackAndIsNotRecorded() async throws {
        let configuration = try TestDatabase.fresh()
        let broken =
            Self.migrations + [
                Migration(version: 4, name: "broken", sql: "CREATE TABLE half (id int); SELECT * FROM missing_table;")
            ]
        let error = await #expect(throws: PostgresError.self) {
            try await Migrator(migrations: broken).migrate(configuration)
        }
        #expect(error?.sqlState == "42P01")
        let connection = try await PostgresConnection.connect(configuration)
        let state = try await connection.run { connection in
            (
                try connection.query("SELECT max(version) FROM schema_migrations")[0].decode(Int.self, at: 0),
                try connection.query("SELECT to_regclass('half') IS NULL")[0].decode(Bool.self, at: 0)
            )
        }
        #expect(state.0 == 3)
        #expect(state.1)
    }

    @Test func loadsNumberedFilesAndRejectsBadNames() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 2;".write(
            to: directory.appendingPathComponent("0010_second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(
            to: directory.appendingPathComponent("0002_first_one.sql"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let loaded = try Migration.load(from: directory)
        #expect(loaded.map(\.version) == [2, 10])
        #expect(loaded.map(\.name) == ["first_one", "second"])
        try "SELECT 3;".write(to: directory.appendingPathComponent("third.sql"), atomically: true, encoding: .utf8)
        #expect(throws: PostgresError.self) { try Migration.load(from: directory) }
    }
}
