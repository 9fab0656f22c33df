import Foundation
import PostmortemCore

/// The Prometheus metric source (`PROMETHEUS_SOURCE_FILE`, a JSON file): where Prometheus (or a
/// compatible store: Thanos, Mimir, VictoriaMetrics) answers, how to authenticate, and the
/// PromQL of each metric. See docs/operations.md, "Prometheus as a metric source".
public struct PrometheusSourceConfiguration: Sendable, Hashable {
    /// One metric: a PromQL template and how to read its values.
    public struct Metric: Sendable, Hashable {
        /// The metric name the points are stored under (`metric` of a `metric.sampled` event).
        public var name: String
        /// PromQL with `{service}`, `{environment}` and `{version}`, each inside a double-quoted
        /// string literal (the value is escaped for it).
        public var query: String
        /// Unit of the values, e.g. `ratio`, `ms`.
        public var unit: String?
        /// The side that is bad.
        public var badDirection: Direction
        /// An SLO threshold in the bad direction, when there is one.
        public var sloThreshold: Double?
        /// Resolution of `query_range`, seconds (1–3600).
        public var step: Int
    }

    /// Base URL of the HTTP API, e.g. `http://prometheus:9090` (`/api/v1/query_range` is appended).
    public var url: String
    /// The metrics to query for every deploy with a postmortem.
    public var metrics: [Metric]
    /// Seconds between rounds of queries (1–3600). Default 15.
    public var intervalSeconds = 15
    /// Seconds one query may take, connection included (1–300). Default 10.
    public var timeoutSeconds = 10
    /// Retries of a query that failed for a transient reason (0–10), with backoff. Default 2.
    public var retries = 2
    /// Largest response body read (1 KiB–64 MiB); a larger one fails the query. Default 8 MiB.
    public var maxResponseBytes = 8 << 20
    /// Most series one query may return (1–1000). Default 50.
    public var maxSeries = 50
    /// File holding a bearer token (read at each query, so rotation needs no restart).
    public var bearerTokenFile: String?
    /// Basic auth user name; the password is read from ``basicAuthPasswordFile``.
    public var basicAuthUsername: String?
    /// File holding the basic auth password.
    public var basicAuthPasswordFile: String?
    /// PEM file of the CA certificates that an `https` URL is verified against (default: the system's).
    public var caFile: String?
    /// Tenant sent as `X-Scope-OrgID` (Mimir, Cortex, Loki-style multi-tenant stores).
    public var tenant: String?

    /// The most points one query asks for per series: Prometheus' own limit is 11,000. A span
    /// that needs more is queried in consecutive ranges of at most this many steps.
    public static let maxPointsPerQuery = 11_000

    /// The configuration from the file named by `PROMETHEUS_SOURCE_FILE`, or nil when unset.
    public static func fromEnvironment(_ environment: [String: String]) throws -> Self? {
        guard let path = environment["PROMETHEUS_SOURCE_FILE"]?.trimmingCharacters(in: .whitespaces), !path.isEmpty
        else {
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ServiceError.invalidConfiguration(
                "PROMETHEUS_SOURCE_FILE \(path): cannot read: \(error.localizedDescription)")
        }
        return try parse(bytes, file: path)
    }

    /// Parses and validates the JSON document of `file`; every error names the file and, for a
    /// metric, its name (or position).
    public static func parse(_ bytes: [UInt8], file: String) throws -> Self {
        func fail(_ reason: String) -> ServiceError {
            ServiceError.invalidConfiguration("PROMETHEUS_SOURCE_FILE \(file): \(reason)")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw fail("invalid JSON: \(error)")
        }
        guard case .object(let root) = document else { throw fail("expected a JSON object") }
        var reader = Reader(fields: root, path: "", fail: fail)
        let url = try reader.string("url")
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil,
            parsed.query == nil
        else { throw fail("url: expected an http or https URL without query, got \"\(url)\"") }
        var configuration = Self(url: url.hasSuffix("/") ? String(url.dropLast()) : url, metrics: [])
        configuration.intervalSeconds =
            try reader.integer("intervalSeconds", in: 1...3600) ?? configuration.intervalSeconds
        configuration.timeoutSeconds = try reader.integer("timeoutSeconds", in: 1...300) ?? configuration.timeoutSeconds
        configuration.retries = try reader.integer("retries", in: 0...10) ?? configuration.retries
        configuration.maxResponseBytes =
            try reader.integer("maxResponseBytes", in: 1024...(64 << 20)) ?? configuration.maxResponseBytes
        configuration.maxSeries = try reader.integer("maxSeries", in: 1...1000) ?? configuration.maxSeries
        if let auth = try reader.object("auth") {
            var auth = Reader(fields: auth, path: "auth.", fail: fail)
            configuration.bearerTokenFile = try auth.optionalString("bearerTokenFile")
            configuration.caFile = try auth.optionalString("caFile")
            configuration.tenant = try auth.optionalString("tenant")
            if let basic = try auth.object("basicAuth") {
                var basic = Reader(fields: basic, path: "auth.basicAuth.", fail: fail)
                configuration.basicAuthUsername = try basic.string("username")
                configuration.basicAuthPasswordFile = try basic.string("passwordFile")
                try basic.refuseUnknown()
            }
            try auth.refuseUnknown()
            if configuration.bearerTokenFile != nil && configuration.basicAuthUsername != nil {
                throw fail("auth: bearerTokenFile and basicAuth exclude each other")
            }
            for (name, path) in [
                ("auth.bearerTokenFile", configuration.bearerTokenFile),
                ("auth.basicAuth.passwordFile", configuration.basicAuthPasswordFile),
                ("auth.caFile", configuration.caFile),
            ] {
                guard let path else { continue }
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw fail("\(name): cannot read \(path)")
                }
            }
        }
        guard case .array(let items)? = root["metrics"], !items.isEmpty else {
            throw fail("metrics: expected a non-empty array")
        }
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw fail("metrics[\(index)]: expected an object") }
            let label: String
            if case .string(let name)? = fields["name"], !name.isEmpty {
                label = "metric \"\(name)\""
            } else {
                label = "metrics[\(index)]"
            }
            var metric = Reader(fields: fields, path: "\(label): ", fail: fail)
            let name = try metric.string("name")
            guard !configuration.metrics.contains(where: { $0.name == name }) else {
                throw fail("\(label): declared twice")
            }
            let query = try metric.string("query")
            do {
                try Self.checkTemplate(query)
            } catch {
                throw fail("\(label): query: \(error)")
            }
            let directionText = try metric.string("badDirection")
            guard let direction = Direction(rawValue: directionText) else {
                throw fail("\(label): badDirection: expected above or below, got \"\(directionText)\"")
            }
            let step = try metric.integer("step", in: 1...3600) ?? 60
            configuration.metrics.append(
                Metric(
                    name: name, query: query, unit: try metric.optionalString("unit"), badDirection: direction,
                    sloThreshold: try metric.number("sloThreshold"), step: step))
            try metric.refuseUnknown()
        }
        reader.consumed.insert("metrics")
        try reader.refuseUnknown()
        return configuration
    }

    /// The template variables.
    static let variables = ["service", "environment", "version"]

    /// A template problem (`{version}` outside a string literal, unterminated string).
    struct TemplateError: Error, CustomStringConvertible {
        let description: String
    }

    /// Checks that every variable of `template` stands inside a double-quoted string literal,
    /// where its value is escaped, so no value can change the query's structure.
    static func checkTemplate(_ template: String) throws(TemplateError) {
        _ = try render(template, values: [:])
    }

    /// `template` with each `{variable}` replaced by its value escaped for a double-quoted
    /// PromQL string (backslash, double quote and control characters escaped); a missing value
    /// is the empty string.
    static func render(_ template: String, values: [String: String]) throws(TemplateError) -> String {
        var output = ""
        var quote: Character?  // the quote of the string literal we are in, if any
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            if let open = quote {
                if character == "\\" {
                    let next = template.index(after: index)
                    guard next < template.endIndex else {
                        throw TemplateError(description: "unterminated string literal")
                    }
                    output.append(character)
                    output.append(template[next])
                    index = template.index(after: next)
                    continue
                }
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" || character == "`" {
                quote = character
            }
            if character == "{", let variable = variables.first(where: { template[index...].hasPrefix("{\($0)}") }) {
                guard quote == "\"" else {
                    throw TemplateError(
                        description:
                            "{\(variable)} must stand inside a double-quoted string, e.g. label=\"{\(variable)}\"")
                }
                output += escape(values[variable] ?? "")
                index = template.index(index, offsetBy: variable.count + 2)
                continue
            }
            output.append(character)
            index = template.index(after: index)
        }
        guard quote == nil else { throw TemplateError(description: "unterminated string literal") }
        return output
    }

    /// `value` escaped for a double-quoted PromQL (Go) string literal.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: escaped += String(format: "\\x%02x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Reads members of one JSON object, remembering which were read so unknown ones are refused.
    private struct Reader {
        let fields: [String: JSONValue]
        let path: String
        let fail: (String) -> ServiceError
        var consumed: Set<String> = []

        init(fields: [String: JSONValue], path: String, fail: @escaping (String) -> ServiceError) {
            self.fields = fields
            self.path = path
            self.fail = fail
        }

        mutating func value(_ key: String) -> JSONValue? {
            consumed.insert(key)
            if case .null? = fields[key] { return nil }
            return fields[key]
        }

        mutating func optionalString(_ key: String) throws -> String? {
            guard let value = value(key) else { return nil }
            guard case .string(let text) = value, !text.isEmpty else {
                throw fail("\(path)\(key): expected a non-empty string")
            }
            return text
        }

        mutating func string(_ key: String) throws -> String {
            guard let text = try optionalString(key) else { throw fail("\(path)\(key): required") }
            return text
        }

        mutating func number(_ key: String) throws -> Double? {
            guard let value = value(key) else { return nil }
            guard case .number(let number) = value, abs(number) <= 1e307 else {
                throw fail("\(path)\(key): expected a number")
            }
            return number
        }

        mutating func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let number = try number(key) else { return nil }
            guard number.rounded() == number, let integer = Int(exactly: number), range.contains(integer) else {
                throw fail(
                    "\(path)\(key): expected an integer in \(range.lowerBound)…\(range.upperBound), got \(number)")
            }
            return integer
        }

        mutating func object(_ key: String) throws -> [String: JSONValue]? {
            guard let value = value(key) else { return nil }
            guard case .object(let fields) = value else { throw fail("\(path)\(key): expected an object") }
            return fields
        }

        func refuseUnknown() throws {
            if let unknown = fields.keys.sorted().first(where: { !consumed.contains($0) }) {
                throw fail("\(path)\(unknown): unknown member")
            }
        }
    }
}
