import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import PostmortemCore

/// One series of a `query_range` answer: its labels (without `__name__`) and its points.
struct PrometheusSeries: Sendable, Hashable {
    var labels: [String: String]
    var points: [MetricPoint]
}

/// Why a query failed; `reason` is the label of `deploy_postmortem_prometheus_query_failures_total`.
struct PrometheusQueryError: Error, CustomStringConvertible, Sendable {
    /// `timeout`, `unreachable`, `http_<status>`, `too_large`, `too_many_series`, `invalid_response`, `query_error`, `auth_file`.
    var reason: String
    var detail: String
    /// Worth retrying as it is (the server or the network may recover); a refused query is not.
    var isTransient: Bool

    var description: String { "\(reason): \(detail)" }
}

/// Runs PromQL `query_range` over HTTP(S) with the configured auth, timeouts and caps.
final class PrometheusClient: Sendable {
    private let configuration: PrometheusSourceConfiguration
    private let http: HTTPClient

    init(configuration: PrometheusSourceConfiguration) {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile { tls.trustRoots = .file(caFile) }
        let timeout = TimeAmount.seconds(Int64(configuration.timeoutSeconds))
        http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout)
            ))
    }

    /// Closes the connections.
    func shutdown() async {
        try? await http.shutdown()
    }

    /// The series `query` yields from `start` to `end` every `step` seconds. One request (no
    /// retry here); `end - start` must not exceed ``PrometheusSourceConfiguration/maxPointsPerQuery`` steps.
    func queryRange(_ query: String, start: Date, end: Date, step: Int) async throws(PrometheusQueryError)
        -> [PrometheusSeries]
    {
        var request = HTTPClientRequest(url: configuration.url + "/api/v1/query_range")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in try Self.authenticationHeaders(configuration) {
            request.headers.add(name: name, value: value)
        }
        let form = [("query", query), ("start", Self.seconds(start)), ("end", Self.seconds(end)), ("step", "\(step)")]
            .map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))

        let body: ByteBuffer
        let status: UInt
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(configuration.timeoutSeconds)))
            status = response.status.code
            body = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch let error as NIOTooManyBytesError {
            throw PrometheusQueryError(
                reason: "too_large",
                detail: "response larger than maxResponseBytes \(configuration.maxResponseBytes) (\(error))",
                isTransient: false)
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            throw PrometheusQueryError(
                reason: "timeout", detail: "no answer within \(configuration.timeoutSeconds) s", isTransient: true)
        } catch {
            throw PrometheusQueryError(reason: "unreachable", detail: "\(error)", isTransient: true)
        }
        return try Self.parse(Array(buffer: body), status: status, maxSeries: configuration.maxSeries)
    }

    /// The series of a `query_range` response body; an error for an error status or body.
    static func parse(_ body: [UInt8], status: UInt, maxSeries: Int) throws(PrometheusQueryError) -> [PrometheusSeries]
    {
        let document = try? JSONValue(parsing: body)
        guard case .object(let root)? = document else {
            throw PrometheusQueryError(
                reason: status == 200 ? "invalid_response" : "http_\(status)",
                detail: "HTTP \(status), not a JSON object: \(String(decoding: body.prefix(200), as: UTF8.self))",
                isTransient: status >= 500 || status == 429)
        }
        guard status == 200, case .string("success")? = root["status"] else {
            var detail = "HTTP \(status)"
            if case .string(let type)? = root["errorType"] { detail += " \(type)" }
            if case .string(let message)? = root["error"] { detail += ": \(message)" }
            // 400/422: the query itself is refused (a bad template); 5xx and 429: the server may recover.
            throw PrometheusQueryError(
                reason: status == 200 ? "query_error" : "http_\(status)", detail: detail,
                isTransient: status >= 500 || status == 429)
        }
        func invalid(_ what: String) -> PrometheusQueryError {
            PrometheusQueryError(reason: "invalid_response", detail: what, isTransient: false)
        }
        guard case .object(let data)? = root["data"], case .array(let results)? = data["result"] else {
            throw invalid("no data.result")
        }
        guard case .string("matrix")? = data["resultType"] else { throw invalid("resultType is not matrix") }
        guard results.count <= maxSeries else {
            throw PrometheusQueryError(
                reason: "too_many_series",
                detail: "\(results.count) series, more than maxSeries \(maxSeries): aggregate with sum by (…)",
                isTransient: false)
        }
        var series: [PrometheusSeries] = []
        for result in results {
            guard case .object(let fields) = result, case .object(let metric)? = fields["metric"],
                case .array(let values)? = fields["values"]
            else { throw invalid("a result without metric and values") }
            var labels: [String: String] = [:]
            for (name, value) in metric where name != "__name__" {
                guard case .string(let text) = value else { throw invalid("label \(name) is not a string") }
                if !text.isEmpty { labels[name] = text }
            }
            var points: [MetricPoint] = []
            for value in values {
                guard case .array(let pair) = value, pair.count == 2, case .number(let at) = pair[0],
                    case .string(let text) = pair[1]
                else { throw invalid("a value that is not [time, \"number\"]") }
                // NaN and ±Inf (a ratio over no traffic, say) are gaps, not values the analysis can judge.
                guard let number = Double(text), number.isFinite, abs(number) <= 1e307 else { continue }
                points.append(MetricPoint(at: Date(timeIntervalSince1970: at), value: number))
            }
            if !points.isEmpty { series.append(PrometheusSeries(labels: labels, points: points)) }
        }
        return series
    }

    /// Authorization and tenant headers; secrets are read from their files at each query.
    static func authenticationHeaders(_ configuration: PrometheusSourceConfiguration) throws(PrometheusQueryError) -> [(
        String, String
    )] {
        var headers: [(String, String)] = []
        func read(_ path: String) throws(PrometheusQueryError) -> String {
            do {
                return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw PrometheusQueryError(
                    reason: "auth_file", detail: "cannot read \(path): \(error.localizedDescription)", isTransient: true
                )
            }
        }
        if let path = configuration.bearerTokenFile {
            headers.append(("Authorization", "Bearer \(try read(path))"))
        } else if let user = configuration.basicAuthUsername, let path = configuration.basicAuthPasswordFile {
            headers.append(("Authorization", "Basic \(Data("\(user):\(try read(path))".utf8).base64EncodedString())"))
        }
        if let tenant = configuration.tenant { headers.append(("X-Scope-OrgID", tenant)) }
        return headers
    }

    /// Unix seconds with millisecond precision, as Prometheus reads them.
    static func seconds(_ date: Date) -> String {
        String(format: "%.3f", date.timeIntervalSince1970)
    }

    /// `value` percent-encoded for an `application/x-www-form-urlencoded` body.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.unicodeScalars.map { scalar in
            scalar.isASCII && allowed.contains(scalar)
                ? String(scalar) : String(scalar).utf8.map { String(format: "%%%02X", $0) }.joined()
        }.joined()
    }
}
