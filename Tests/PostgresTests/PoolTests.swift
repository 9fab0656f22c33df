import LocalPostgres
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite("Connection pool")
struct PoolTests {
    /// The server process behind a connection, asked of the server (a real round trip).
    static let serverPID: @Sendable (isolated PostgresConnection) throws -> Int32 = { connection in
        try connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
    }

    @Test func reusesConnections() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.fresh(), maxConnections: 4)
        let first = try await pool.withConnection(Self.serverPID)
        let second = try await pool.withConnection(Self.serverPID)
        #expect(first == second)
        #expect(await pool.openConnections == 1)
        await pool.close()
    }

    @Test func neverOpensMoreThanTheBound() async throws {
        let configuration = try TestDatabase.fresh()
        let pool = PostgresPool(configuration: configuration, maxConnections: 3)
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try connection.query("SELECT pg_sleep(0.05)")
                        return try connection.backendPID()
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count <= 3)
        #expect(await pool.openConnections <= 3)
        await pool.close()
    }

    @Test func terminatedConnectionIsReplacedTransparently() async throws {
        let configuration = try TestDatabase.fresh()
        let pool = PostgresPool(configuration: configuration, maxConnections: 1)
        let victim = try await pool.withConnection(Self.serverPID)
        let admin = try await PostgresConnection.connect(configuration)
        let terminated = try await admin.run {
            try $0.query("SELECT pg_terminate_backend($1)", [victim])[0].decode(Bool.self, at: 0)
        }
        #expect(terminated)
        // No error reaches the caller: the dead connection is detected and replaced.
        let replacement = try await pool.withConnection(Self.serverPID)
        #expect(replacement != victim)
        #expect(await pool.openConnections == 1)
        await pool.close()
    }

    @Test func recoversAfterServerRestart() async throws {
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: cluster.url()), maxConnections: 2)
        try await pool.withConnection { try $0.query("CREATE TABLE survived (v int)") }

        try cluster.pause()
        let duringOutage = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try $0.query("SELECT 1") }
        }
        #expect(duringOutage?.isConnectionFailure == true)
        try cluster.resume()

        let count = try await pool.withConnection {
            try $0.query("SELECT count(*) FROM survived")[0].decode(Int.self, at: 0)
        }
        #expect(count == 0)
        await pool.close()
    }

    @Test func closedPoolRefusesWork() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.fresh(), maxConnections: 1)
        await pool.close()
        let error = await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in } }
        #expect(error?.message == "the connection pool is closed")
    }
}
