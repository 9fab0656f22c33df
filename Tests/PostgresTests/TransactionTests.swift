import Postgres
import TestSupport
import Testing

@Suite("Transactions and server errors")
struct TransactionTests {
    struct Abort: Error {}

    @Test func thrownErrorRollsBackTheTransaction() async throws {
        let connection = try await TestDatabase.connection()
        try await connection.run { try $0.query("CREATE TABLE ledger (id int PRIMARY KEY)") }
        await #expect(throws: Abort.self) {
            try await connection.transaction { connection in
                try connection.query("INSERT INTO ledger VALUES (1), (2)")
                throw Abort()
            }
        }
        let count = try await connection.run { try $0.query("SELECT count(*) FROM ledger")[0].decode(Int.self, at: 0) }
        #expect(count == 0)
        // The connection is usable again and commits normally.
        try await connection.transaction { try $0.query("INSERT INTO ledger VALUES (3)") }
        let ids = try await connection.run {
            try $0.query("SELECT id FROM ledger").map { try $0.decode(Int.self, at: 0) }
        }
        #expect(ids == [3])
    }

    @Test func uniqueViolationCarriesSQLStateDetailAndConstraint() async throws {
        let connection = try await TestDatabase.connection()
        try await connection.run {
            try $0.query("CREATE TABLE postmortems (deploy_id text CONSTRAINT one_per_deploy UNIQUE)")
        }
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.query("INSERT INTO postmortems VALUES ($1)", ["d-1"])
                try connection.query("INSERT INTO postmortems VALUES ($1)", ["d-1"])
            }
        }
        #expect(error?.kind == .server)
        #expect(error?.sqlState == "23505")
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "one_per_deploy")
        #expect(error?.detail == "Key (deploy_id)=(d-1) already exists.")
        let count = try await connection.run {
            try $0.query("SELECT count(*) FROM postmortems")[0].decode(Int.self, at: 0)
        }
        #expect(count == 0)
    }

    @Test func syntaxErrorNamesTheProblem() async throws {
        let connection = try await TestDatabase.connection()
        let error = await #expect(throws: PostgresError.self) {
            try await connection.run { try $0.query("SELEC 1") }
        }
        #expect(error?.sqlState == "42601")
        #expect(error?.description == "PostgreSQL server error [42601]: syntax error at or near \"SELEC\"")
    }

    @Test func nestedTransactionIsRejected() async throws {
        let connection = try await TestDatabase.connection()
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.transaction { _ in }
            }
        }
        #expect(error?.kind == .client)
    }
}
