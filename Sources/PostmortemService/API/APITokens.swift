import Crypto
import Foundation

/// What a bearer token may do on `/v1`.
public enum APIScope: String, Sendable, Hashable, Comparable {
    /// Read postmortems and action items.
    case read
    /// Read, and change action items.
    case write

    /// `read` < `write`: write includes read.
    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs == .read && rhs == .write }
}

/// Who made a request: the name of the token's entry (recorded as `changedBy`) and its scope.
public struct APIPrincipal: Sendable, Hashable {
    /// The entry's name, e.g. `ci-bot`. Never the token.
    public var name: String
    /// What the token may do.
    public var scope: APIScope
}

/// The bearer tokens the API accepts, kept only as SHA-256 digests.
///
/// Each entry is `name:scope:credential`, separated by newlines or commas (in a file too, so a
/// token holds no comma); blank lines and `#` comments are ignored. `scope` is
/// `read` or `write`; `credential` is `sha256:<64 hex digits>` (the digest of the token, so the
/// configuration holds no usable secret) or the token itself, hashed at once. Lookup hashes
/// the presented token and compares it with every digest in constant time.
public struct APITokens: Sendable {
    private struct Entry: Sendable {
        var principal: APIPrincipal
        var digest: [UInt8]
    }

    private let entries: [Entry]

    /// No token: every `/v1` request is refused.
    public static let none = APITokens(entries: [])

    private init(entries: [Entry]) {
        self.entries = entries
    }

    /// Whether no token is configured.
    public var isEmpty: Bool { entries.isEmpty }

    /// Names of the entries, for start-up logs.
    public var names: [String] { entries.map(\.principal.name) }

    /// Parses entries (see the type's documentation). A malformed entry is an invalid
    /// configuration whose message names the entry by position and name, never its credential.
    public init(parsing text: String) throws(ServiceError) {
        var entries: [Entry] = []
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "," })
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else {
                throw .invalidConfiguration("API token entry \(index + 1): expected name:scope:credential")
            }
            let (name, scopeText, credential) = (parts[0], parts[1], parts[2])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw .invalidConfiguration(
                    "API token entry \(index + 1): name must be letters, digits, '-', '_', '.' or '@'")
            }
            guard let scope = APIScope(rawValue: scopeText) else {
                throw .invalidConfiguration("API token entry \(index + 1) (\(name)): scope must be read or write")
            }
            guard !entries.contains(where: { $0.principal.name == name }) else {
                throw .invalidConfiguration("API token entry \(index + 1): name \(name) is used twice")
            }
            let digest = try Self.digest(of: credential, entry: index + 1, name: name)
            guard !entries.contains(where: { $0.digest == digest }) else {
                throw .invalidConfiguration("API token entry \(index + 1) (\(name)): the same token as another entry")
            }
            entries.append(Entry(principal: APIPrincipal(name: name, scope: scope), digest: digest))
        }
        self.entries = entries
    }

    private static func digest(of credential: String, entry: Int, name: String) throws(ServiceError) -> [UInt8] {
        guard credential.hasPrefix("sha256:") else {
            guard credential.utf8.count >= 16 else {
                throw .invalidConfiguration(
                    "API token entry \(entry) (\(name)): a token must have at least 16 characters")
            }
            return hash(credential)
        }
        let hex = Array(credential.utf8.dropFirst("sha256:".count))
        guard hex.count == 64, let bytes = decodeHex(hex) else {
            throw .invalidConfiguration("API token entry \(entry) (\(name)): sha256: must be followed by 64 hex digits")
        }
        return bytes
    }

    private static func decodeHex(_ hex: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        for pair in stride(from: 0, to: hex.count, by: 2) {
            guard let high = nibble(hex[pair]), let low = nibble(hex[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    /// The SHA-256 digest of `token`: what `sha256:` credentials hold (`printf %s TOKEN | sha256sum`).
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// The principal whose token is `token`, or nil. Every digest is compared, each in constant
    /// time, so the time taken tells nothing about which entry, or how much of one, matched.
    /// What binds a UI session to the credential it was opened with: 16 hex digits derived from
    /// the stored digest of `principal`'s entry (not the token, and not reversible to it); nil
    /// when no entry has that name and scope. Rotating or removing the token changes it, which
    /// ends the sessions opened with the old one.
    public func sessionBinding(of principal: APIPrincipal) -> String? {
        entries.first { $0.principal == principal }.map { entry in
            SHA256.hash(data: Array("ui-session|".utf8) + entry.digest).prefix(8).map { String(format: "%02x", $0) }
                .joined()
        }
    }

    public func principal(for token: String) -> APIPrincipal? {
        let presented = Self.hash(token)
        var found: APIPrincipal?
        for entry in entries {
            var difference: UInt8 = 0
            for (a, b) in zip(entry.digest, presented) { difference |= a ^ b }
            if difference == 0 { found = entry.principal }
        }
        return found
    }
}
