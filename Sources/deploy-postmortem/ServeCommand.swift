import ArgumentParser
import Foundation
import Logging
import PostmortemService

/// `deploy-postmortem serve`: runs the service until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Consume deploy, rollback and metric events and open postmortems.",
        discussion: "Configured by environment variables; see the README's configuration table. Flags override them."
    )

    @Option(
        name: .customLong("database-url"),
        help: "libpq URL or conninfo (default: DATABASE_URL, DATABASE_URL_FILE, then PG*).")
    var databaseURL: String?

    @Option(name: .customLong("bootstrap-servers"), help: "Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS).")
    var bootstrapServers: String?

    @Option(name: .customLong("group-id"), help: "Consumer group (default: KAFKA_GROUP_ID or deploy-postmortem).")
    var groupID: String?

    @Option(
        name: .customLong("http-port"),
        help: "Port of the HTTP server: probes, metrics, /v1 API (default: HTTP_PORT or 8080).")
    var httpPort: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Apply pending migrations before consuming (advisory-locked; safe with many replicas).")
    var migrate = true

    func validate() throws {
        if let httpPort, !(0...65_535).contains(httpPort) {
            throw ValidationError("--http-port: expected 0...65535, got \(httpPort)")
        }
    }

    func run() async throws {
        let logging = LogSetup.bootstrap()
        let logger = Logger(label: "deploy-postmortem")
        let options = (databaseURL, bootstrapServers, groupID, httpPort, migrate)
        do {
            if let logging { throw logging }
            // Trapped before the first log line: a SIGTERM during start-up stops it gracefully.
            try await ShutdownSignals.run(logger: logger) {
                let (databaseURL, bootstrapServers, groupID, httpPort, migrate) = options
                var configuration = try ServiceConfiguration.fromEnvironment()
                if let databaseURL { configuration.database.connection.connectionString = databaseURL }
                if let bootstrapServers { configuration.kafka.bootstrapServers = bootstrapServers }
                if let groupID { configuration.kafka.groupID = groupID }
                if let httpPort { configuration.http.port = httpPort }
                if migrate { try await DatabaseSchema.migrate(configuration.database.connection) }
                let server = try PostmortemServer(configuration: configuration, logger: logger)
                let database = try configuration.database.connection.redacted()
                logger.info(
                    "serving",
                    metadata: [
                        "version": "\(ProductVersion.current)", "database": "\(database)",
                        "kafka": "\(configuration.kafka)",
                        "api_tokens": "\(configuration.api.tokens.names.joined(separator: ","))",
                    ])
                try await server.run(handlesSignals: false)
            }
            logger.info("stopped", metadata: ["version": "\(ProductVersion.current)"])
        } catch {
            logger.critical("deploy-postmortem serve failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
