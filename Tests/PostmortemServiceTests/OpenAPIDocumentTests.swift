import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import Postgres
import PostmortemService
import Testing

/// docs/openapi.yaml and the router agree: every route is documented, every documented
/// operation exists, and the served document is the file.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")

    /// `METHOD /path` of every operation under `paths:` (paths indented two spaces, methods four).
    static func documentedOperations(_ yaml: String) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /") || line.hasPrefix("  '/") || line.hasPrefix("  \"/") {
                path = line.trimmingCharacters(in: .whitespaces).dropLast().trimmingCharacters(
                    in: CharacterSet(charactersIn: "'\""))
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(key)) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }

    /// A server that is built but never started (nothing connects).
    static func server() throws -> PostmortemServer {
        var configuration = ServiceConfiguration(
            database: PostgresConfiguration(connectionString: "postgresql://127.0.0.1:1/none"),
            kafka: KafkaConfig(["bootstrap.servers": "127.0.0.1:1", "group.id": "openapi-test"]))
        configuration.api.tokens = try APITokens(parsing: "reader:read:\(ServiceHarness.readToken)")
        var logger = Logger(label: "openapi-test")
        logger.logLevel = .critical  // the consumer's refused connections are expected
        return try PostmortemServer(configuration: configuration, logger: logger)
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let yaml = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let documented = Self.documentedOperations(yaml)
        let all = try Self.server().httpRouter.routes.map { (method: "\($0.method)", path: "\($0.path)") }
        // The web UI's HTML pages are documented in docs/ui.md, not in the API's document.
        let (pages, api) = (all.filter { $0.path.hasPrefix("/ui") }, all.filter { !$0.path.hasPrefix("/ui") })
        let routes = Set(api.map { "\($0.method) \($0.path)" })
        let uiDocument = try String(
            contentsOf: Self.documentURL.deletingLastPathComponent().appendingPathComponent("ui.md"), encoding: .utf8)
        #expect(pages.count >= 7)
        for page in pages where page.path != "/ui" {
            #expect(uiDocument.contains("`\(page.path)"), "docs/ui.md does not mention \(page.path)")
        }
        #expect(documented.count >= 10, "parsed \(documented.sorted())")
        #expect(
            routes.subtracting(documented).isEmpty, "undocumented routes: \(routes.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(routes).isEmpty,
            "documented but not served: \(documented.subtracting(routes).sorted())")
        #expect(yaml.hasPrefix("openapi: 3.1"))
    }

    @Test func theServedDocumentIsTheFile() async throws {
        let file = try Data(contentsOf: Self.documentURL)
        try await Self.server().httpApplication(port: 0).test(.router) { client in
            try await client.execute(
                uri: "/v1/openapi.yaml", method: .get, headers: [.authorization: "Bearer \(ServiceHarness.readToken)"]
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(Data(buffer: response.body) == file)
            }
        }
    }
}
