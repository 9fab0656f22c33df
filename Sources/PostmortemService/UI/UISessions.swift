import Crypto
import Foundation

/// The UI's session cookies: `name`, scope, expiry and the binding to the token it was opened
/// with (``APITokens/sessionBinding(of:)``), signed with HMAC-SHA256 under the configured key.
/// The cookie holds no token; the server keeps no session state, so any replica with the same
/// key verifies it. A cookie stays valid until it expires or its token is removed or rotated
/// (logout deletes it from the browser; it cannot revoke a copy taken before).
struct UISessions: Sendable {
    /// The cookie's name.
    static let cookieName = "dp_session"
    /// The path the cookie is sent to.
    static let cookiePath = "/ui"

    private let key: SymmetricKey
    /// How long a session lasts after login.
    let lifetime: Duration

    /// Sessions signed with `key`, or with a random key of this process when nil.
    init(key: [UInt8]?, lifetime: Duration) {
        self.key = key.map { SymmetricKey(data: $0) } ?? SymmetricKey(size: .bits256)
        self.lifetime = lifetime
    }

    /// A verified session: who, and the binding to the token it was opened with.
    struct Session: Sendable, Equatable {
        var principal: APIPrincipal
        var binding: String
    }

    /// The cookie value of a session of `principal`, bound by `binding`, starting at `now`:
    /// `base64url(v2|name|scope|expiry|binding).base64url(hmac)`.
    func value(for principal: APIPrincipal, binding: String, now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        let payload = Array("v2|\(principal.name)|\(principal.scope.rawValue)|\(expiry)|\(binding)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return Base64URL.encode(payload) + "." + Base64URL.encode(mac)
    }

    /// The session of a cookie value this key signed and that has not expired at `now`, else nil
    /// (sessions of the earlier `v1` form, unbound, are refused: log in again).
    func session(from value: String, now: Date) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard value.utf8.count <= 512, parts.count == 2, let payload = Base64URL.decode(parts[0]),
            let mac = Base64URL.decode(parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            let text = String(validating: payload, as: UTF8.self)
        else { return nil }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5, fields[0] == "v2", let scope = APIScope(rawValue: fields[2]),
            let expiry = Int64(fields[3]), Double(expiry) > now.timeIntervalSince1970
        else { return nil }
        return Session(principal: APIPrincipal(name: fields[1], scope: scope), binding: fields[4])
    }

    /// The `Set-Cookie` header that starts a session: HttpOnly, Secure, SameSite=Strict, Path=/ui,
    /// Max-Age the session's lifetime.
    func setCookie(_ value: String) -> String {
        "\(Self.cookieName)=\(value); Path=\(Self.cookiePath); Max-Age=\(lifetime.components.seconds); HttpOnly; Secure; SameSite=Strict"
    }

    /// The `Set-Cookie` header that deletes the session cookie.
    static let clearCookie =
        "\(cookieName)=; Path=\(cookiePath); Max-Age=0; HttpOnly; Secure; SameSite=Strict"

    /// The session cookie's value among a request's `Cookie` headers, or nil.
    static func cookie(in headers: [String]) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix(cookieName + "=") { return String(trimmed.dropFirst(cookieName.count + 1)) }
            }
        }
        return nil
    }
}
