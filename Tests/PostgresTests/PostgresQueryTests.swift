import Foundation
import Postgres
import TestSupport
import Testing

@Suite("PostgresQuery: interpolated values are bound")
struct PostgresQueryTests {
    /// The text values encode to, or "NULL".
    static func texts(_ query: PostgresQuery) -> [String] { query.binds.map { $0.postgresText ?? "NULL" } }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var query: PostgresQuery
        var sql: String
        var binds: [String]
        var testDescription: String { name }
    }

    static let owner = "ana'; DROP TABLE action_items; --"
    static let noStatus: String? = nil
    static let keyset: PostgresQuery = "(due_at, id) > (\(Date(timeIntervalSince1970: 0)), \("b1"))"

    static let cases: [Case] = [
        Case(name: "no values", query: "SELECT 1", sql: "SELECT 1", binds: []),
        Case(
            name: "each value is the next placeholder, in order",
            query: "SELECT * FROM t WHERE a = \(1) AND b = \("x") AND c = \(true)",
            sql: "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3", binds: ["1", "x", "t"]),
        Case(
            name: "a hostile string is a value, not SQL",
            query: "SELECT * FROM action_items WHERE owner = \(owner)",
            sql: "SELECT * FROM action_items WHERE owner = $1", binds: [owner]),
        Case(
            name: "a cast follows the placeholder; nil binds NULL",
            query: "SELECT \(noStatus)::text IS NULL", sql: "SELECT $1::text IS NULL", binds: ["NULL"]),
        Case(
            name: "arrays are one value",
            query: "SELECT \(["open", "in_progress"])::text[]", sql: "SELECT $1::text[]",
            binds: ["{\"open\",\"in_progress\"}"]),
        Case(
            name: "unescaped text is SQL and binds nothing",
            query: "SELECT \(unescaped: "a, b") FROM t WHERE a = \(7)", sql: "SELECT a, b FROM t WHERE a = $1",
            binds: ["7"]),
        Case(
            name: "a fragment's placeholders follow the ones before it",
            query: "SELECT * FROM t WHERE owner = \("ana") AND \(keyset) LIMIT \(51)",
            sql: "SELECT * FROM t WHERE owner = $1 AND (due_at, id) > ($2, $3) LIMIT $4",
            binds: ["ana", "1970-01-01 00:00:00.000000+00", "b1", "51"]),
        Case(
            name: "text with its own placeholders",
            query: PostgresQuery(unsafeSQL: "SELECT $1, $2", binds: [1, "two"]), sql: "SELECT $1, $2",
            binds: ["1", "two"]),
    ]

    @Test(arguments: cases)
    func interpolationBuildsPlaceholdersAndBinds(_ example: Case) {
        #expect(example.query.sql == example.sql)
        #expect(Self.texts(example.query) == example.binds)
    }

    @Test func descriptionNamesTheBindCountNeverTheValues() {
        let query: PostgresQuery = "SELECT \("s3cret")"
        #expect(query.description == "SELECT $1 [1 binds]")
    }

    @Test func boundValuesReachTheServerAsData() async throws {
        let connection = try await TestDatabase.connection()
        let fragment: PostgresQuery = "v > \(1)"
        let rows = try await connection.run { connection in
            try connection.query("CREATE TEMP TABLE notes (v int, owner text)")
            try connection.query(
                "INSERT INTO notes VALUES (\(1), \(Self.owner)), (\(2), \(Self.owner)), (\(3), \("bo"))")
            return try connection.query("SELECT v FROM notes WHERE owner = \(Self.owner) AND \(fragment) ORDER BY v")
                .map { try $0.decode(Int.self, at: 0) }
        }
        #expect(rows == [2])
        let stillThere = try await connection.run {
            try $0.query("SELECT count(*) FROM notes")[0].decode(Int.self, at: 0)
        }
        #expect(stillThere == 3)
    }
}
