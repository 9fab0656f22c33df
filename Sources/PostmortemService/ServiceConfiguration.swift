import Foundation
import Kafka
import Postgres
import PostmortemCore

/// Everything `serve` needs, read from the environment (see the README's configuration table).
public struct ServiceConfiguration: Sendable {
    /// Topic names (docs/architecture.md §3), each configurable: the one place their defaults
    /// are spelled (the dev broker, the demo, the benchmarks and the service's dead-letter
    /// default read them here; tests check the chart's defaults and the README against them).
    public struct Topics: Sendable, Equatable {
        /// Deploy events in (`TOPIC_DEPLOYS`, default `deploy.events`).
        public var deploys = "deploy.events"
        /// Rollback events in (`TOPIC_ROLLBACKS`, default `deploy.rollbacks`).
        public var rollbacks = "deploy.rollbacks"
        /// Metric samples in (`TOPIC_METRICS`, default `deploy.metrics`).
        public var metrics = "deploy.metrics"
        /// Postmortem events out (`TOPIC_POSTMORTEMS`, default `postmortem.events`).
        public var postmortems = "postmortem.events"
        /// Action-item events out (`TOPIC_ACTION_ITEMS`, default `postmortem.action-items`).
        public var actionItems = "postmortem.action-items"
        /// Messages that cannot be processed, with why (`TOPIC_DLQ`, default `deploy.postmortem.dlq`).
        public var deadLetter = "deploy.postmortem.dlq"

        /// The default names.
        public init() {}

        /// The topics the consumer group reads.
        public var inputs: [String] { [deploys, rollbacks, metrics] }

        /// Every topic the service reads or writes: the inputs, then the outputs and the
        /// dead-letter topic.
        public var names: [String] { inputs + [postmortems, actionItems, deadLetter] }

        /// Every topic the service reads or writes, with `partitions` each: what a local or test
        /// cluster must create.
        public func all(partitions: Int) -> [String: Int] {
            Dictionary(names.map { ($0, partitions) }) { first, _ in first }
        }

        /// The input topic of an event's role, named like its property: `rollbacks`, `metrics`,
        /// anything else `deploys` (how the demo scenarios tag their events).
        public func input(forRole role: String) -> String {
            switch role {
            case "rollbacks": rollbacks
            case "metrics": metrics
            default: deploys
            }
        }
    }

    /// How long the HTTP server waits for a client, and how many connections it keeps open.
    public struct HTTPLimits: Sendable, Equatable {
        /// A request's head must be complete this long after its first byte (slowloris)
        /// (`HTTP_HEADER_TIMEOUT_SECONDS`, 1...300, default 10).
        public var headerTimeout: Duration = .seconds(10)
        /// A request's body must be complete this long after its head (`HTTP_BODY_TIMEOUT_SECONDS`,
        /// 1...3600, default 30).
        public var bodyTimeout: Duration = .seconds(30)
        /// A connection with no request in progress is closed after this long without a byte
        /// (`HTTP_IDLE_TIMEOUT_SECONDS`, 1...3600, default 75). Longer than the 60 s idle timeout of
        /// common proxies and load balancers, so they close first.
        public var idleTimeout: Duration = .seconds(75)
        /// Open connections at most (`HTTP_MAX_CONNECTIONS`, 16...1000000, default 4096). A new
        /// connection beyond it closes the connection idle the longest (one with no request
        /// being answered), or is refused when none is idle.
        public var maxConnections = 4096

        /// The defaults.
        public init() {}
    }

    /// The database.
    public struct Database: Sendable {
        /// Where it is: `DATABASE_URL` (a libpq URL or conninfo), else the file `DATABASE_URL_FILE`
        /// names (a mounted secret), else libpq's own `PG*` variables (the default: nothing set).
        public var connection: PostgresConfiguration
        /// Connections in the pool (`DATABASE_POOL_SIZE`, 1...200, default 8): ingestion, analysis,
        /// the background jobs and the API's edits.
        public var poolSize = 8
        /// Connections in the API's read pool (`DATABASE_READ_POOL_SIZE`, 0...200, default 4): every
        /// `GET` of `/v1` reads on these, so reads never queue behind ingestion and analysis for a
        /// connection, nor hold the connections those need. 0: reads share the main pool.
        public var readPoolSize = 4

        /// The database `connection` points at, with the default pool.
        public init(connection: PostgresConfiguration) {
            self.connection = connection
        }
    }

    /// The HTTP server: probes, metrics and the `/v1` API.
    public struct HTTP: Sendable, Equatable {
        /// Port it listens on (`HTTP_PORT`, 0...65535, default 8080); nil runs no HTTP server.
        public var port: Int? = 8080
        /// Address it binds (`HTTP_HOST`, default `0.0.0.0`).
        public var host = "0.0.0.0"
        /// Timeouts and connection cap (`HTTP_*_TIMEOUT_SECONDS`, `HTTP_MAX_CONNECTIONS`).
        public var limits = HTTPLimits()

        /// The defaults.
        public init() {}
    }

    /// The `/v1` API.
    public struct API: Sendable {
        /// Bearer tokens: the entries of the file `API_TOKENS_FILE` names and of `API_TOKENS`
        /// (both may be set; default none, which refuses every request with 401).
        public var tokens = APITokens.none
        /// Largest request body read (`API_MAX_BODY_BYTES`, 1024...16777216, default 65536);
        /// larger bodies get 413.
        public var maxRequestBodyBytes = 65_536

        /// The defaults.
        public init() {}
    }

    /// The read-only web UI under `/ui/` (docs/ui.md).
    public struct UI: Sendable {
        /// The key that signs session cookies: the file `UI_SESSION_KEY_FILE` names (a mounted
        /// secret), else `UI_SESSION_KEY`; at least 32 bytes. Nil: a random key per process, so
        /// sessions end when it restarts and hold on one replica only.
        public var sessionKey: [UInt8]?
        /// How long a session lasts after login (`UI_SESSION_TTL_SECONDS`, 300...604800, default 28800).
        public var sessionLifetime: Duration = .seconds(28_800)
        /// A request header naming the user, set by an authenticating proxy in front of the
        /// service (`UI_AUTH_PROXY_HEADER`, e.g. `X-Auth-Request-User`; default none). Trusted
        /// as is: the proxy must strip it from clients' requests.
        public var authProxyHeader: String?

        /// The defaults: login with a read token, a random session key.
        public init() {}
    }

    /// How often the periodic jobs run (each on one replica at a time).
    public struct Jobs: Sendable, Equatable {
        /// How often overdue action items are looked for and follow-ups judged (`OVERDUE_SWEEP_INTERVAL_SECONDS`,
        /// 1...86400, default 60).
        public var overdueSweepInterval: Duration = .seconds(60)
        /// How often partitions are created ahead and the retention applied
        /// (`MAINTENANCE_INTERVAL_SECONDS`, 60...86400, default 86400).
        public var maintenanceInterval: Duration = .seconds(86_400)

        /// The defaults.
        public init() {}
    }

    /// The database: where, and the pool.
    public var database: Database
    /// librdkafka settings for the consumer and the producers: every `KAFKA_<NAME>` variable
    /// (and `KAFKA_<NAME>_FILE`) as a property; `KAFKA_GROUP_ID` defaults to `deploy-postmortem`.
    public var kafka: KafkaConfig
    /// Topic names (`TOPIC_*`; defaults in ``Topics``).
    public var topics = Topics()
    /// Windows, margins and policies of the analysis: `ANALYSIS_BASELINE_WINDOW_SECONDS`
    /// (60...604800, default 3600), `ANALYSIS_GRACE_SECONDS` (0...86400, default 300),
    /// `ANALYSIS_RELATIVE_MARGIN` (0...100, default 0.2), `ANALYSIS_ABSOLUTE_MARGIN` (≥ 0, default
    /// 0), `ATTRIBUTION_WINDOW_SECONDS` (60...604800, default 7200), `DETECTION_TARGET_SECONDS`
    /// (1...86400, default 600), `OWNERSHIP_MAP_FILE` (a JSON object of service → team; default
    /// none), `ANALYSIS_HEALTHY_DEPLOYS` (0...1000, default 20), `ANALYSIS_GATE_EVALUATION`
    /// (`interval=…,lookback=…,aggregation=mean|worst,failures=…`; default: assumed, and said so);
    /// the rest keep `AnalysisConfig`'s defaults.
    public var analysis = AnalysisConfig()
    /// The HTTP server.
    public var http = HTTP()
    /// The `/v1` API.
    public var api = API()
    /// The web UI.
    public var ui = UI()
    /// How long stored data is kept (`RETENTION_*_DAYS`; defaults in ``Retention``).
    public var retention = Retention()
    /// How often the periodic jobs run.
    public var jobs = Jobs()
    /// How long a graceful shutdown (SIGTERM) may take before the services are cancelled
    /// (`SHUTDOWN_TIMEOUT_SECONDS`, 1...3600, default 45): keep it below the orchestrator's grace
    /// period minus any preStop delay, so the process ends on its own terms and not by SIGKILL.
    public var shutdownTimeout: Duration = .seconds(45)
    /// What output events carry besides their data: `source` (`EVENT_SOURCE`, a URI-reference,
    /// default `/deploy-postmortem`), the base of `dataschema` (`EVENT_DATASCHEMA_BASE_URL`, an
    /// absolute URI, default `https://deploy-postmortem.dev/schemas/events/`) and the links to the
    /// postmortem (`PUBLIC_API_URL`, `PUBLIC_UI_URL`: absolute http(s) URLs; default none).
    public var outputEvents = OutputEventEncoder()
    /// Prometheus as a metric source (`PROMETHEUS_SOURCE_FILE`); nil: metrics come as events only.
    public var prometheusSource: PrometheusSourceConfiguration?

    /// Creates a configuration from explicit parts, the rest at their defaults.
    public init(database: PostgresConfiguration, kafka: KafkaConfig) {
        self.database = Database(connection: database)
        self.kafka = kafka
    }

    /// The database from `DATABASE_URL`, or the file named by `DATABASE_URL_FILE` (a mounted
    /// secret); neither set means libpq's `PG*` variables alone. (The `Postgres` module reads no
    /// environment of its own beyond what libpq reads.)
    public static func database(
        fromEnvironment environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> PostgresConfiguration {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return PostgresConfiguration(connectionString: url)
        }
        if let path = environment["DATABASE_URL_FILE"], !path.isEmpty {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                return PostgresConfiguration(connectionString: text.trimmingCharacters(in: .whitespacesAndNewlines))
            } catch {
                throw ServiceError.invalidConfiguration(
                    "cannot read DATABASE_URL_FILE \(path): \(error.localizedDescription)")
            }
        }
        return PostgresConfiguration(connectionString: "")
    }

    /// Reads the configuration from `environment`; an invalid value is an error naming it.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> Self
    {
        var kafka = try KafkaConfig.fromEnvironment(environment)
        if kafka.groupID == nil { kafka.groupID = "deploy-postmortem" }
        var configuration = Self(database: try database(fromEnvironment: environment), kafka: kafka)
        let reader = EnvironmentReader(environment: environment)
        configuration.topics = Self.topics(reader)
        configuration.database.poolSize =
            try reader.integer("DATABASE_POOL_SIZE", in: 1...200) ?? configuration.database.poolSize
        configuration.database.readPoolSize =
            try reader.integer("DATABASE_READ_POOL_SIZE", in: 0...200) ?? configuration.database.readPoolSize
        configuration.http = try Self.http(reader)
        configuration.api = try Self.api(reader)
        configuration.ui = try Self.ui(reader)
        configuration.retention = try Self.retention(reader)
        configuration.jobs = try Self.jobs(reader)
        if let seconds = try reader.integer("SHUTDOWN_TIMEOUT_SECONDS", in: 1...3600) {
            configuration.shutdownTimeout = .seconds(seconds)
        }
        configuration.outputEvents = try Self.outputEvents(reader)
        configuration.analysis = try Self.analysis(reader)
        configuration.prometheusSource = try PrometheusSourceConfiguration.fromEnvironment(environment)
        return configuration
    }

    /// Reads the topic names.
    static func topics(_ reader: EnvironmentReader) -> Topics {
        var topics = Topics()
        topics.deploys = reader.string("TOPIC_DEPLOYS") ?? topics.deploys
        topics.rollbacks = reader.string("TOPIC_ROLLBACKS") ?? topics.rollbacks
        topics.metrics = reader.string("TOPIC_METRICS") ?? topics.metrics
        topics.postmortems = reader.string("TOPIC_POSTMORTEMS") ?? topics.postmortems
        topics.actionItems = reader.string("TOPIC_ACTION_ITEMS") ?? topics.actionItems
        topics.deadLetter = reader.string("TOPIC_DLQ") ?? topics.deadLetter
        return topics
    }

    /// Reads the HTTP server's port, address, timeouts and connection cap.
    static func http(_ reader: EnvironmentReader) throws -> HTTP {
        var http = HTTP()
        http.port = try reader.integer("HTTP_PORT", in: 0...65_535) ?? http.port
        http.host = reader.string("HTTP_HOST") ?? http.host
        if let seconds = try reader.integer("HTTP_HEADER_TIMEOUT_SECONDS", in: 1...300) {
            http.limits.headerTimeout = .seconds(seconds)
        }
        if let seconds = try reader.integer("HTTP_BODY_TIMEOUT_SECONDS", in: 1...3600) {
            http.limits.bodyTimeout = .seconds(seconds)
        }
        if let seconds = try reader.integer("HTTP_IDLE_TIMEOUT_SECONDS", in: 1...3600) {
            http.limits.idleTimeout = .seconds(seconds)
        }
        http.limits.maxConnections =
            try reader.integer("HTTP_MAX_CONNECTIONS", in: 16...1_000_000) ?? http.limits.maxConnections
        return http
    }

    /// Reads the API's tokens and body limit.
    static func api(_ reader: EnvironmentReader) throws -> API {
        var api = API()
        api.tokens = try Self.apiTokens(reader)
        api.maxRequestBodyBytes =
            try reader.integer("API_MAX_BODY_BYTES", in: 1024...16_777_216) ?? api.maxRequestBodyBytes
        return api
    }

    /// Reads the UI's session key, session lifetime and proxy header. Errors never quote the key.
    static func ui(_ reader: EnvironmentReader) throws -> UI {
        var ui = UI()
        var key: (source: String, text: String)?
        if let path = reader.string("UI_SESSION_KEY_FILE") {
            do {
                key = ("UI_SESSION_KEY_FILE \(path)", try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                throw ServiceError.invalidConfiguration(
                    "UI_SESSION_KEY_FILE \(path): cannot read it (\(error.localizedDescription))")
            }
        } else if let text = reader.string("UI_SESSION_KEY") {
            key = ("UI_SESSION_KEY", text)
        }
        if let key {
            let bytes = Array(key.text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            guard bytes.count >= 32 else {
                throw ServiceError.invalidConfiguration(
                    "\(key.source): the session key must have at least 32 bytes (e.g. openssl rand -hex 32)")
            }
            ui.sessionKey = bytes
        }
        if let seconds = try reader.integer("UI_SESSION_TTL_SECONDS", in: 300...604_800) {
            ui.sessionLifetime = .seconds(seconds)
        }
        if let header = reader.string("UI_AUTH_PROXY_HEADER") {
            guard header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                throw ServiceError.invalidConfiguration(
                    "UI_AUTH_PROXY_HEADER=\(header): expected a header name (letters, digits, '-', '_')")
            }
            ui.authProxyHeader = header
        }
        return ui
    }

    /// Reads how often the periodic jobs run.
    static func jobs(_ reader: EnvironmentReader) throws -> Jobs {
        var jobs = Jobs()
        if let seconds = try reader.integer("OVERDUE_SWEEP_INTERVAL_SECONDS", in: 1...86_400) {
            jobs.overdueSweepInterval = .seconds(seconds)
        }
        if let seconds = try reader.integer("MAINTENANCE_INTERVAL_SECONDS", in: 60...86_400) {
            jobs.maintenanceInterval = .seconds(seconds)
        }
        return jobs
    }

    /// Reads the analysis settings the environment may change.
    static func analysis(_ reader: EnvironmentReader) throws -> AnalysisConfig {
        var analysis = AnalysisConfig()
        analysis.baselineWindow =
            try reader.number("ANALYSIS_BASELINE_WINDOW_SECONDS", in: 60...604_800) ?? analysis.baselineWindow
        analysis.rollbackGrace = try reader.number("ANALYSIS_GRACE_SECONDS", in: 0...86_400) ?? analysis.rollbackGrace
        analysis.relativeMargin = try reader.number("ANALYSIS_RELATIVE_MARGIN", in: 0...100) ?? analysis.relativeMargin
        analysis.absoluteMargin =
            try reader.number("ANALYSIS_ABSOLUTE_MARGIN", in: 0...Double.greatestFiniteMagnitude)
            ?? analysis.absoluteMargin
        analysis.attributionWindow =
            try reader.number("ATTRIBUTION_WINDOW_SECONDS", in: 60...604_800) ?? analysis.attributionWindow
        analysis.detectionTarget =
            try reader.number("DETECTION_TARGET_SECONDS", in: 1...86_400) ?? analysis.detectionTarget
        analysis.healthyDeploys =
            try reader.integer("ANALYSIS_HEALTHY_DEPLOYS", in: 0...1000) ?? analysis.healthyDeploys
        analysis.gateEvaluation = try Self.gateEvaluation(reader)
        if let path = reader.string("OWNERSHIP_MAP_FILE") {
            analysis.ownership = try Self.ownershipMap(at: path)
        }
        return analysis
    }

    /// Reads `ANALYSIS_GATE_EVALUATION`, how the gates evaluate their checks, e.g.
    /// `interval=60,lookback=300,aggregation=mean,failures=2` (omitted keys keep their defaults).
    static func gateEvaluation(_ reader: EnvironmentReader) throws -> GateEvaluation? {
        let name = "ANALYSIS_GATE_EVALUATION"
        guard let text = reader.string(name) else { return nil }
        func refuse(_ reason: String) -> ServiceError {
            ServiceError.invalidConfiguration("\(name)=\(text): \(reason)")
        }
        var evaluation = GateEvaluation()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw refuse("expected key=value pairs separated by commas") }
            switch pair[0] {
            case "interval", "lookback":
                guard let seconds = Double(pair[1]), (1...86_400).contains(seconds) else {
                    throw refuse("\(pair[0]) must be 1...86400 seconds")
                }
                if pair[0] == "interval" { evaluation.interval = seconds } else { evaluation.lookback = seconds }
            case "aggregation":
                guard let aggregation = Aggregation(rawValue: pair[1]) else {
                    throw refuse("aggregation must be mean or worst")
                }
                evaluation.aggregation = aggregation
            case "failures":
                guard let failures = Int(pair[1]), (1...100).contains(failures) else {
                    throw refuse("failures must be 1...100")
                }
                evaluation.failuresToTrip = failures
            default:
                throw refuse("unknown key \(pair[0]) (interval, lookback, aggregation, failures)")
            }
        }
        return evaluation
    }

    /// Reads the retention periods: each 0 (keep forever) or a number of days. Metric points
    /// must outlive the events of deploys without a postmortem: a late trigger (a rollback or
    /// impact reported days later) opens a postmortem from those events, and its analysis needs
    /// the points.
    static func retention(_ reader: EnvironmentReader) throws -> Retention {
        var retention = Retention()
        retention.metricSamplesDays =
            try reader.days("RETENTION_METRIC_SAMPLES_DAYS", minimum: 7) ?? retention.metricSamplesDays
        retention.deployEventsDays =
            try reader.days("RETENTION_DEPLOY_EVENTS_DAYS", minimum: 7) ?? retention.deployEventsDays
        retention.sentOutboxDays = try reader.days("RETENTION_OUTBOX_SENT_DAYS", minimum: 1) ?? retention.sentOutboxDays
        // 0 is forever: longer than any number of days.
        if retention.metricSamplesDays > 0,
            retention.deployEventsDays == 0 || retention.metricSamplesDays < retention.deployEventsDays
        {
            let events = retention.deployEventsDays == 0 ? "0 (forever)" : "\(retention.deployEventsDays)"
            throw ServiceError.invalidConfiguration(
                "RETENTION_METRIC_SAMPLES_DAYS=\(retention.metricSamplesDays) is shorter than RETENTION_DEPLOY_EVENTS_DAYS=\(events): a postmortem opened late for a deploy whose events are kept would have no metric points"
            )
        }
        return retention
    }

    /// Reads what output events carry besides their data. `EVENT_SOURCE` must be a URI-reference
    /// (CloudEvents `source`), `EVENT_DATASCHEMA_BASE_URL` an absolute URI, and the public
    /// URLs absolute http(s) URLs; none may carry a query or fragment (paths are appended).
    static func outputEvents(_ reader: EnvironmentReader) throws -> OutputEventEncoder {
        OutputEventEncoder(
            source: try reader.uriReference("EVENT_SOURCE", absolute: false) ?? OutputEventEncoder.defaultSource,
            schemaBase: try reader.uriReference("EVENT_DATASCHEMA_BASE_URL", absolute: true)
                ?? OutputEventEncoder.defaultSchemaBase,
            apiBaseURL: try reader.uriReference("PUBLIC_API_URL", absolute: true, web: true),
            uiBaseURL: try reader.uriReference("PUBLIC_UI_URL", absolute: true, web: true))
    }

    /// Reads the API tokens of `API_TOKENS_FILE` and `API_TOKENS` (both may be set). Errors
    /// name the variable and the entry, never a credential.
    static func apiTokens(_ reader: EnvironmentReader) throws -> APITokens {
        var sources: [(name: String, text: String)] = []
        if let path = reader.string("API_TOKENS_FILE") {
            do {
                sources.append(("API_TOKENS_FILE \(path)", try String(contentsOfFile: path, encoding: .utf8)))
            } catch {
                throw ServiceError.invalidConfiguration(
                    "API_TOKENS_FILE \(path): cannot read it (\(error.localizedDescription))")
            }
        }
        if let text = reader.string("API_TOKENS") { sources.append(("API_TOKENS", text)) }
        do {
            return try APITokens(parsing: sources.map(\.text).joined(separator: "\n"))
        } catch {
            throw ServiceError.invalidConfiguration("\(sources.map(\.name).joined(separator: " + ")): \(error)")
        }
    }

    /// Reads an ownership map: a JSON object from service name to owning team.
    static func ownershipMap(at path: String) throws -> [String: String] {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let map = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw ServiceError.invalidConfiguration(
                    "OWNERSHIP_MAP_FILE \(path): expected a JSON object of service → team")
            }
            return map
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.invalidConfiguration("OWNERSHIP_MAP_FILE \(path): \(error.localizedDescription)")
        }
    }
}

/// Typed, range-checked reads of environment variables.
struct EnvironmentReader {
    let environment: [String: String]

    func string(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw ServiceError.invalidConfiguration(
                "\(name)=\(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A retention period: 0 (keep forever) or `minimum`…36,500 days.
    func days(_ name: String, minimum: Int) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), value == 0 || (minimum...36_500).contains(value) else {
            throw ServiceError.invalidConfiguration(
                "\(name)=\(text): expected 0 (keep forever) or a number of days in \(minimum)...36500")
        }
        return value
    }

    /// An RFC 3986 URI-reference: only URI characters and `%XX` escapes, a scheme (when there is
    /// one) of a letter then letters, digits, `+`, `-` or `.`. `absolute` requires the scheme
    /// and no query or fragment; `web` requires `http` or `https` and a host.
    func uriReference(_ name: String, absolute: Bool, web: Bool = false) throws -> String? {
        guard let text = string(name) else { return nil }
        func refuse(_ reason: String) -> ServiceError { .invalidConfiguration("\(name)=\(text): \(reason)") }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")
        guard text.allSatisfy(allowed.contains) else {
            throw refuse("not a URI-reference (only URI characters; escape others as %XX)")
        }
        let characters = Array(text)
        for (index, character) in characters.enumerated() where character == "%" {
            guard index + 2 < characters.count, characters[index + 1].isHexDigit, characters[index + 2].isHexDigit
            else {
                throw refuse("a % must start an escape %XX")
            }
        }
        let head = text.prefix { !"/?#".contains($0) }
        var scheme: Substring?
        if let colon = head.firstIndex(of: ":") {
            let candidate = head[..<colon]
            guard let first = candidate.first, first.isASCII, first.isLetter,
                candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
            else { throw refuse("not a URI-reference (\"\(candidate)\" before the first \":\" is not a scheme)") }
            scheme = candidate
        }
        if absolute {
            guard scheme != nil else {
                throw refuse("expected an absolute URI with a scheme, e.g. https://example.com/path")
            }
            guard !text.contains("?"), !text.contains("#") else {
                throw refuse("must not have a query or fragment: paths are appended to it")
            }
        }
        if web {
            guard let scheme, ["http", "https"].contains(scheme.lowercased()),
                text.dropFirst(scheme.count).hasPrefix("://"),
                text.dropFirst(scheme.count + 3).first.map({ !"/".contains($0) }) == true
            else { throw refuse("expected an http(s) URL with a host, e.g. https://postmortems.example.com") }
        }
        return text
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ServiceError.invalidConfiguration(
                "\(name)=\(text): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
