import Foundation
import HTTPTypes
import Hummingbird
import PostmortemCore

/// The read-only web UI under `/ui/` (docs/ui.md): server-rendered HTML that works without
/// JavaScript. Login with an API token (a signed session cookie results) or through an
/// authenticating proxy's header; the pages list postmortems, show one (its stored document,
/// as the API serves it) with its metric charts, list action items, and chart the delivery
/// insights. Nothing in the UI writes.
struct UIRoutes: Sendable {
    let postmortems: PostmortemReader
    /// The metric points the postmortem page charts.
    let chartPoints: ChartPointsReader
    let actionItems: ActionItemStore
    let insights: InsightsReader
    let authenticator: UIAuthenticator
    let metrics: ServiceMetrics
    let clock: @Sendable () -> Date

    /// The largest login form read.
    static let maxLoginBodyBytes = 4096

    /// Adds `/ui` (a redirect to the postmortem list) and the `/ui/...` routes behind request
    /// metrics and the HTML error pages; the pages behind ``UIAuthMiddleware``.
    func register(on router: Router<APIRequestContext>) {
        router.get("ui") { _, _ in Response.redirect(to: "/ui/postmortems", type: .normal) }
        let ui = router.group("ui")
            .add(middleware: RequestMetricsMiddleware(metrics: metrics))
            .add(middleware: UIResponseMiddleware())
        ui.get("login") { request, _ in
            if authenticator.principal(of: request) != nil {
                return Response.redirect(to: "/ui/postmortems", type: .normal)
            }
            return Self.page(UITemplates.render(LoginView(message: nil), "login"))
        }
        ui.post("login") { request, _ in try await logIn(request) }
        ui.post("logout") { request, _ in
            try UIAuthenticator.requireSameOrigin(request)
            var response = Response.redirect(to: "/ui/login", type: .normal)
            response.headers[.setCookie] = UISessions.clearCookie
            return response
        }
        let pages = ui.group().add(middleware: UIAuthMiddleware(authenticator: authenticator))
        pages.get("postmortems") { request, _ in try await listPostmortems(request) }
        pages.get("postmortems/{id}") { request, context in
            try await postmortem(context.parameters.require("id"), request: request)
        }
        pages.get("action-items") { request, _ in try await listActionItems(request) }
        pages.get("insights") { request, _ in try await insightsPage(request) }
    }

    private struct LoginForm: Decodable {
        var token: String
    }

    private func logIn(_ request: Request) async throws -> Response {
        try UIAuthenticator.requireSameOrigin(request)
        var request = request
        let body = try await request.collectBody(upTo: Self.maxLoginBodyBytes)
        let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: body))
        let tokens = authenticator.tokens
        guard let form, let principal = tokens.principal(for: form.token.trimmingCharacters(in: .whitespaces)),
            let binding = tokens.sessionBinding(of: principal)
        else {
            return Self.page(
                UITemplates.render(LoginView(message: "That token is not valid."), "login"), status: .unauthorized)
        }
        var response = Response.redirect(to: "/ui/postmortems", type: .normal)
        response.headers[.setCookie] = authenticator.sessions.setCookie(
            authenticator.sessions.value(for: principal, binding: binding, now: clock()))
        return response
    }

    private func user(_ request: Request) -> UserView? {
        authenticator.principal(of: request).map { principal, method in
            UserView(name: principal.name, scope: principal.scope.rawValue, canLogOut: method == .session)
        }
    }

    private func listPostmortems(_ request: Request) async throws -> Response {
        let query = try QueryReader(
            request, allowed: ["service", "environment", "status", "since", "limit", "cursor"], form: true)
        let service = try query.string("service")
        let environment = try query.string("environment")
        let status = try query.value("status", as: PostmortemStatus.self)
        let sinceText = try query.string("since", maxLength: 40)
        let limit = try query.givenLimit()
        let since = try sinceText.map(Self.since)
        let page = try await postmortems.summaries(
            PostmortemFilter(
                service: service, environment: environment, status: status, since: since,
                limit: limit ?? QueryReader.defaultLimit,
                after: try query.cursor()))
        let view = PostmortemListView(
            user: user(request),
            filter: .init(service: service, environment: environment, since: sinceText),
            statuses: ChoiceView.choices(PostmortemStatus.allCases.map(\.rawValue), selected: status?.rawValue),
            rows: page.items.map(PostmortemRowView.init),
            next: page.next.map { cursor in
                Self.link(
                    "/ui/postmortems",
                    [
                        ("service", service), ("environment", environment), ("status", status?.rawValue),
                        ("since", sinceText), ("limit", limit.map(String.init)), ("cursor", cursor.token),
                    ])
            })
        return Self.page(UITemplates.render(view, "postmortems"))
    }

    private func postmortem(_ id: String, request: Request) async throws -> Response {
        _ = try QueryReader(request, allowed: [])
        guard let uuid = canonicalUUID(id), let postmortem = try await postmortems.postmortem(id: uuid) else {
            throw APIError.notFound("There is no postmortem \(id).")
        }
        let view = PostmortemView(
            user: user(request), postmortem: postmortem, points: try await chartPoints.points(of: postmortem),
            now: clock())
        return Self.page(UITemplates.render(view, "postmortem"))
    }

    private func listActionItems(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: ["owner", "status", "overdue", "limit", "cursor"], form: true)
        let owner = try query.string("owner")
        let status = try query.value("status", as: ActionItemStatus.self)
        let overdue = try query.bool("overdue")
        let limit = try query.givenLimit()
        let now = clock()
        let page = try await actionItems.list(
            ActionItemFilter(
                owner: owner, status: status, overdue: overdue, postmortemId: nil,
                limit: limit ?? QueryReader.defaultLimit,
                after: try query.cursor()),
            now: now)
        let view = ActionItemListView(
            user: user(request), filter: .init(owner: owner),
            statuses: ChoiceView.choices(ActionItemStatus.allCases.map(\.rawValue), selected: status?.rawValue),
            overdueChoices: ChoiceView.choices(["true", "false"], selected: overdue.map { "\($0)" }),
            rows: page.items.map { ActionItemRowView($0.item, now: now) },
            next: page.next.map { cursor in
                Self.link(
                    "/ui/action-items",
                    [
                        ("owner", owner), ("status", status?.rawValue), ("overdue", overdue.map { "\($0)" }),
                        ("limit", limit.map(String.init)), ("cursor", cursor.token),
                    ])
            })
        return Self.page(UITemplates.render(view, "action-items"))
    }

    private func insightsPage(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: ["service", "environment", "team"], form: true)
        let to = clock()
        let from = to.addingTimeInterval(-InsightsRoutes.defaultRange)
        let filter = DeliveryFilter(
            service: try query.string("service"), environment: try query.string("environment"),
            team: try query.string("team"), from: from, to: to)
        async let figures = insights.delivery(filter)
        async let gaps = insights.gateGaps(from: from, to: to, minOccurrences: 2)
        let view = InsightsView(user: user(request), filter: filter, figures: try await figures, gaps: try await gaps)
        return Self.page(UITemplates.render(view, "insights"))
    }

    /// `since` as the form's date field sends it (`2026-11-01`, midnight UTC) or as an RFC 3339 time.
    static func since(_ text: String) throws -> Date {
        let isDay = text.utf8.count == 10 && text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (48...57).contains($0) }
        return try apiTime(isDay ? text + "T00:00:00Z" : text, naming: "since")
    }

    /// The characters a query value keeps as they are (RFC 3986 unreserved); the rest are percent-encoded.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `path` with the given query parameters (those with a value), each percent-encoded.
    static func link(_ path: String, _ parameters: [(String, String?)]) -> String {
        let query = parameters.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }
        }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    /// An HTML response.
    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

/// Every UI response: errors as an HTML page (with the status and message an ``APIError``
/// carries; anything unexpected logged and answered 500 without internals), and headers that
/// keep pages out of caches and frames and forbid every script (`Content-Security-Policy`
/// without `script-src`): even markup that escaped escaping would not run.
struct UIResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    static var securityHeaders: HTTPFields {
        [
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin", .cacheControl: "no-store",
            .xFrameOptions: "DENY",
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = Self.errorPage(status: error.status, message: error.message)
        } catch let error as any HTTPResponseError {
            response = Self.errorPage(status: error.status, message: error.status.reasonPhrase)
        } catch {
            context.logger.error("UI request failed", metadata: ["error": "\(error)"])
            response = Self.errorPage(
                status: .internalServerError, message: "Something went wrong; the service's log has the details.")
        }
        for field in Self.securityHeaders { response.headers[field.name] = field.value }
        return response
    }

    static func errorPage(status: HTTPResponse.Status, message: String) -> Response {
        UIRoutes.page(
            UITemplates.render(ErrorView(heading: "\(status.code) \(status.reasonPhrase)", message: message), "error"),
            status: status)
    }
}

extension HTTPField.Name {
    /// `X-Frame-Options`, for browsers without CSP's `frame-ancestors`.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
