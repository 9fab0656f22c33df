import Postgres

/// Whether the database answers (readiness).
enum DatabaseHealth {
    /// Runs the cheapest statement; throws when the database does not answer.
    static func ping(on connection: isolated PostgresConnection) throws {
        try connection.query("SELECT 1")
    }
}
