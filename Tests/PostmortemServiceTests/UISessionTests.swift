import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import PostmortemService

/// The UI's session cookies and authentication, without a server: what verifies and what not.
@Suite("UI sessions")
struct UISessionTests {
    static let key = Array("0123456789abcdef0123456789abcdef".utf8)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let sessions = UISessions(key: key, lifetime: .seconds(3600))
    static let reader = APIPrincipal(name: "reader", scope: .read)
    static let tokens = try! APITokens(
        parsing: "reader:read:reader-token-0123456789\nwriter:write:writer-token-0123456789")
    static let binding = tokens.sessionBinding(of: reader)!

    /// What happens to a cookie value before it comes back.
    enum Change: String, CaseIterable {
        case none, payloadChanged, signatureChanged, signatureRemoved, emptied, notBase64, tooLong

        func apply(_ value: String) -> String {
            switch self {
            case .none: value
            case .payloadChanged: "x" + value.dropFirst()
            case .signatureChanged: String(value.dropLast()) + (value.hasSuffix("A") ? "B" : "A")
            case .signatureRemoved: String(value.prefix { $0 != "." })
            case .emptied: ""
            case .notBase64: "%%%.%%%"
            case .tooLong: value + String(repeating: "A", count: 600)
            }
        }
    }

    @Test(arguments: [
        (Change.none, 3599.0, true), (.none, 3600, false), (.payloadChanged, 0, false), (.signatureChanged, 0, false),
        (.signatureRemoved, 0, false), (.emptied, 0, false), (.notBase64, 0, false), (.tooLong, 0, false),
    ])
    func verification(_ change: Change, _ after: Double, _ valid: Bool) {
        let value = change.apply(Self.sessions.value(for: Self.reader, binding: Self.binding, now: Self.start))
        #expect(
            Self.sessions.session(from: value, now: Self.start.addingTimeInterval(after))?.principal
                == (valid ? Self.reader : nil), "\(change) after \(after) s")
    }

    @Test func anotherKeyVerifiesNothingAndTheCookieHoldsNoToken() {
        let writer = APIPrincipal(name: "writer", scope: .write)
        let value = Self.sessions.value(for: writer, binding: Self.tokens.sessionBinding(of: writer)!, now: Self.start)
        #expect(UISessions(key: nil, lifetime: .seconds(3600)).session(from: value, now: Self.start) == nil)
        #expect(Self.sessions.session(from: value, now: Self.start)?.principal == writer)
        #expect(!value.contains("writer-token"), "the cookie holds no token")
        #expect(
            Self.sessions.setCookie(value)
                == "dp_session=\(value); Path=/ui; Max-Age=3600; HttpOnly; Secure; SameSite=Strict")
    }

    @Test(
        arguments: [
            (["a=1; dp_session=abc; b=2"], "abc"), (["a=1", "dp_session=xyz"], "xyz"), (["dp_sessionx=1"], nil),
            ([], nil),
        ] as [([String], String?)])
    func cookieHeader(_ headers: [String], _ expected: String?) {
        #expect(UISessions.cookie(in: headers) == expected)
    }

    /// The proxy header counts only when configured; a session cookie works either way.
    @Test(
        arguments: [
            (nil, ["X-Auth-Request-User": "alice"], nil),
            ("X-Auth-Request-User", ["X-Auth-Request-User": "alice"], "alice"),
            ("X-Auth-Request-User", ["X-Auth-Request-User": String(repeating: "a", count: 201)], nil),
            ("X-Auth-Request-User", ["X-Forwarded-User": "alice"], nil),
            (nil, ["Cookie": "dp_session=SESSION"], "reader"),
            ("X-Auth-Request-User", ["Cookie": "dp_session=SESSION"], "reader"),
        ] as [(String?, [String: String], String?)])
    func authentication(_ configured: String?, _ headers: [String: String], _ expected: String?) {
        let authenticator = UIAuthenticator(
            sessions: Self.sessions, tokens: Self.tokens, proxyHeader: configured.flatMap { HTTPField.Name($0) },
            clock: { Self.start })
        let session = Self.sessions.value(for: Self.reader, binding: Self.binding, now: Self.start)
        var fields = HTTPFields()
        for (name, value) in headers {
            fields[HTTPField.Name(name)!] = value.replacingOccurrences(of: "SESSION", with: session)
        }
        let request = Request(
            head: HTTPRequest(
                method: .get, scheme: "http", authority: "localhost", path: "/ui/postmortems", headerFields: fields),
            body: RequestBody(buffer: ByteBuffer()))
        #expect(authenticator.principal(of: request)?.0.name == expected)
    }

    /// A session ends with its token: still configured as at login, it stands; removed, rotated
    /// (same name, new secret), or changed scope, it is refused. A session of the earlier unbound
    /// form is refused too.
    @Test(
        arguments: [
            ("reader:read:reader-token-0123456789", true),
            (
                "reader:read:sha256:"
                    + APITokens.hash("reader-token-0123456789").map { String(format: "%02x", $0) }.joined(),
                true
            ),
            ("writer:write:writer-token-0123456789", false),
            ("reader:read:rotated-token-0123456789", false),
            ("reader:write:reader-token-0123456789", false),
        ])
    func aSessionEndsWithItsToken(_ configuredAfterwards: String, _ valid: Bool) throws {
        let session = Self.sessions.value(for: Self.reader, binding: Self.binding, now: Self.start)
        let authenticator = UIAuthenticator(
            sessions: Self.sessions, tokens: try APITokens(parsing: configuredAfterwards), proxyHeader: nil,
            clock: { Self.start })
        let request = Request(
            head: HTTPRequest(
                method: .get, scheme: "http", authority: "localhost", path: "/ui/postmortems",
                headerFields: [.cookie: "dp_session=\(session)"]),
            body: RequestBody(buffer: ByteBuffer()))
        #expect((authenticator.principal(of: request)?.0 == Self.reader) == valid, "\(configuredAfterwards)")
    }

    @Test func anUnboundSessionOfTheEarlierFormIsRefused() {
        let payload = Array("v1|reader|read|\(Int64(Self.start.timeIntervalSince1970) + 3600)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Self.key))
        let value = Base64URL.encode(payload) + "." + Base64URL.encode(mac)
        #expect(Self.sessions.session(from: value, now: Self.start) == nil)
    }
}
