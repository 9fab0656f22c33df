import Foundation
import TestSupport
import Testing

/// `deploy-postmortem config check` run as a real process, with nothing but the environment it
/// is given (and the files that environment names), as in a container.
@Suite("config check command")
struct ConfigCheckCommandTests {
    /// A temporary directory of mounted-secret-like files.
    final class Files {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "config-check-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Writes `text` to `name` and returns its path.
        func write(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        /// A path in the directory that does not exist.
        func missing(_ name: String) -> String { directory.appendingPathComponent("absent-\(name)").path }
    }

    static let digests = (String(repeating: "ab", count: 32), String(repeating: "cd", count: 32))

    /// What the Helm chart's production values give the container: SASL_SSL with a mounted
    /// password and CA, the database URL, tokens and ownership map as files.
    static func production(_ files: Files) throws -> [String: String] {
        [
            "DATABASE_URL_FILE": try files.write(
                "url", "postgresql://postmortem:db-password-1@db.example.internal:5432/postmortem\n"),
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": try files.write("db-ca.crt", "-----BEGIN CERTIFICATE-----\n"),
            "KAFKA_BOOTSTRAP_SERVERS": "kafka-0.example.internal:9093",
            "KAFKA_GROUP_ID": "deploy-postmortem",
            "KAFKA_CLIENT_ID": "deploy-postmortem-7d9f-abcde",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "deploy-postmortem",
            "KAFKA_SASL_PASSWORD_FILE": try files.write("sasl-password", "kafka-password-1\n"),
            "KAFKA_SSL_CA_LOCATION": try files.write("kafka-ca.crt", "-----BEGIN CERTIFICATE-----\n"),
            "KAFKA_SESSION_TIMEOUT_MS": "45000",
            "API_TOKENS_FILE": try files.write(
                "tokens", "ci-bot:write:sha256:\(digests.0)\ndashboards:read:sha256:\(digests.1.uppercased())\n"),
            "OWNERSHIP_MAP_FILE": try files.write("ownership.json", #"{"checkout": "team-payments"}"#),
            "ANALYSIS_BASELINE_WINDOW_SECONDS": "3600",
            "ANALYSIS_RELATIVE_MARGIN": "0.1",
            "LOG_FORMAT": "json",
        ]
    }

    static func check(_ environment: [String: String]) throws -> BuiltProducts.Outcome {
        try BuiltProducts.runDeployPostmortem(["config", "check"], environment: environment, inheriting: false)
    }

    static func lines(_ outcome: BuiltProducts.Outcome) -> [String] {
        outcome.standardOutput.split(separator: "\n").map(String.init)
    }

    @Test func aValidConfigurationIsOK() throws {
        let files = try Files()
        let outcome = try Self.check(try Self.production(files))
        #expect(outcome.status == 0, "\(outcome.combined)")
        #expect(outcome.standardOutput == "configuration ok\n")
    }

    /// The ownership map the chart's production example used to ship: serve refuses it at start.
    @Test func aNestedOwnershipMapIsRefused() throws {
        let files = try Files()
        var environment = try Self.production(files)
        environment["OWNERSHIP_MAP_FILE"] = try files.write(
            "nested.json", #"{"services": {"checkout": "team-payments"}}"#)
        let outcome = try Self.check(environment)
        #expect(outcome.status == 1)
        #expect(
            Self.lines(outcome) == [
                "OWNERSHIP_MAP_FILE \(environment["OWNERSHIP_MAP_FILE"]!): expected a JSON object of service → team"
            ])
    }

    /// Every problem is reported, one line each, each starting with the variable it concerns.
    @Test func everyProblemIsOneLineNamingItsVariable() throws {
        let files = try Files()
        var environment = try Self.production(files)
        environment["ANALYSIS_BASELINE_WINDOW_SECONDS"] = "30"
        environment["ANALYSIS_RELATIVE_MARGIN"] = "150"
        environment["HTTP_PORT"] = "http"
        environment["OWNERSHIP_MAP_FILE"] = files.missing("ownership.json")
        environment["API_TOKENS_FILE"] = files.missing("tokens")
        environment["DATABASE_URL_FILE"] = files.missing("url")
        environment["KAFKA_SSL_CA_LOCATION"] = files.missing("kafka-ca.crt")
        environment["KAFKA_SESSION_TIMEOUT_MS"] = "soon"
        environment["KAFKA_NO_SUCH_PROPERTY"] = "1"
        environment["LOG_LEVEL"] = "verbose"
        environment["EVENT_SOURCE"] = "deploy postmortem"
        environment["PUBLIC_UI_URL"] = "ui.example.com"
        let outcome = try Self.check(environment)
        #expect(outcome.status == 1)
        let lines = Self.lines(outcome)
        #expect(
            lines.first == "LOG_LEVEL=verbose: expected one of trace, debug, info, notice, warning, error, critical")
        let expected = [
            "LOG_LEVEL", "EVENT_SOURCE", "PUBLIC_UI_URL", "ANALYSIS_BASELINE_WINDOW_SECONDS",
            "ANALYSIS_RELATIVE_MARGIN", "HTTP_PORT", "OWNERSHIP_MAP_FILE",
            "API_TOKENS_FILE", "DATABASE_URL_FILE", "KAFKA_SSL_CA_LOCATION", "KAFKA_SESSION_TIMEOUT_MS",
            "KAFKA_NO_SUCH_PROPERTY",
        ]
        #expect(lines.count == expected.count, "\(outcome.standardOutput)")
        for variable in expected {
            #expect(
                lines.contains {
                    $0.hasPrefix(variable + "=") || $0.hasPrefix(variable + ":") || $0.hasPrefix(variable + " ")
                },
                "no line names \(variable): \(outcome.standardOutput)")
        }
        // Reported once, not again as "missing" after being set aside.
        #expect(!outcome.standardOutput.contains("DATABASE_URL: not set"))
    }

    @Test func missingTargetsAndCredentialsAreProblems() throws {
        let outcome = try Self.check([
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "KAFKA_SASL_USERNAME": "svc",
        ])
        #expect(outcome.status == 1)
        #expect(
            Self.lines(outcome) == [
                "KAFKA_BOOTSTRAP_SERVERS: not set; serve would never reach a broker",
                "KAFKA_SASL_PASSWORD: not set (nor KAFKA_SASL_PASSWORD_FILE), but SASL SCRAM-SHA-256 needs it",
                "DATABASE_URL: not set (nor DATABASE_URL_FILE, PGHOST or PGSERVICE); serve would try a local socket",
            ])
    }

    /// Passwords, tokens and database URLs never reach the output, even when they are the problem.
    @Test func secretsAreNeverPrinted() throws {
        let files = try Files()
        var environment = try Self.production(files)
        environment["DATABASE_URL_FILE"] = nil
        environment["DATABASE_URL"] = "host=db user=postmortem password=db-password-2 sslmode"
        environment["API_TOKENS"] = "ops:admin:plain-token-3"
        environment["KAFKA_SASL_PASSWORD_FILE"] = nil
        environment["KAFKA_SASL_PASSWORD"] = "kafka-password-4"
        environment["KAFKA_ENABLE_IDEMPOTENCE"] = "maybe"
        let outcome = try Self.check(environment)
        #expect(outcome.status == 1)
        let lines = Self.lines(outcome)
        #expect(lines.count == 3, "\(outcome.standardOutput)")
        #expect(lines.contains { $0.hasPrefix("DATABASE_URL: not a valid libpq URL") })
        #expect(lines.contains { $0.hasPrefix("API_TOKENS") })
        #expect(lines.contains { $0.hasPrefix("KAFKA_ENABLE_IDEMPOTENCE: ") })
        for secret in ["db-password", "plain-token-3", "kafka-password", "postmortem password"] {
            #expect(!outcome.combined.contains(secret), "\(secret) printed: \(outcome.combined)")
        }
    }
}
