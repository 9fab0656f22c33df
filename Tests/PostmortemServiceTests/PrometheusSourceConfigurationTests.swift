import Foundation
import PostmortemCore
import Testing

@testable import PostmortemService

/// The Prometheus source's file, its PromQL templates and its reading of `query_range` answers.
@Suite("Prometheus source configuration")
struct PrometheusSourceConfigurationTests {
    static let metric =
        #"{"name": "error_ratio", "query": "sum(rate(errors{service=\"{service}\"}[5m]))", "badDirection": "above", "step": 30}"#

    static func parse(_ text: String) throws -> PrometheusSourceConfiguration {
        try PrometheusSourceConfiguration.parse(Array(text.utf8), file: "/etc/prometheus-source.json")
    }

    @Test func readsEveryMember() throws {
        let token = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID())")
        try "secret\n".write(to: token, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: token) }
        let configuration = try Self.parse(
            """
            {"url": "https://mimir.example:8080/prometheus/", "intervalSeconds": 30, "timeoutSeconds": 5, "retries": 3,
             "maxResponseBytes": 1048576, "maxSeries": 10,
             "auth": {"bearerTokenFile": "\(token.path)", "caFile": "\(token.path)", "tenant": "team-a"},
             "metrics": [\(Self.metric),
                         {"name": "p99_ms", "query": "histogram_quantile(0.99, x{version=\\"{version}\\"})", "unit": "ms",
                          "badDirection": "above", "sloThreshold": 250}]}
            """)
        #expect(configuration.url == "https://mimir.example:8080/prometheus")
        #expect(configuration.intervalSeconds == 30 && configuration.timeoutSeconds == 5 && configuration.retries == 3)
        #expect(configuration.maxResponseBytes == 1_048_576 && configuration.maxSeries == 10)
        #expect(
            configuration.bearerTokenFile == token.path && configuration.caFile == token.path
                && configuration.tenant == "team-a")
        #expect(configuration.metrics.map(\.name) == ["error_ratio", "p99_ms"])
        #expect(configuration.metrics[0].step == 30 && configuration.metrics[1].step == 60)
        #expect(configuration.metrics[1].unit == "ms" && configuration.metrics[1].sloThreshold == 250)
        #expect(configuration.metrics[1].badDirection == .above)
    }

    @Test(arguments: [
        (#"{"metrics": []}"#, "url: required"),
        (#"{"url": "ftp://x", "metrics": []}"#, #"url: expected an http or https URL without query, got "ftp://x""#),
        (#"{"url": "http://p:9090", "metrics": []}"#, "metrics: expected a non-empty array"),
        (#"{"url": "http://p:9090", "metric": [], "metrics": [METRIC]}"#, "metric: unknown member"),
        (
            #"{"url": "http://p:9090", "timeoutSeconds": 0, "metrics": [METRIC]}"#,
            "timeoutSeconds: expected an integer in 1…300, got 0.0"
        ),
        (#"{"url": "http://p:9090", "metrics": [METRIC, METRIC]}"#, #"metric "error_ratio": declared twice"#),
        (
            #"{"url": "http://p:9090", "metrics": [{"name": "e", "query": "up", "badDirection": "up"}]}"#,
            #"metric "e": badDirection: expected above or below, got "up""#
        ),
        (
            #"{"url": "http://p:9090", "metrics": [{"name": "e", "query": "up", "badDirection": "above", "step": 7200}]}"#,
            #"metric "e": step: expected an integer in 1…3600, got 7200.0"#
        ),
        (
            #"{"url": "http://p:9090", "metrics": [{"name": "e", "query": "up{service={service}}", "badDirection": "above"}]}"#,
            #"metric "e": query: {service} must stand inside a double-quoted string, e.g. label="{service}""#
        ),
        (
            #"{"url": "http://p:9090", "metrics": [{"query": "up", "badDirection": "above"}]}"#,
            "metrics[0]: name: required"
        ),
        (
            #"{"url": "http://p:9090", "auth": {"bearerTokenFile": "/nonexistent/token"}, "metrics": [METRIC]}"#,
            "auth.bearerTokenFile: cannot read /nonexistent/token"
        ),
        (
            #"{"url": "http://p:9090", "auth": {"basicAuth": {"username": "u"}}, "metrics": [METRIC]}"#,
            "auth.basicAuth.passwordFile: required"
        ),
    ])
    func refusesWithAnErrorNamingTheFileAndTheMember(_ text: String, _ reason: String) {
        #expect {
            try Self.parse(text.replacingOccurrences(of: "METRIC", with: Self.metric))
        } throws: { error in
            "\(error)" == "PROMETHEUS_SOURCE_FILE /etc/prometheus-source.json: \(reason)"
        }
    }

    @Test(arguments: [
        // Each value is escaped for the double-quoted string it stands in: it cannot end the string.
        (#"up{service="{service}"}"#, "checkout", #"up{service="checkout"}"#),
        (#"up{service="{service}"}"#, #"a"} or vector(1) or up{x=""#, #"up{service="a\"} or vector(1) or up{x=\""}"#),
        (#"up{service="{service}"}"#, "back\\slash\nline", #"up{service="back\\slash\nline"}"#),
        (#"up{service=~"{service}-.*", env="{environment}"}"#, "web", #"up{service=~"web-.*", env="prod"}"#),
        // Braces of label matchers are left alone.
        (#"sum by (le) (rate(x_bucket{job="{service}"}[5m]))"#, "api", #"sum by (le) (rate(x_bucket{job="api"}[5m]))"#),
        (#"x{a="\"{service}\""}"#, "s", #"x{a="\"s\""}"#),
    ])
    func rendersVariablesEscaped(_ template: String, _ service: String, _ expected: String) throws {
        #expect(
            try PrometheusSourceConfiguration.render(template, values: ["service": service, "environment": "prod"])
                == expected)
    }

    @Test(arguments: [#"up{service='{service}'}"#, "up{service={service}}", #"up{service="{service}}"#])
    func refusesVariablesOutsideDoubleQuotes(_ template: String) {
        #expect(throws: PrometheusSourceConfiguration.TemplateError.self) {
            try PrometheusSourceConfiguration.checkTemplate(template)
        }
    }

    @Test func readsAMatrixKeepingLabelsAndSkippingNonFiniteValues() throws {
        let body = #"""
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"__name__":"errors","service":"checkout","pod":"a"},"values":[[1700000000,"0.5"],[1700000060,"NaN"],[1700000120.5,"+Inf"],[1700000180,"2e-3"]]},
              {"metric":{"pod":"b"},"values":[[1700000000,"NaN"]]}]}}
            """#
        let series = try PrometheusClient.parse(Array(body.utf8), status: 200, maxSeries: 5)
        #expect(
            series == [
                PrometheusSeries(
                    labels: ["service": "checkout", "pod": "a"],
                    points: [
                        MetricPoint(at: Date(timeIntervalSince1970: 1_700_000_000), value: 0.5),
                        MetricPoint(at: Date(timeIntervalSince1970: 1_700_000_180), value: 0.002),
                    ])
            ])
    }

    @Test(arguments: [
        (#"{"status":"error","errorType":"bad_data","error":"parse error"}"#, UInt(400), "http_400", false),
        (#"{"status":"error","errorType":"unavailable","error":"overloaded"}"#, UInt(503), "http_503", true),
        ("<html>bad gateway</html>", UInt(502), "http_502", true),
        (#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, UInt(200), "invalid_response", false),
        (
            #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]},{"metric":{},"values":[]}]}}"#,
            UInt(200), "too_many_series", false
        ),
    ])
    func classifiesFailures(_ body: String, _ status: UInt, _ reason: String, _ transient: Bool) {
        #expect {
            try PrometheusClient.parse(Array(body.utf8), status: status, maxSeries: 1)
        } throws: { error in
            guard let error = error as? PrometheusQueryError else { return false }
            return error.reason == reason && error.isTransient == transient
        }
    }

    @Test func authenticationHeadersReadTheSecretFilesAtEachQuery() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID())")
        defer { try? FileManager.default.removeItem(at: secret) }
        try "first\n".write(to: secret, atomically: true, encoding: .utf8)
        var bearer = try Self.parse(
            #"{"url": "http://p:9090", "metrics": [METRIC]}"#.replacingOccurrences(of: "METRIC", with: Self.metric))
        bearer.bearerTokenFile = secret.path
        bearer.tenant = "team-a"
        #expect(
            try PrometheusClient.authenticationHeaders(bearer).map { "\($0.0): \($0.1)" } == [
                "Authorization: Bearer first", "X-Scope-OrgID: team-a",
            ])
        try "rotated".write(to: secret, atomically: true, encoding: .utf8)
        #expect(try PrometheusClient.authenticationHeaders(bearer).first?.1 == "Bearer rotated")

        var basic = bearer
        (basic.bearerTokenFile, basic.tenant, basic.basicAuthUsername, basic.basicAuthPasswordFile) = (
            nil, nil, "grafana", secret.path
        )
        #expect(
            try PrometheusClient.authenticationHeaders(basic).map { "\($0.0): \($0.1)" } == [
                "Authorization: Basic Z3JhZmFuYTpyb3RhdGVk"
            ])

        try FileManager.default.removeItem(at: secret)
        #expect { try PrometheusClient.authenticationHeaders(basic) } throws: {
            ($0 as? PrometheusQueryError)?.reason == "auth_file"
        }
    }

    @Test func encodesFormValues() {
        #expect(
            PrometheusClient.formEncode(#"sum(x{a="b c"}) / 2+1"#) == "sum%28x%7Ba%3D%22b%20c%22%7D%29%20%2F%202%2B1")
        #expect(PrometheusClient.seconds(Date(timeIntervalSince1970: 1_700_000_000.25)) == "1700000000.250")
    }
}
