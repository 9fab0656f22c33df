import ArgumentParser
import AsyncHTTPClient
import DemoScenarios
import Foundation
import Kafka
import LocalPostgres
import Postgres
import PostmortemService

/// The web UI's pages with `--postmortems` postmortems stored: a throwaway database seeded as
/// the API benchmark seeds it (5 action items each), plus the demo fleet's failing deploys
/// produced through Kafka so real postmortems with charts exist; then each page requested
/// `--requests` times in turn by one logged-in client, the way a person clicks. Prints p50,
/// p95 and the maximum per page; asserts nothing.
struct UIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Latency of each /ui page with 10k postmortems stored (run with -c release)."
    )

    @Option(help: "Postmortems seeded.")
    var postmortems = 10_000

    @Option(help: "Demo failing deploys produced through Kafka (real postmortems with metrics).")
    var fleet = 20

    @Option(help: "Requests per page.")
    var requests = 200

    @Option(help: "HTTP port of the service.")
    var port = 18_081

    func run() async throws {
        let database = try LocalPostgresCluster.start()
        defer { database.stop() }
        let postgres = PostgresConfiguration(connectionString: try database.createDatabase("bench_ui"))
        try await DatabaseSchema.migrate(postgres)
        try await APIBenchmark.seed(postgres, postmortems: postmortems, items: 5)
        let bench = try BenchServer(postgres: postgres, port: port, group: "bench-ui")
        let stories = DemoScenarios.fleet(count: fleet, endingAt: Date())
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": bench.broker.bootstrapServers, "linger.ms": "5"]))
        let topics = ServiceConfiguration.Topics()
        for story in stories {
            for (event, role) in zip(story.events, story.topicOfEach) {
                _ = try await producer.send(
                    KafkaRecord(
                        topic: topics.input(forRole: role), key: Array(story.deployId.utf8), value: Array(event.utf8)))
            }
        }
        await producer.close()

        let base = "http://127.0.0.1:\(port)"
        // The login's 303 is read, not followed.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let cookie = try await Self.logIn(client, base, token: bench.token)
            let story = try await Self.waitForPostmortem(client, base, cookie: cookie, deployId: stories[0].deployId)
            print(
                "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(postmortems) postmortems seeded (\(postmortems * 5) action items) + \(fleet) demo failing deploys; \(requests) sequential requests per page"
            )
            for path in [
                "/ui/postmortems", "/ui/postmortems?service=svc-7&status=open", "/ui/postmortems?since=2026-01-01",
                story, "/ui/action-items", "/ui/action-items?overdue=true&owner=team-3", "/ui/insights",
            ] {
                var durations: [Duration] = []
                var bytes = 0
                for _ in 0..<requests {
                    let start = ContinuousClock.now
                    bytes = try await Self.get(client, base + path, cookie: cookie).utf8.count
                    durations.append(ContinuousClock.now - start)
                }
                durations.sort()
                func ms(_ d: Duration) -> String {
                    String(
                        format: "%.1f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3)
                }
                let p95 = durations[min(durations.count - 1, Int((Double(durations.count) * 0.95).rounded(.up)) - 1)]
                print(
                    "GET \(path): p50 \(ms(durations[durations.count / 2])), p95 \(ms(p95)), max \(ms(durations.last!)) (\(bytes / 1024) KiB)"
                )
            }
        } catch {
            try await client.shutdown()
            await bench.stop()
            throw error
        }
        try await client.shutdown()
        await bench.stop()
    }

    /// Logs in with `token`; the session cookie.
    static func logIn(_ client: HTTPClient, _ base: String, token: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/ui/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(Array("token=\(token)".utf8))
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .seeOther, let cookie = response.headers.first(name: "Set-Cookie") else {
            throw ValidationError("login answered \(response.status)")
        }
        return String(cookie.prefix { $0 != ";" })
    }

    /// The page of `deployId`'s postmortem, once the service has stored it.
    static func waitForPostmortem(_ client: HTTPClient, _ base: String, cookie: String, deployId: String)
        async throws -> String
    {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let list = try await get(client, base + "/ui/postmortems?limit=200", cookie: cookie)
            if let link = list.components(separatedBy: "\">\(deployId)</a>").dropLast().last?
                .components(separatedBy: "href=\"").last
            {
                return link
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ValidationError("no postmortem of \(deployId) within 120 s")
    }

    /// The body of `GET url`; throws unless 200.
    static func get(_ client: HTTPClient, _ url: String, cookie: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Cookie", value: cookie)
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw ValidationError("GET \(url) answered \(response.status)") }
        return String(buffer: body)
    }
}
