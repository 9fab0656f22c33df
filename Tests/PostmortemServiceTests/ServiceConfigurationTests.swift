import Foundation
import Postgres
import PostmortemCore
import PostmortemService
import Testing

@Suite("Service configuration from the environment")
struct ServiceConfigurationTests {
    @Test func defaultsWithOnlyTheRequiredSettings() throws {
        let configuration = try ServiceConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://db/app", "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
        ])
        #expect(configuration.database.connection.connectionString == "postgresql://db/app")
        #expect(configuration.kafka.bootstrapServers == "k:9092")
        #expect(configuration.kafka.groupID == "deploy-postmortem")
        #expect(configuration.topics == ServiceConfiguration.Topics())
        #expect(configuration.topics.inputs == ["deploy.events", "deploy.rollbacks", "deploy.metrics"])
        #expect(configuration.http.port == 8080)
        #expect(configuration.jobs.overdueSweepInterval == .seconds(60))
        #expect(configuration.shutdownTimeout == .seconds(45))
        #expect(configuration.analysis.baselineWindow == 3600)
        #expect(configuration.analysis.healthyDeploys == 20 && configuration.analysis.gateEvaluation == nil)
        #expect(configuration.http.limits == ServiceConfiguration.HTTPLimits())
        #expect(
            configuration.http.limits.headerTimeout == .seconds(10)
                && configuration.http.limits.bodyTimeout == .seconds(30))
        #expect(
            configuration.http.limits.idleTimeout == .seconds(75) && configuration.http.limits.maxConnections == 4096)
        #expect(configuration.outputEvents.source == "/deploy-postmortem")
        #expect(configuration.outputEvents.schemaBase == "https://deploy-postmortem.dev/schemas/events/")
        #expect(configuration.outputEvents.apiBaseURL == nil && configuration.outputEvents.uiBaseURL == nil)
    }

    /// The chart's values, its README, the kustomize base and the README's configuration table
    /// state the topic defaults `ServiceConfiguration.Topics` holds (the one source of truth).
    @Test func deploymentFilesAndDocsStateTheServicesTopicDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func text(_ path: String) throws -> String {
            try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        let topics = ServiceConfiguration.Topics()
        // (chart value key, environment variable, default)
        let expected = [
            ("deploys", "TOPIC_DEPLOYS", topics.deploys), ("rollbacks", "TOPIC_ROLLBACKS", topics.rollbacks),
            ("metrics", "TOPIC_METRICS", topics.metrics), ("postmortems", "TOPIC_POSTMORTEMS", topics.postmortems),
            ("actionItems", "TOPIC_ACTION_ITEMS", topics.actionItems), ("dlq", "TOPIC_DLQ", topics.deadLetter),
        ]

        let values = try text("charts/deploy-postmortem/values.yaml").split(separator: "\n").map(String.init)
        let block = try #require(values.firstIndex(of: "  topics:"), "values.yaml has kafka.topics")
        var chart: [String: String] = [:]
        for line in values[(block + 1)...] {
            guard line.hasPrefix("    "), let colon = line.firstIndex(of: ":") else { break }
            chart[line[..<colon].trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        #expect(chart == Dictionary(uniqueKeysWithValues: expected.map { ($0.0, $0.2) }))

        let chartReadme = try text("charts/deploy-postmortem/README.md")
        let kustomize = Set(try text("deploy/kubernetes/base/config.env").split(separator: "\n").map(String.init))
        for (key, variable, name) in expected {
            #expect(
                chartReadme.contains("| `kafka.topics.\(key)` | `\(name)` | `\(variable)`"),
                "chart README, kafka.topics.\(key)")
            #expect(kustomize.contains("\(variable)=\(name)"), "config.env, \(variable)")
        }
        let readme = try text("README.md")
        for row in [expected[0..<3], expected[3..<6]] {
            let line =
                "| " + row.map { "`\($0.1)`" }.joined(separator: " / ") + " | "
                + row.map { "`\($0.2)`" }.joined(separator: " / ") + " |"
            #expect(readme.contains(line), "README: \(line)")
        }
    }

    @Test func everySettingIsRead() throws {
        let ownership = FileManager.default.temporaryDirectory.appendingPathComponent("ownership-\(UUID()).json")
        try #"{"checkout": "payments"}"#.write(to: ownership, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: ownership) }
        let configuration = try ServiceConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://db/app", "KAFKA_GROUP_ID": "g", "KAFKA_SESSION_TIMEOUT_MS": "7000",
            "TOPIC_DEPLOYS": "d", "TOPIC_ROLLBACKS": "r", "TOPIC_METRICS": "m", "TOPIC_POSTMORTEMS": "p",
            "TOPIC_ACTION_ITEMS": "a", "TOPIC_DLQ": "x", "DATABASE_POOL_SIZE": "3", "HTTP_PORT": "9000",
            "HTTP_HOST": "127.0.0.1", "OVERDUE_SWEEP_INTERVAL_SECONDS": "30", "SHUTDOWN_TIMEOUT_SECONDS": "25",
            "HTTP_HEADER_TIMEOUT_SECONDS": "5", "HTTP_BODY_TIMEOUT_SECONDS": "20", "HTTP_IDLE_TIMEOUT_SECONDS": "120",
            "HTTP_MAX_CONNECTIONS": "1000",
            "ANALYSIS_BASELINE_WINDOW_SECONDS": "1800", "ANALYSIS_GRACE_SECONDS": "60",
            "ANALYSIS_RELATIVE_MARGIN": "0.5",
            "ANALYSIS_ABSOLUTE_MARGIN": "2", "ATTRIBUTION_WINDOW_SECONDS": "600", "DETECTION_TARGET_SECONDS": "120",
            "OWNERSHIP_MAP_FILE": ownership.path, "ANALYSIS_HEALTHY_DEPLOYS": "50",
            "ANALYSIS_GATE_EVALUATION": "interval=30, lookback=300,aggregation=worst,failures=2",
            "EVENT_SOURCE": "urn:example:deploy-postmortem:prod",
            "EVENT_DATASCHEMA_BASE_URL": "https://schemas.example.com/events",
            "PUBLIC_API_URL": "https://pm.example.com/", "PUBLIC_UI_URL": "http://ui.example.com:8080/base",
        ])
        #expect(configuration.kafka.groupID == "g")
        #expect(configuration.kafka["session.timeout.ms"] == "7000")
        #expect(
            [
                configuration.topics.deploys, configuration.topics.rollbacks, configuration.topics.metrics,
                configuration.topics.postmortems, configuration.topics.actionItems, configuration.topics.deadLetter,
            ]
                == ["d", "r", "m", "p", "a", "x"])
        #expect(configuration.database.poolSize == 3)
        #expect(configuration.http.port == 9000 && configuration.http.host == "127.0.0.1")
        #expect(configuration.jobs.overdueSweepInterval == .seconds(30))
        #expect(configuration.shutdownTimeout == .seconds(25))
        #expect(
            [
                configuration.http.limits.headerTimeout, configuration.http.limits.bodyTimeout,
                configuration.http.limits.idleTimeout,
            ]
                == [.seconds(5), .seconds(20), .seconds(120)])
        #expect(configuration.http.limits.maxConnections == 1000)
        let analysis = configuration.analysis
        #expect(
            [
                analysis.baselineWindow, analysis.rollbackGrace, analysis.relativeMargin, analysis.absoluteMargin,
                analysis.attributionWindow, analysis.detectionTarget,
            ] == [1800, 60, 0.5, 2, 600, 120])
        #expect(analysis.ownership == ["checkout": "payments"])
        #expect(analysis.healthyDeploys == 50)
        #expect(
            analysis.gateEvaluation
                == GateEvaluation(interval: 30, lookback: 300, aggregation: .worst, failuresToTrip: 2))
        #expect(configuration.outputEvents.source == "urn:example:deploy-postmortem:prod")
        #expect(configuration.outputEvents.schemaBase == "https://schemas.example.com/events/")
        #expect(configuration.outputEvents.apiBaseURL == "https://pm.example.com")
        #expect(configuration.outputEvents.uiBaseURL == "http://ui.example.com:8080/base")
    }

    /// CloudEvents `source` is a URI-reference (RFC 3986): relative references and URNs too.
    @Test(arguments: [
        "/deploy-postmortem", "deploy-postmortem", "urn:acme:deploy-postmortem:prod",
        "https://acme.example/pm?region=eu", "/a%20b",
    ])
    func eventSourceAcceptsURIReferences(_ source: String) throws {
        let configuration = try ServiceConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://db/app", "EVENT_SOURCE": source,
        ])
        #expect(configuration.outputEvents.source == source)
    }

    static let invalid: [(variable: String, value: String, message: String)] = [
        ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE=0: expected an integer in 1...200"),
        ("HTTP_PORT", "http", "HTTP_PORT=http: expected an integer in 0...65535"),
        ("ANALYSIS_RELATIVE_MARGIN", "-1", "ANALYSIS_RELATIVE_MARGIN=-1: expected a number in 0.0...100.0"),
        ("ATTRIBUTION_WINDOW_SECONDS", "soon", "ATTRIBUTION_WINDOW_SECONDS=soon: expected a number in 60.0...604800.0"),
        ("OVERDUE_SWEEP_INTERVAL_SECONDS", "0", "OVERDUE_SWEEP_INTERVAL_SECONDS=0: expected an integer in 1...86400"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "0", "SHUTDOWN_TIMEOUT_SECONDS=0: expected an integer in 1...3600"),
        ("HTTP_HEADER_TIMEOUT_SECONDS", "0", "HTTP_HEADER_TIMEOUT_SECONDS=0: expected an integer in 1...300"),
        ("HTTP_BODY_TIMEOUT_SECONDS", "1.5", "HTTP_BODY_TIMEOUT_SECONDS=1.5: expected an integer in 1...3600"),
        ("HTTP_IDLE_TIMEOUT_SECONDS", "forever", "HTTP_IDLE_TIMEOUT_SECONDS=forever: expected an integer in 1...3600"),
        ("HTTP_MAX_CONNECTIONS", "8", "HTTP_MAX_CONNECTIONS=8: expected an integer in 16...1000000"),
        ("OWNERSHIP_MAP_FILE", "/nonexistent/ownership.json", "OWNERSHIP_MAP_FILE /nonexistent/ownership.json: "),
        ("EVENT_SOURCE", "deploy postmortem", "EVENT_SOURCE=deploy postmortem: not a URI-reference"),
        (
            "EVENT_SOURCE", "1pm:x",
            "EVENT_SOURCE=1pm:x: not a URI-reference (\"1pm\" before the first \":\" is not a scheme)"
        ),
        ("EVENT_SOURCE", "/pm%zz", "EVENT_SOURCE=/pm%zz: a % must start an escape %XX"),
        ("EVENT_DATASCHEMA_BASE_URL", "/schemas/", "EVENT_DATASCHEMA_BASE_URL=/schemas/: expected an absolute URI"),
        (
            "EVENT_DATASCHEMA_BASE_URL", "https://s.example/x#y",
            "EVENT_DATASCHEMA_BASE_URL=https://s.example/x#y: must not have a query or fragment"
        ),
        ("PUBLIC_API_URL", "pm.example.com", "PUBLIC_API_URL=pm.example.com: expected an absolute URI"),
        (
            "PUBLIC_API_URL", "ftp://pm.example.com",
            "PUBLIC_API_URL=ftp://pm.example.com: expected an http(s) URL with a host"
        ),
        ("PUBLIC_UI_URL", "https:///path", "PUBLIC_UI_URL=https:///path: expected an http(s) URL with a host"),
        (
            "PUBLIC_UI_URL", "https://ui.example.com/?tab=1",
            "PUBLIC_UI_URL=https://ui.example.com/?tab=1: must not have a query or fragment"
        ),
        ("ANALYSIS_HEALTHY_DEPLOYS", "-1", "ANALYSIS_HEALTHY_DEPLOYS=-1: expected an integer in 0...1000"),
        (
            "ANALYSIS_GATE_EVALUATION", "interval=0",
            "ANALYSIS_GATE_EVALUATION=interval=0: interval must be 1...86400 seconds"
        ),
        ("ANALYSIS_GATE_EVALUATION", "window=300", "ANALYSIS_GATE_EVALUATION=window=300: unknown key window"),
        (
            "ANALYSIS_GATE_EVALUATION", "aggregation=p99",
            "ANALYSIS_GATE_EVALUATION=aggregation=p99: aggregation must be mean or worst"
        ),
        ("ANALYSIS_GATE_EVALUATION", "failures", "ANALYSIS_GATE_EVALUATION=failures: expected key=value pairs"),
        ("UI_SESSION_KEY", "too-short", "UI_SESSION_KEY: the session key must have at least 32 bytes"),
        ("UI_SESSION_KEY_FILE", "/nonexistent/key", "UI_SESSION_KEY_FILE /nonexistent/key: cannot read it"),
        ("UI_SESSION_TTL_SECONDS", "60", "UI_SESSION_TTL_SECONDS=60: expected an integer in 300...604800"),
        (
            "UI_AUTH_PROXY_HEADER", "X-User: admin",
            "UI_AUTH_PROXY_HEADER=X-User: admin: expected a header name (letters, digits, '-', '_')"
        ),
    ]

    @Test func theUIGroupIsReadFromItsVariables() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("ui-key-\(UUID())")
        try "0123456789abcdef0123456789abcdef\n".write(to: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: key) }
        let defaults = try ServiceConfiguration.fromEnvironment(["DATABASE_URL": "postgresql://db/app"]).ui
        #expect(defaults.sessionKey == nil && defaults.authProxyHeader == nil)
        #expect(defaults.sessionLifetime == .seconds(28_800))
        let ui = try ServiceConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://db/app", "UI_SESSION_KEY_FILE": key.path, "UI_SESSION_KEY": "ignored",
            "UI_SESSION_TTL_SECONDS": "3600", "UI_AUTH_PROXY_HEADER": "X-Auth-Request-User",
        ]).ui
        #expect(ui.sessionKey == Array("0123456789abcdef0123456789abcdef".utf8), "the file wins, its newline trimmed")
        #expect(ui.sessionLifetime == .seconds(3600))
        #expect(ui.authProxyHeader == "X-Auth-Request-User")
    }

    @Test(arguments: invalid)
    func invalidValuesNameTheVariable(_ variable: String, _ value: String, _ message: String) {
        let error = #expect(throws: ServiceError.self) {
            try ServiceConfiguration.fromEnvironment(["DATABASE_URL": "postgresql://db/app", variable: value])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "no error")")
    }

    /// The API's read pool: 4 by default, 0 (share the main pool) to 200, nothing else.
    @Test(arguments: [(nil, 4), ("0", 0), ("12", 12), ("200", 200)] as [(String?, Int)])
    func readPoolSize(_ value: String?, _ expected: Int) throws {
        var environment = ["DATABASE_URL": "postgresql://db/app"]
        environment["DATABASE_READ_POOL_SIZE"] = value
        #expect(try ServiceConfiguration.fromEnvironment(environment).database.readPoolSize == expected)
    }

    @Test(arguments: ["-1", "201", "four"])
    func readPoolSizeOutOfRange(_ value: String) {
        let error = #expect(throws: ServiceError.self) {
            try ServiceConfiguration.fromEnvironment([
                "DATABASE_URL": "postgresql://db/app", "DATABASE_READ_POOL_SIZE": value,
            ])
        }
        #expect(
            error?.description.hasPrefix("DATABASE_READ_POOL_SIZE=\(value): expected an integer in 0...200") == true,
            "\(error?.description ?? "no error")")
    }

    @Test func databaseURLFromAMountedSecretFile() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("db-url-\(UUID())")
        try "postgresql://app:s3cret@db/app\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let fromFile = try ServiceConfiguration.database(fromEnvironment: ["DATABASE_URL_FILE": secret.path])
        #expect(fromFile.connectionString == "postgresql://app:s3cret@db/app")
        #expect(try fromFile.redacted() == "app@db:5432/app")
        // DATABASE_URL wins over the file.
        #expect(
            try ServiceConfiguration.database(fromEnvironment: [
                "DATABASE_URL": "postgresql://x/y", "DATABASE_URL_FILE": secret.path,
            ]).connectionString == "postgresql://x/y")
        let unreadable = #expect(throws: ServiceError.self) {
            try ServiceConfiguration.database(fromEnvironment: ["DATABASE_URL_FILE": "/nonexistent/secret"])
        }
        #expect(unreadable?.code == .invalidConfiguration)
        #expect(unreadable?.description.hasPrefix("cannot read DATABASE_URL_FILE /nonexistent/secret: ") == true)
    }

    /// Service errors match on their code, as `ServiceGroupError` does; the message is what they print.
    @Test func serviceErrorsCompareByCodeAndPrintTheirMessage() {
        let error = ServiceError.invalidConfiguration("HTTP_PORT=http: expected an integer in 0...65535")
        #expect(error == .invalidConfiguration("another message"))
        #expect(error != .incompleteInstallation("HTTP_PORT=http: expected an integer in 0...65535"))
        #expect(ServiceError.inconsistentState("x").code == .inconsistentState)
        #expect("\(error)" == "HTTP_PORT=http: expected an integer in 0...65535")
        #expect(Set([error, .invalidConfiguration("again"), .incompleteInstallation("y")]).count == 2)
    }
}
