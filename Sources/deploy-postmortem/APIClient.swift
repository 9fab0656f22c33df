import Foundation
import PostmortemService

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Why a call of the `/v1` API failed, worded for the terminal (printed after `error: `).
enum APIClientError: Error, CustomStringConvertible {
    /// `DEPLOY_POSTMORTEM_TOKEN` is unset or empty.
    case missingToken
    /// The server could not be reached at all.
    case unreachable(url: String, reason: String)
    /// The server answered with a non-2xx status and its JSON error body.
    case rejected(status: Int, code: String, message: String)
    /// The server answered something that is not what the API documents.
    case unexpectedResponse(String)

    /// The message printed after `error: `.
    var description: String {
        switch self {
        case .missingToken:
            "\(APIClient.tokenVariable) is not set; export an API token of the service (read scope, write scope for changes)"
        case .unreachable(let url, let reason):
            "cannot reach deploy-postmortem at \(url): \(reason)"
        case .rejected(let status, let code, let message):
            "\(status) \(code): \(message)"
        case .unexpectedResponse(let what):
            "unexpected response: \(what)"
        }
    }
}

/// A successful (2xx) answer of the API.
struct APIResponse: Sendable {
    /// The body exactly as received.
    let body: Data

    /// The body as UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as JSON into `type`.
    func decode<T: Decodable>(_ type: T.Type) throws(APIClientError) -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw .unexpectedResponse("cannot decode \(T.self): \(error)")
        }
    }
}

/// The HTTP plumbing of the API commands: bearer-authenticated requests to one server, with
/// error bodies turned into ``APIClientError``.
struct APIClient: Sendable {
    /// The environment variable holding the bearer token (never a flag, never printed).
    static let tokenVariable = "DEPLOY_POSTMORTEM_TOKEN"

    /// The server's base URL without a trailing slash, e.g. `http://127.0.0.1:8080`.
    let baseURL: String
    private let token: String

    /// A client of the server at `baseURL`, authenticated with the token from `environment`.
    init(baseURL: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(APIClientError) {
        guard let token = environment[Self.tokenVariable], !token.isEmpty else { throw .missingToken }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// `GET path?query`, asking for `accept`. Query members whose value is nil are left out.
    func get(_ path: String, query: [(name: String, value: String?)] = [], accept: String = "application/json")
        async throws(APIClientError) -> APIResponse
    {
        var request = try request(path, query: query)
        request.setValue(accept, forHTTPHeaderField: "Accept")
        return try await send(request)
    }

    /// `PATCH path` with a JSON body, conditional on `ifMatch` (an ETag value) when given.
    func patch(_ path: String, json body: Data, ifMatch: String?) async throws(APIClientError) -> APIResponse {
        var request = try request(path, query: [])
        request.httpMethod = "PATCH"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let ifMatch { request.setValue(ifMatch, forHTTPHeaderField: "If-Match") }
        return try await send(request)
    }

    /// `text` percent-encoded so that only RFC 3986 unreserved characters stay literal: safe as
    /// a path segment and as a query value (`+`, `&`, `/` and `:` are encoded too).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A request for `path` (already encoded) with the present query members and the token.
    private func request(_ path: String, query: [(name: String, value: String?)]) throws(APIClientError) -> URLRequest {
        let pairs = query.compactMap { member in member.value.map { "\(Self.encoded(member.name))=\(Self.encoded($0))" }
        }
        let text = baseURL + path + (pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&"))
        guard let url = URL(string: text) else { throw .unreachable(url: text, reason: "not a valid URL") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue(ProductVersion.userAgent, forHTTPHeaderField: "User-Agent")
        return request
    }

    /// Sends `request`; a 2xx answer is returned, anything else thrown.
    private func send(_ request: URLRequest) async throws(APIClientError) -> APIResponse {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw .unreachable(url: baseURL, reason: Self.reason(error))
        }
        guard let http = response as? HTTPURLResponse else { throw .unexpectedResponse("not an HTTP response") }
        guard (200..<300).contains(http.statusCode) else { throw Self.rejection(status: http.statusCode, body: data) }
        return APIResponse(body: data)
    }

    /// The session of every request: ephemeral (no cookies or cache on disk) and refusing
    /// redirects, so the bearer token never follows a redirect to another host.
    private static let session = URLSession(configuration: .ephemeral, delegate: RefuseRedirects(), delegateQueue: nil)

    /// Answers every redirect with "do not follow": the 3xx reaches the caller as an error.
    private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    /// The API's error body (`{"error":{"status","code","message"}}`) as ``APIClientError``; a body of
    /// another shape (a proxy's page, say) is shown as text.
    private static func rejection(status: Int, body: Data) -> APIClientError {
        /// The documented error body.
        struct ErrorBody: Decodable {
            /// Its only member.
            struct Detail: Decodable {
                let code: String
                let message: String
            }
            let error: Detail
        }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body) {
            return .rejected(status: status, code: decoded.error.code, message: decoded.error.message)
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return .unexpectedResponse("HTTP \(status)" + (text.isEmpty ? " without a body" : ": \(text)"))
    }

    /// A short reason for a transport failure.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "unknown host"
        case .timedOut: return "no answer within 30 s"
        case .networkConnectionLost: return "the connection was closed"
        default: return error.localizedDescription
        }
    }
}
