import ArgumentParser
import Foundation
import Logging
import Postgres
import PostmortemService

/// `deploy-postmortem migrate`: applies pending schema migrations, then exits.
/// Safe to run from several replicas or jobs at once (advisory-locked).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations and exit."
    )

    @Option(
        name: .customLong("database-url"),
        help: "libpq URL or conninfo (default: DATABASE_URL, DATABASE_URL_FILE, then PG* variables).")
    var databaseURL: String?

    func run() async throws {
        let logging = LogSetup.bootstrap()
        let logger = Logger(label: "deploy-postmortem.migrate")
        do {
            if let logging { throw logging }
            var configuration = try ServiceConfiguration.database(fromEnvironment: ProcessInfo.processInfo.environment)
            if let databaseURL { configuration.connectionString = databaseURL }
            let target = try configuration.redacted()
            let applied = try await DatabaseSchema.migrate(configuration)
            logger.info(
                "migrations finished",
                metadata: ["database": "\(target)", "applied": "\(applied.map { "\($0.version)_\($0.name)" })"])
        } catch {
            logger.error("migration failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
