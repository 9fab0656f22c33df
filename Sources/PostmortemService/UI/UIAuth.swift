import Foundation
import HTTPTypes
import Hummingbird

/// Who may see the UI's pages: the user an authenticating proxy names in the configured header
/// (when one is configured), else the holder of a valid session cookie. Anyone else is sent to
/// `/ui/login` (303). A proxy-named user has the read scope; a session keeps its token's scope
/// (shown in the header), which the UI never uses: it offers no write operation.
struct UIAuthMiddleware: RouterMiddleware {
    let authenticator: UIAuthenticator

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let (principal, _) = authenticator.principal(of: request) else {
            return Response.redirect(to: "/ui/login", type: .normal)
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "ui.user"] = "\(principal.name)"
        return try await next(request, context)
    }
}

/// How a request is authenticated for the UI: by the proxy header, or by the session cookie.
struct UIAuthenticator: Sendable {
    /// How a principal was authenticated.
    enum Method: Sendable {
        /// The configured proxy header named the user (no logout: the proxy owns the session).
        case proxy
        /// A session cookie signed by ``UISessions``.
        case session
    }

    let sessions: UISessions
    /// The tokens sessions are bound to: a session whose token was removed or rotated is refused.
    let tokens: APITokens
    /// The header an authenticating proxy sets (`UI_AUTH_PROXY_HEADER`), when configured.
    let proxyHeader: HTTPField.Name?
    let clock: @Sendable () -> Date

    /// The longest user name taken from the proxy header.
    static let maxProxyUserLength = 200

    /// The request's principal and how it was found, or nil when it has neither a proxy
    /// header (configured, present, 1 to 200 characters) nor a valid session cookie whose
    /// token is still configured as it was at login.
    func principal(of request: Request) -> (APIPrincipal, Method)? {
        if let proxyHeader, let user = request.headers[proxyHeader]?.trimmingCharacters(in: .whitespaces),
            (1...Self.maxProxyUserLength).contains(user.count)
        {
            return (APIPrincipal(name: user, scope: .read), .proxy)
        }
        let cookies = request.headers[values: .cookie]
        guard let value = UISessions.cookie(in: cookies), let session = sessions.session(from: value, now: clock()),
            tokens.sessionBinding(of: session.principal) == session.binding
        else { return nil }
        return (session.principal, .session)
    }

    /// Whether a form POST comes from this site's own pages: 403 when the browser says it is
    /// cross-site (`Sec-Fetch-Site`) or its `Origin` names another host than `Host`. (The
    /// session cookie is SameSite=Strict as well; this also stops login CSRF.)
    static func requireSameOrigin(_ request: Request) throws {
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" {
            throw APIError.forbidden("cross-site form submissions are refused")
        }
        if let origin = request.headers[.origin], origin != "null" {
            let host = request.head.authority ?? ""
            guard let url = URL(string: origin), let originHost = url.host else {
                throw APIError.forbidden("cross-site form submissions are refused")
            }
            let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
            guard originAuthority.lowercased() == host.lowercased() else {
                throw APIError.forbidden("cross-site form submissions are refused")
            }
        }
    }
}

extension HTTPField.Name {
    /// `Sec-Fetch-Site`: where a browser request comes from (same-origin, same-site, cross-site, none).
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
