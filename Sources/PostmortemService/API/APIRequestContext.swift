import Hummingbird

/// The request context of the HTTP surface: Hummingbird's core plus the authenticated caller.
public struct APIRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, route, parameters).
    public var coreContext: CoreRequestContextStorage
    /// Who presented a valid token; set by ``BearerAuthMiddleware``, nil on unauthenticated routes.
    var principal: APIPrincipal?

    /// A context for a request arriving from `source`, not yet authenticated.
    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The authenticated caller (routes behind ``BearerAuthMiddleware`` only).
    func requirePrincipal() throws -> APIPrincipal {
        guard let principal else { throw APIError.unauthorized("missing bearer token") }
        return principal
    }
}

/// Requires `Authorization: Bearer <token>` of a configured token: 401 without a valid one.
/// Safe methods (GET, HEAD) need the read scope, every other method the write scope (403).
/// The token is never logged; the caller's entry name is added to the request's log metadata.
struct BearerAuthMiddleware: RouterMiddleware {
    let tokens: APITokens

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized("missing bearer token") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("expected Authorization: Bearer <token>")
        }
        guard let principal = tokens.principal(for: parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw APIError.unauthorized("invalid token")
        }
        let needed: APIScope = request.method == .get || request.method == .head ? .read : .write
        guard principal.scope >= needed else {
            throw APIError.forbidden(
                "token \(principal.name) has the \(principal.scope.rawValue) scope; this needs \(needed.rawValue)")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "api.caller"] = "\(principal.name)"
        return try await next(request, context)
    }
}

/// Records the latency of every request in `deploy_postmortem_http_request_duration_seconds`,
/// labelled by method, route template (never the raw path) and status.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(
                method: request.method.rawValue, route: route, status: response.status.code,
                duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(
                method: request.method.rawValue, route: route, status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
