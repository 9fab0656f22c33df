import Hummingbird
import PostmortemCore

/// An API failure, answered as `{"error":{"status":…,"code":…,"message":…}}` with
/// `Content-Type: application/json`. Messages never carry credentials.
struct APIError: Error, HTTPResponseError, Sendable {
    /// HTTP status.
    let status: HTTPResponse.Status
    /// Stable, machine-readable code (`not_found`, `conflict`, …).
    let code: String
    /// What went wrong, for people.
    let message: String
    /// Extra response headers (`WWW-Authenticate`, `ETag`).
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "bad_request", message: message)
    }
    static func unauthorized(_ message: String) -> APIError {
        APIError(
            status: .unauthorized, code: "unauthorized", message: message,
            headers: [.wwwAuthenticate: #"Bearer realm="deploy-postmortem""#])
    }
    static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden", message: message)
    }
    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }
    static func conflict(_ message: String) -> APIError {
        APIError(status: .conflict, code: "conflict", message: message)
    }
    static func preconditionFailed(_ message: String) -> APIError {
        APIError(status: .preconditionFailed, code: "precondition_failed", message: message)
    }

    /// The API error for any status (what the router and the body reader throw).
    static func status(_ status: HTTPResponse.Status, message: String?) -> APIError {
        let code: String =
            switch status.code {
            case 400: "bad_request"
            case 401: "unauthorized"
            case 403: "forbidden"
            case 404: "not_found"
            case 405: "method_not_allowed"
            case 406: "not_acceptable"
            case 408: "request_timeout"
            case 409: "conflict"
            case 412: "precondition_failed"
            case 413: "payload_too_large"
            case 415: "unsupported_media_type"
            case 400..<500: "bad_request"
            default: "internal_error"
            }
        return APIError(status: status, code: code, message: message ?? status.reasonPhrase)
    }

    /// The JSON body: `{"error":{"status":…,"code":…,"message":…}}`.
    var body: ByteBuffer {
        let body = JSONValue.object([
            "error": .object([
                "status": .number(Double(status.code)), "code": .string(code), "message": .string(message),
            ])
        ])
        return ByteBuffer(bytes: body.serializedBytes)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        var response = Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        response.addStandardHeaders()
        return response
    }
}

/// Answers every failure as an ``APIError``: framework errors (no route, body too large) keep
/// their status; anything unexpected is logged with the request ID and answered 500 without
/// internals.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError.status(error.status, message: error.body)
        } catch let error as any HTTPResponseError {
            throw APIError.status(error.status, message: nil)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.status(
                .internalServerError, message: "internal error; see the service log for request \(context.id)")
        }
    }
}

extension Response {
    /// Adds the headers every answer carries (the UI's pages set these and stricter ones of
    /// their own): `X-Content-Type-Options: nosniff`, so no browser runs a JSON or Markdown answer
    /// as anything else, and `Cache-Control: no-store` unless the route set one, so no shared
    /// cache keeps what a token was allowed to read. HSTS belongs to the TLS-terminating proxy
    /// (docs/operations.md).
    mutating func addStandardHeaders() {
        headers[.xContentTypeOptions] = "nosniff"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

/// ``Response/addStandardHeaders()`` on every answer that a route returns (errors get them
/// where ``APIError`` becomes a response).
struct StandardResponseHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.addStandardHeaders()
        return response
    }
}
