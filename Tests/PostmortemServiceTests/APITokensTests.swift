import Foundation
import PostmortemService
import Testing

/// Parsing of API token entries and lookup of a presented token.
@Suite("API tokens")
struct APITokensTests {
    static let digestOfSecret = APITokens.hash("s3cret-token-for-ci-bot").map { String(format: "%02x", $0) }.joined()

    @Test(arguments: [
        ("ci-bot:write:s3cret-token-for-ci-bot", "s3cret-token-for-ci-bot", "ci-bot/write"),
        ("ci-bot:write:sha256:\(digestOfSecret)", "s3cret-token-for-ci-bot", "ci-bot/write"),
        ("ci-bot:read:sha256:\(digestOfSecret.uppercased())", "s3cret-token-for-ci-bot", "ci-bot/read"),
        ("# comment\n\n  dash:read:dashboard-token-0001  \n", "dashboard-token-0001", "dash/read"),
        ("a:read:token-aaaaaaaaaaaaaaaa,b:write:token-bbbbbbbbbbbbbbbb", "token-bbbbbbbbbbbbbbbb", "b/write"),
        ("a:read:token-aaaaaaaaaaaaaaaa", "token-aaaaaaaaaaaaaaab", "none"),
        ("a:read:token-aaaaaaaaaaaaaaaa", "", "none"),
        ("", "anything-at-all-here", "none"),
    ])
    func lookup(_ configuration: String, _ presented: String, _ expected: String) throws {
        let tokens = try APITokens(parsing: configuration)
        #expect(tokens.principal(for: presented).map { "\($0.name)/\($0.scope.rawValue)" } ?? "none" == expected)
    }

    @Test(arguments: [
        ("ci-bot:write", "API token entry 1: expected name:scope:credential"),
        (
            "ci bot:write:token-aaaaaaaaaaaaaaaa",
            "API token entry 1: name must be letters, digits, '-', '_', '.' or '@'"
        ),
        ("ci-bot:admin:token-aaaaaaaaaaaaaaaa", "API token entry 1 (ci-bot): scope must be read or write"),
        ("ci-bot:read:short", "API token entry 1 (ci-bot): a token must have at least 16 characters"),
        ("ci-bot:read:sha256:abc", "API token entry 1 (ci-bot): sha256: must be followed by 64 hex digits"),
        ("a:read:token-aaaaaaaaaaaaaaaa\na:write:token-bbbbbbbbbbbbbbbb", "API token entry 2: name a is used twice"),
        (
            "a:read:token-aaaaaaaaaaaaaaaa\nb:write:token-aaaaaaaaaaaaaaaa",
            "API token entry 2 (b): the same token as another entry"
        ),
    ])
    func malformedEntriesNameTheEntryButNeverTheCredential(_ configuration: String, _ message: String) {
        do {
            _ = try APITokens(parsing: configuration)
            Issue.record("accepted: \(configuration)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description == message)
            // No credential (the text after the second colon of an entry) appears in the error.
            for entry in configuration.split(separator: "\n") {
                let parts = entry.split(separator: ":", maxSplits: 2)
                if parts.count == 3, parts[2].count >= 3 { #expect(!error.description.contains(parts[2]), "\(error)") }
            }
        }
    }

    @Test func readFromFileAndEnvironmentTogether() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID())")
        try "# mounted Secret\nfile-bot:write:sha256:\(Self.digestOfSecret)\n".write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try ServiceConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://db/app", "API_TOKENS_FILE": file.path,
            "API_TOKENS": "env-bot:read:env-token-0123456789",
            "API_MAX_BODY_BYTES": "2048",
        ])
        #expect(configuration.api.tokens.names == ["file-bot", "env-bot"])
        #expect(configuration.api.tokens.principal(for: "s3cret-token-for-ci-bot")?.scope == .write)
        #expect(configuration.api.maxRequestBodyBytes == 2048)
        #expect(try ServiceConfiguration.fromEnvironment(["DATABASE_URL": "postgresql://db/app"]).api.tokens.isEmpty)

        let unreadable = #expect(throws: ServiceError.self) {
            try ServiceConfiguration.fromEnvironment([
                "DATABASE_URL": "postgresql://db/app", "API_TOKENS_FILE": "/nonexistent/tokens",
            ])
        }
        #expect(unreadable?.code == .invalidConfiguration)
        do {
            _ = try ServiceConfiguration.fromEnvironment([
                "DATABASE_URL": "postgresql://db/app", "API_TOKENS": "x:root:secret-secret-secret",
            ])
            Issue.record("an unknown scope was accepted")
        } catch {
            #expect("\(error)" == "API_TOKENS: API token entry 1 (x): scope must be read or write")
        }
    }
}
