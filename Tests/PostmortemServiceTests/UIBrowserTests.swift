import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PostmortemService

/// The web UI in a real headless Chromium (Debian's `chromium`, installed by scripts/install-deps;
/// missing, the tests fail): the pages load with their charts, event text stays text, and the
/// login form's Secure session cookie works over http://127.0.0.1. The browser reaches the
/// service through a stand-in for an authenticating proxy, which adds the user header (or, for
/// the login, passes requests through untouched). `UPDATE_SCREENSHOTS=1` also writes the
/// screenshots to docs/screenshots.
@Suite("Web UI in Chromium", .serialized)
struct UIBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test func pagesLoadWithChartsAndEventTextStaysText() async throws {
        let chromium = try #require(Self.chromium, "chromium is not installed: run scripts/install-deps")
        try await UITests.withUI { _, ui in
            let upstream = try #require(ui.client.port)
            try await Self.withProxy(upstream: upstream, user: "chromium-test") { proxy in
                let base = "http://127.0.0.1:\(proxy)"
                let list = try await Self.run(chromium, ["--dump-dom", base + "/ui/postmortems"])
                #expect(list.contains("chromium-test (read)"), "\(list)")
                #expect(list.contains("checkout\(HostileEvents.escaped)"), "the service's name as text")
                let canary = try #require(UITests.link(in: list, to: "demo-canary-loose-1"))
                let d42 = try #require(UITests.link(in: list, to: "d-42"))
                let pages: [(name: String, path: String, height: Int, charts: Int)] = [
                    ("postmortems", "/ui/postmortems", 900, 0), ("postmortem", canary, 2400, 1),
                    ("postmortem-escaping", d42, 1400, 0), ("action-items", "/ui/action-items", 1200, 0),
                    ("insights", "/ui/insights", 2000, 4),
                ]
                for page in pages {
                    let dom = try await Self.run(chromium, ["--dump-dom", base + page.path])
                    // The DOM as Chromium built it: the charts are SVG elements, no script element exists.
                    #expect(dom.components(separatedBy: "<svg").count - 1 >= page.charts, "\(page.name)")
                    #expect(!dom.lowercased().contains("<script"), "\(page.name): a script element")
                    #expect(dom.contains("</footer>"), "\(page.name): the whole page")
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent("ui-\(page.name).png")
                    _ = try await Self.run(
                        chromium,
                        ["--screenshot=\(file.path)", "--window-size=1280,\(page.height)", base + page.path])
                    let png = try Data(contentsOf: file)
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(page.name)")
                    if ProcessInfo.processInfo.environment["UPDATE_SCREENSHOTS"] == "1" {
                        try png.write(to: Self.screenshots.appendingPathComponent("\(page.name).png"))
                    }
                }
                let escaping = try await Self.run(chromium, ["--dump-dom", base + d42])
                #expect(escaping.contains("payments time out \(HostileEvents.escaped)"))
            }
        }
    }

    /// The login form in the browser: Chromium keeps the `Secure; SameSite=Strict` cookie over
    /// plain http on 127.0.0.1 (a secure context) and sends it with the page it is redirected to.
    @Test func loginFormSetsACookieChromiumSends() async throws {
        let chromium = try #require(Self.chromium, "chromium is not installed: run scripts/install-deps")
        try await UITests.withUI { _, ui in
            let upstream = try #require(ui.client.port)
            try await Self.withProxy(upstream: upstream, user: nil) { proxy in
                let dom = try await Self.run(
                    chromium, ["--virtual-time-budget=10000", "--dump-dom", "http://127.0.0.1:\(proxy)/submit-login"])
                #expect(dom.contains("reader (read)"), "\(dom)")
                #expect(dom.contains(#"action="/ui/logout""#))
            }
        }
    }

    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/screenshots")

    /// Runs chromium headless with `arguments`, its own profile, at most 90 s; its standard output.
    static func run(_ chromium: String, _ arguments: [String]) async throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID())")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--no-first-run", "--user-data-dir=\(profile.path)",
            ] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        do {
            try await onThread(.seconds(90), "chromium \(arguments.joined(separator: " "))") { process.waitUntilExit() }
        } catch {
            process.terminate()
            throw error
        }
        let data = await reader.value
        #expect(process.terminationStatus == 0, "chromium \(arguments) exited with \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs `body` with the port of a stand-in for an authenticating proxy in front of the
    /// service at `upstream`: it forwards every request (method, path, headers, body, the
    /// client's `Host`) and, with `user`, sets the UI's proxy header to it. `/submit-login` is
    /// its own page, which logs in with the read token through the service's login form.
    static func withProxy(upstream: Int, user: String?, _ body: @escaping @Sendable (Int) async throws -> Void)
        async throws
    {
        let router = Router()
        router.get("submit-login") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: """
                            <!DOCTYPE html><form method="post" action="/ui/login"><input name="token" value="\(ServiceHarness.readToken)"></form>
                            <script>document.forms[0].submit()</script>
                            """)))
        }
        // Redirects go back to the browser, as a proxy passes them.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let forward: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var forwarded = HTTPClientRequest(url: "http://127.0.0.1:\(upstream)\(request.uri)")
            forwarded.method = .init(rawValue: request.method.rawValue)
            for field in request.headers { forwarded.headers.add(name: field.name.rawName, value: field.value) }
            forwarded.headers.replaceOrAdd(name: "Host", value: request.head.authority ?? "127.0.0.1")
            if let user { forwarded.headers.replaceOrAdd(name: UITests.proxyHeader, value: user) }
            var request = request
            forwarded.body = .bytes(try await request.collectBody(upTo: 1 << 20))
            let response = try await client.execute(forwarded, timeout: .seconds(30))
            var headers = HTTPFields()
            for (name, value) in response.headers {
                if let name = HTTPField.Name(name), name != .transferEncoding, name != .contentLength {
                    headers.append(HTTPField(name: name, value: value))
                }
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            return Response(
                status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: body))
        }
        router.get("ui/**", use: forward)
        router.post("ui/**", use: forward)
        do {
            try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
                .test(.live) { proxy in try await body(try #require(proxy.port)) }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
