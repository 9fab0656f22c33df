import DemoScenarios
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import PostmortemService

/// The sample events with markup where the UI shows event text: the service's name, the
/// metric's name and the incident's description each carry `<script>alert(1)</script>`.
enum HostileEvents {
    static let script = "<script>alert(1)</script>"
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    static let service = "checkout\(script)"

    static let lines: [String] = SampleEvents.lines.map {
        $0.replacingOccurrences(of: #""checkout""#, with: #""\#(service)""#)
            .replacingOccurrences(of: "latency_p99_ms", with: "latency_p99_ms\(script)")
            .replacingOccurrences(of: "payments time out", with: "payments time out \(script)")
    }
}

/// An HTTP answer of the UI.
struct UIAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var html: String
}

/// Calls the UI the way a browser would: form posts, cookies and the proxy header by hand.
struct UICaller {
    let client: any TestClientProtocol

    func get(_ uri: String, cookie: String? = nil, headers: HTTPFields = [:]) async throws -> UIAnswer {
        var headers = headers
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers, body: nil) {
            UIAnswer(status: $0.status, headers: $0.headers, html: String(buffer: $0.body))
        }
    }

    func post(_ uri: String, form: String = "", headers: HTTPFields = [:]) async throws -> UIAnswer {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: form)) {
            UIAnswer(status: $0.status, headers: $0.headers, html: String(buffer: $0.body))
        }
    }

    /// Logs in with `token` and returns the `Cookie` header value of the session.
    func logIn(_ token: String = ServiceHarness.readToken) async throws -> String {
        let answer = try await post("/ui/login", form: "token=\(token)")
        #expect(answer.status == .seeOther)
        let setCookie = try #require(answer.headers[.setCookie])
        return String(try #require(setCookie.split(separator: ";").first))
    }
}

/// The web UI over real HTTP against the running service and PostgreSQL: login and its cookie,
/// the proxy header, redirects, every page and its filters, pagination links, error pages, and
/// that event text is shown as text.
@Suite("Web UI", .serialized)
struct UITests {
    static let proxyHeader = "X-Auth-Request-User"

    /// Runs `body` against a live server holding the postmortems of the hostile sample events
    /// (d-42) and of the demo stories (whose metrics degrade around their deploys).
    static func withUI(_ body: @escaping @Sendable (ServiceHarness, UICaller) async throws -> Void) async throws {
        try await ServiceHarness.with(configure: { $0.ui.authProxyHeader = proxyHeader }) { harness in
            let stories = DemoScenarios.all(endingAt: Date())
            try await harness.produce(HostileEvents.lines)
            try await harness.produce(stories)
            try await harness.waitUntilSettled(
                "the postmortems published",
                messages: HostileEvents.lines.count + stories.map(\.events.count).reduce(0, +))
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                try await body(harness, UICaller(client: client))
            }
        }
    }

    @Test func loginSetsASignedStrictCookieAndLogoutClearsIt() async throws {
        try await Self.withUI { _, ui in
            // Without a session every page sends the browser to the login form.
            for path in ["/ui/postmortems", "/ui/action-items", "/ui/insights", "/ui/postmortems/x"] {
                let answer = try await ui.get(path)
                #expect(answer.status == .seeOther, "\(path)")
                #expect(answer.headers[.location] == "/ui/login", "\(path)")
            }
            #expect(try await ui.get("/ui").headers[.location] == "/ui/postmortems")
            let form = try await ui.get("/ui/login")
            #expect(form.status == .ok)
            #expect(form.headers[.contentType] == "text/html; charset=utf-8")
            #expect(form.html.contains(#"<form class="login" method="post" action="/ui/login">"#))

            let refused = try await ui.post("/ui/login", form: "token=not-a-token-0123456789")
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.setCookie] == nil)
            #expect(refused.html.contains("That token is not valid."))

            let login = try await ui.post("/ui/login", form: "token=\(ServiceHarness.readToken)")
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == "/ui/postmortems")
            let setCookie = try #require(login.headers[.setCookie])
            let attributes = Set(
                setCookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes == ["Path=/ui", "Max-Age=28800", "HttpOnly", "Secure", "SameSite=Strict"])
            #expect(!setCookie.contains(ServiceHarness.readToken))
            let cookie = String(try #require(setCookie.split(separator: ";").first))

            let page = try await ui.get("/ui/postmortems", cookie: cookie)
            #expect(page.status == .ok)
            #expect(page.html.contains("reader (read)"))
            #expect(page.html.contains(#"<form method="post" action="/ui/logout">"#))
            #expect(try await ui.get("/ui/login", cookie: cookie).headers[.location] == "/ui/postmortems")

            // A cookie changed by one character is no session.
            let tampered = String(cookie.dropLast()) + (cookie.hasSuffix("A") ? "B" : "A")
            #expect(try await ui.get("/ui/postmortems", cookie: tampered).status == .seeOther)

            // Cross-site form posts are refused, login CSRF included.
            for headers: HTTPFields in [
                [.origin: "https://evil.example"], [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
            ] {
                #expect(try await ui.post("/ui/logout", headers: headers).status == .forbidden)
                let crossLogin = try await ui.post(
                    "/ui/login", form: "token=\(ServiceHarness.readToken)", headers: headers)
                #expect(crossLogin.status == .forbidden)
                #expect(crossLogin.headers[.setCookie] == nil)
            }
            let logout = try await ui.post("/ui/logout")
            #expect(logout.status == .seeOther)
            #expect(logout.headers[.location] == "/ui/login")
            #expect(logout.headers[.setCookie]?.hasPrefix("dp_session=; Path=/ui; Max-Age=0;") == true)
        }
    }

    @Test func theProxyHeaderNamesTheUserWithoutLogout() async throws {
        try await Self.withUI { _, ui in
            let page = try await ui.get(
                "/ui/postmortems", headers: [HTTPField.Name(Self.proxyHeader)!: "alice@example.com"])
            #expect(page.status == .ok)
            #expect(page.html.contains("alice@example.com (read)"))
            #expect(!page.html.contains("/ui/logout"), "the proxy owns that session")
            let blank = try await ui.get("/ui/postmortems", headers: [HTTPField.Name(Self.proxyHeader)!: " "])
            #expect(blank.status == .seeOther)
        }
    }

    @Test func pagesFiltersAndPaginationLinks() async throws {
        try await Self.withUI { _, ui in
            let cookie = try await ui.logIn()
            let all = try await ui.get("/ui/postmortems", cookie: cookie)
            #expect(all.status == .ok)
            #expect(all.html.contains(">d-42</a>"))
            #expect(all.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(all.headers[.cacheControl] == "no-store")
            let postmortemPath = try #require(Self.link(in: all.html, to: "d-42"))

            // Each filter, as the form sends it (empty fields included), matches or excludes d-42.
            let service = HostileEvents.service.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for (query, matches) in [
                ("service=\(service)&environment=&status=&since=", true),
                ("service=other&environment=&status=&since=", false),
                ("environment=prod&status=open", true), ("environment=staging", false),
                ("status=closed", false), ("since=2026-11-01", true), ("since=2999-01-01", false),
            ] {
                let page = try await ui.get("/ui/postmortems?\(query)", cookie: cookie)
                #expect(page.status == .ok, "\(query): \(page.html)")
                #expect(page.html.contains(">d-42</a>") == matches, "\(query)")
                #expect(page.html.contains("No postmortem matches.") == !matches, "\(query)")
            }
            let selected = try await ui.get("/ui/postmortems?status=open", cookie: cookie)
            #expect(selected.html.contains(#"<option value="open" selected>open</option>"#))

            let postmortem = try await ui.get(postmortemPath, cookie: cookie)
            #expect(postmortem.status == .ok)
            for text in ["Gate findings", "Action items", "Timeline", "d-42", "payments", "Contributing metrics"] {
                #expect(postmortem.html.contains(text), "\(text)")
            }
            #expect(!postmortem.html.contains("<svg"), "d-42 has no contributing metric")
            // The canary story: one chart per contributing metric, drawn from its stored points,
            // with its text alternative as the caption.
            let canaryPath = try #require(Self.link(in: all.html, to: "demo-canary-loose-1"))
            let canary = try await ui.get(canaryPath, cookie: cookie)
            let charts = canary.html.components(separatedBy: "<svg").count - 1
            #expect(charts >= 1)
            #expect(canary.html.components(separatedBy: "<figcaption>").count - 1 == charts)
            #expect(canary.html.components(separatedBy: #"role="img""#).count - 1 == charts)
            #expect(canary.html.contains("http_error_rate"))
            #expect(!canary.html.contains("no samples."), "every chart has its metric's points")

            // Every action item, two per page, each once, pages linked by "next".
            let total = Self.rows(in: try await ui.get("/ui/action-items?limit=200", cookie: cookie).html).count
            #expect(total > 5)
            var path: String? = "/ui/action-items?limit=2"
            var titles: [String] = []
            while let next = path {
                let page = try await ui.get(next, cookie: cookie)
                #expect(page.status == .ok)
                titles += Self.rows(in: page.html)
                path = Self.nextLink(in: page.html)
            }
            #expect(titles.count == total)
            #expect(Set(titles).count == total)
            let done = try await ui.get("/ui/action-items?owner=&status=done&overdue=", cookie: cookie)
            #expect(done.html.contains("No action item matches."))
            let notOverdue = try await ui.get("/ui/action-items?status=open&overdue=false&limit=200", cookie: cookie)
            let overdue = try await ui.get("/ui/action-items?status=open&overdue=true&limit=200", cookie: cookie)
            #expect(Self.rows(in: notOverdue.html).count + Self.rows(in: overdue.html).count == total)
            #expect(Self.rows(in: overdue.html).allSatisfy { $0.contains("badge overdue") })
            #expect(!Self.rows(in: notOverdue.html).contains { $0.contains("badge overdue") })

            let insights = try await ui.get("/ui/insights", cookie: cookie)
            #expect(insights.status == .ok)
            #expect(insights.html.components(separatedBy: "<svg").count - 1 == 4, "four weekly trend charts")
            for text in [
                "Deployment frequency", "Change failure rate", "Time to recover", "Rework rate", "Gate-gap ledger",
            ] {
                #expect(insights.html.contains(text), "\(text)")
            }
            #expect(try await ui.get("/ui/insights?team=payments", cookie: cookie).status == .ok)
        }
    }

    @Test func errorsAreHTMLPagesThatSayWhat() async throws {
        try await Self.withUI { _, ui in
            let cookie = try await ui.logIn()
            for (path, status, message) in [
                ("/ui/postmortems/not-a-uuid", HTTPResponse.Status.notFound, "There is no postmortem not-a-uuid."),
                ("/ui/postmortems/00000000-0000-0000-0000-000000000000", .notFound, "There is no postmortem"),
                ("/ui/postmortems?since=yesterday", .badRequest, "since: expected an RFC 3339 time"),
                ("/ui/postmortems?colour=red", .badRequest, "unknown query parameter colour"),
                ("/ui/action-items?overdue=maybe", .badRequest, "overdue: expected true or false"),
            ] {
                let answer = try await ui.get(path, cookie: cookie)
                #expect(answer.status == status, "\(path)")
                #expect(answer.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(answer.html.contains(message), "\(path): \(answer.html)")
            }
        }
    }

    @Test func eventTextIsShownAsTextAndNoPageWrites() async throws {
        try await Self.withUI { _, ui in
            let cookie = try await ui.logIn()
            let list = try await ui.get("/ui/postmortems", cookie: cookie)
            let postmortemPath = try #require(Self.link(in: list.html, to: "d-42"))
            for path in ["/ui/postmortems", postmortemPath, "/ui/action-items", "/ui/insights"] {
                let page = try await ui.get(path, cookie: cookie)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.html.lowercased().contains("<script"), "\(path) holds a script element")
                #expect(!page.html.contains(HostileEvents.script), "\(path)")
                // Only the logout form posts: the UI writes nothing.
                let posts = page.html.components(separatedBy: #"method="post""#).count - 1
                #expect(posts == 1 && page.html.contains(#"method="post" action="/ui/logout""#), "\(path)")
            }
            #expect(list.html.contains("checkout\(HostileEvents.escaped)"))
            let postmortem = try await ui.get(postmortemPath, cookie: cookie)
            #expect(postmortem.html.contains("payments time out \(HostileEvents.escaped)"))
            #expect(postmortem.html.contains("latency_p99_ms\(HostileEvents.escaped)"))
        }
    }

    /// The `href` of the link whose text is `text`.
    static func link(in html: String, to text: String) -> String? {
        html.components(separatedBy: "\">\(text)</a>").first?.components(separatedBy: "href=\"").last
    }

    /// The `rel="next"` link, unescaped.
    static func nextLink(in html: String) -> String? {
        html.components(separatedBy: #"<a rel="next" href=""#).dropFirst().first.map {
            String($0.prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    /// The table body rows of a page.
    static func rows(in html: String) -> [String] {
        guard
            let body = html.components(separatedBy: "<tbody>").dropFirst().first?.components(separatedBy: "</tbody>")
                .first
        else { return [] }
        return body.components(separatedBy: "<tr>").dropFirst().map { String($0) }
    }
}
