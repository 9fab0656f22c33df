import DemoScenarios
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import PostmortemCore
import PostmortemService
import TestSupport
import Testing

/// `/v1/insights/*` over real HTTP against PostgreSQL: figures of a hand-counted history stored
/// as rows, figures of deploys that came through Kafka, the gate-gap ledger, and the refusals.
@Suite("Insights API", .serialized)
struct InsightsTests {
    /// The rows below are written as of the week of 2026-02-02 and stored shifted to the Monday
    /// three weeks ago, so the service's retention (90 days of deploys without a postmortem)
    /// keeps them.
    static let written = RFC3339.parse("2026-02-02T00:00:00Z")!
    static let base = ISOWeek(containing: Date().addingTimeInterval(-21 * 86_400)).start
    static func at(_ text: String) -> Date { base.addingTimeInterval(RFC3339.parse(text)!.timeIntervalSince(written)) }
    /// The two ISO weeks of the window, e.g. `2026-W45`, `2026-W46`.
    static let weekNames = [ISOWeek(containing: base).description, ISOWeek(containing: base).next.description]

    /// A deploy row and, when `triggers` is not empty, its postmortem with `findings`.
    struct Row: Sendable {
        var id: String
        var service: String
        var team: String
        var start: String
        var finish: String?
        var outcome: String?
        var triggers: [String] = []
        var rolledBackAt: String? = nil
        var findings: String = "[]"
    }

    /// checkout (payments): c2 fails and is rolled back 30 min in, c3 fixes it; c4 hurts customers
    /// and c5 (6 h later, 20 min long) fixes it forward; c6 is cancelled, c7 stopped by a gate.
    /// search (discovery): two good deploys. c0 (before the window) is context only.
    static let rows: [Row] = [
        Row(
            id: "c0", service: "checkout", team: "payments", start: "2026-01-20T10:00:00Z",
            finish: "2026-01-20T10:20:00Z", outcome: "succeeded"),
        Row(
            id: "c1", service: "checkout", team: "payments", start: "2026-02-02T10:00:00Z",
            finish: "2026-02-02T10:20:00Z", outcome: "succeeded"),
        Row(
            id: "c2", service: "checkout", team: "payments", start: "2026-02-03T10:00:00Z",
            finish: "2026-02-03T10:40:00Z", outcome: "failed",
            triggers: ["customer_impact:high", "rolled_back_automatically"], rolledBackAt: "2026-02-03T10:30:00Z",
            findings:
                #"[{"key":"canary.canary_threshold_too_loose:http_error_rate","kind":"canary_threshold_too_loose","gate":"canary","metric":"http_error_rate"},{"key":"x","kind":"some_future_kind","gate":"canary"}]"#
        ),
        Row(
            id: "c3", service: "checkout", team: "payments", start: "2026-02-03T14:00:00Z",
            finish: "2026-02-03T14:20:00Z", outcome: "succeeded"),
        Row(
            id: "c4", service: "checkout", team: "payments", start: "2026-02-09T10:00:00Z",
            finish: "2026-02-09T10:20:00Z", outcome: "succeeded",
            triggers: ["customer_impact:low"],
            findings:
                #"[{"key":"canary.canary_threshold_too_loose:http_error_rate","kind":"canary_threshold_too_loose","gate":"canary","metric":"http_error_rate"},{"key":"rollback.slow_detection","kind":"slow_detection","gate":"rollback"}]"#
        ),
        Row(
            id: "c5", service: "checkout", team: "payments", start: "2026-02-09T16:00:00Z",
            finish: "2026-02-09T16:20:00Z", outcome: "succeeded"),
        Row(
            id: "c6", service: "checkout", team: "payments", start: "2026-02-10T10:00:00Z",
            finish: "2026-02-10T10:05:00Z", outcome: "cancelled"),
        Row(
            id: "c7", service: "checkout", team: "payments", start: "2026-02-11T10:00:00Z",
            finish: "2026-02-11T10:30:00Z", outcome: "failed"),
        Row(
            id: "s1", service: "search", team: "discovery", start: "2026-02-04T09:00:00Z",
            finish: "2026-02-04T09:10:00Z", outcome: "succeeded"),
        Row(
            id: "s2", service: "search", team: "discovery", start: "2026-02-12T09:00:00Z",
            finish: "2026-02-12T09:10:00Z", outcome: "succeeded"),
    ]

    static func store(_ rows: [Row], in harness: ServiceHarness) async throws {
        try await harness.query { connection in
            for row in rows {
                try connection.query(
                    """
                    INSERT INTO deploys (deploy_id, service, environment, team, started_at, finished_at, outcome)
                    VALUES (\(row.id), \(row.service), 'prod', \(row.team), \(at(row.start)), \(row.finish.map(at)), \(row.outcome))
                    """)
                guard !row.triggers.isEmpty else { continue }
                try connection.query(
                    """
                    INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, rolled_back_at,
                                             findings, opened_at, updated_at)
                    VALUES (gen_random_uuid(), \(row.id), \(row.service), 'prod', \(row.triggers), 'sev2', \(row.rolledBackAt.map(at)),
                            \(PostgresJSON(rawJSON: row.findings)), \(at(row.start)), \(at(row.start)))
                    """)
            }
        }
    }

    static let window = "from=\(RFC3339.format(base))&to=\(RFC3339.format(base.addingTimeInterval(14 * 86_400)))"

    @Test func handCountedRowsGiveTheirFigures() async throws {
        try await ServiceHarness.with { harness in
            try await Self.store(Self.rows, in: harness)
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let all = try await api.call(
                    .get, "/v1/insights/delivery?\(Self.window)", token: ServiceHarness.readToken)
                #expect(all.status == .ok, "\(all.text)")
                let frequency = try #require(all.object["deploymentFrequency"] as? [String: Any])
                #expect(frequency["deployIds"] as? [String] == ["c1", "c2", "c3", "c4", "c5", "s1", "s2"])
                #expect(frequency["perWeek"] as? Double == 3.5)
                let failure = try #require(all.object["changeFailureRate"] as? [String: Any])
                #expect(failure["deployIds"] as? [String] == ["c2", "c4"])
                #expect(failure["rate"] as? Double == 2.0 / 7)
                #expect((failure["rule"] as? String)?.contains("cannot exceed 100 %") == true)
                let rework = try #require(all.object["reworkRate"] as? [String: Any])
                #expect(rework["deployIds"] as? [String] == ["c3", "c5"])
                let recovery = try #require(all.object["failedDeploymentRecoveryTime"] as? [String: Any])
                #expect(recovery["p50Seconds"] as? Double == 1800)  // c2: rollback 30 min in
                #expect(recovery["p90Seconds"] as? Double == 22800)  // c4: c5 finished 6 h 20 min after c4 started
                let weeks = try #require(all.object["weeks"] as? [[String: Any]])
                #expect(weeks.compactMap { $0["week"] as? String } == Self.weekNames)
                #expect(weeks.compactMap { $0["deploys"] as? Int } == [4, 3])  // c1 c2 c3 s1 | c4 c5 s2
                #expect(weeks.compactMap { $0["failedDeploys"] as? Int } == [1, 1])

                let payments = try await api.call(
                    .get, "/v1/insights/delivery?team=payments&\(Self.window)", token: ServiceHarness.readToken)
                #expect((payments.object["changeFailureRate"] as? [String: Any])?["rate"] as? Double == 2.0 / 5)
                #expect((payments.object["filter"] as? [String: Any])?["team"] as? String == "payments")
                let search = try await api.call(
                    .get, "/v1/insights/delivery?service=search&environment=prod&\(Self.window)",
                    token: ServiceHarness.readToken)
                #expect((search.object["changeFailureRate"] as? [String: Any])?["rate"] as? Double == 0)
                #expect((search.object["deploymentFrequency"] as? [String: Any])?["deploys"] as? Int == 2)
                let nothing = try await api.call(
                    .get, "/v1/insights/delivery?environment=staging&\(Self.window)", token: ServiceHarness.readToken)
                #expect((nothing.object["changeFailureRate"] as? [String: Any])?["rate"] is NSNull)

                let gaps = try await api.call(
                    .get, "/v1/insights/gate-gaps?\(Self.window)", token: ServiceHarness.readToken)
                #expect(gaps.status == .ok, "\(gaps.text)")
                let ledger = try #require(gaps.object["gaps"] as? [[String: Any]])
                #expect(ledger.count == 1)
                #expect(ledger.first?["service"] as? String == "checkout")
                #expect(ledger.first?["gate"] as? String == "canary")
                #expect(ledger.first?["reason"] as? String == "canary_threshold_too_loose")
                #expect(ledger.first?["metric"] as? String == "http_error_rate")
                #expect(
                    (ledger.first?["postmortems"] as? [[String: Any]])?.compactMap { $0["deployId"] as? String } == [
                        "c2", "c4",
                    ])
                let once = try await api.call(
                    .get, "/v1/insights/gate-gaps?minOccurrences=1&\(Self.window)", token: ServiceHarness.readToken)
                #expect((once.object["gaps"] as? [[String: Any]])?.count == 2, "the unknown finding kind is left out")
            }
        }
    }

    @Test func commandLinePrintsTheFigures() async throws {
        try await ServiceHarness.with { harness in
            try await Self.store(Self.rows, in: harness)
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let url = "http://127.0.0.1:\(try #require(client.port))"
                let window = [
                    "--from", RFC3339.format(Self.base), "--to",
                    RFC3339.format(Self.base.addingTimeInterval(14 * 86_400)), "--url", url,
                ]
                let environment = ["DEPLOY_POSTMORTEM_TOKEN": ServiceHarness.readToken]
                let delivery = try await BuiltProducts.deployPostmortem(
                    ["insights", "delivery", "--team", "payments"] + window, environment: environment)
                #expect(delivery.status == 0, "\(delivery.standardError)")
                let lines = delivery.standardOutput.split(separator: "\n").map {
                    $0.split(separator: " ").joined(separator: " ")
                }
                #expect(lines.contains("change failure rate 40.0 % 2 of 5"), "\(delivery.standardOutput)")
                #expect(
                    lines.contains("recovery time p50/p90 30m00s / 6h20m 2 recovered, 0 unrecovered"),
                    "\(delivery.standardOutput)")
                #expect(lines.contains("rework rate 40.0 % 2 of 5"), "\(delivery.standardOutput)")
                #expect(lines.contains("\(Self.weekNames[0]) 3 1 33.3 % 1 30m00s 30m00s"), "\(delivery.standardOutput)")
                let gaps = try await BuiltProducts.deployPostmortem(
                    ["insights", "gate-gaps"] + window, environment: environment)
                #expect(gaps.status == 0, "\(gaps.standardError)")
                let rows = gaps.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                #expect(
                    rows == [
                        ["COUNT", "SERVICE", "GATE", "REASON", "METRIC", "DEPLOYS"],
                        ["2", "checkout", "canary", "canary_threshold_too_loose", "http_error_rate", "c2,c4"],
                    ])
                let bad = try await BuiltProducts.deployPostmortem(
                    ["insights", "gate-gaps", "--min-occurrences", "0", "--url", url], environment: environment)
                #expect(bad.status != 0 && bad.standardError.contains("--min-occurrences"))
            }
        }
    }

    @Test func badParametersAreClear400s() async throws {
        try await ServiceHarness.with { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let cases: [(String, String)] = [
                    (
                        "/v1/insights/delivery?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z",
                        "from must be before to"
                    ),
                    ("/v1/insights/delivery?from=2025-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", "longer than 366 days"),
                    ("/v1/insights/delivery?from=yesterday", "from: expected an RFC 3339 time"),
                    ("/v1/insights/delivery?owner=x", "unknown query parameter owner"),
                    ("/v1/insights/delivery?service=", "service: expected 1 to 200 characters"),
                    ("/v1/insights/gate-gaps?minOccurrences=0", "minOccurrences: expected an integer in 1...1000"),
                    ("/v1/insights/gate-gaps?to=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", "given twice"),
                ]
                for (uri, message) in cases {
                    let answer = try await api.call(.get, uri, token: ServiceHarness.readToken)
                    #expect(answer.status == .badRequest, "\(uri)")
                    let text = (answer.object["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(text.contains(message), "\(uri): \(text)")
                }
                #expect(try await api.call(.get, "/v1/insights/delivery", token: nil).status == .unauthorized)
                let defaults = try await api.call(.get, "/v1/insights/delivery", token: ServiceHarness.readToken)
                #expect(defaults.status == .ok)
                let from = try #require((defaults.object["from"] as? String).flatMap(RFC3339.parse))
                let to = try #require((defaults.object["to"] as? String).flatMap(RFC3339.parse))
                #expect(to.timeIntervalSince(from) == 90 * 86_400, "the default window is 90 days up to now")
            }
        }
    }

    /// Deploys told by real events through Kafka: the failed deploys are exactly those with a
    /// postmortem, and a deploy with a duplicate customer-impact report still counts once.
    @Test func deploysThroughKafkaAreCountedOnce() async throws {
        let now = Date()
        let scenarios = DemoScenarios.all(endingAt: now) + DemoScenarios.fleet(count: 6, endingAt: now)
        let withImpact = try #require(scenarios.first { $0.events.contains { $0.contains("impacted_customers") } })
        let impact = try #require(withImpact.events.first { $0.contains("impacted_customers") })
        var duplicate = try #require(try JSONSerialization.jsonObject(with: Data(impact.utf8)) as? [String: Any])
        duplicate["id"] = "\(duplicate["id"] ?? "")-reported-again"
        let duplicateJSON = String(decoding: try JSONSerialization.data(withJSONObject: duplicate), as: UTF8.self)
        try await ServiceHarness.with { harness in
            try await harness.produce(scenarios)
            try await harness.produce([duplicateJSON])
            let failing = scenarios.filter(\.opensPostmortem)
            try await harness.wait("every postmortem stored and both impact reports stored") {
                let postmortems = try await harness.count("SELECT count(*) FROM postmortems")
                let reports = try await harness.count(
                    "SELECT count(*) FROM deploy_events WHERE event_type LIKE '%impacted_customers%' AND deploy_id = '\(withImpact.deployId)'"
                )
                return postmortems == failing.count && reports == 2
            }
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let window =
                    "from=\(RFC3339.format(now.addingTimeInterval(-86_400)))&to=\(RFC3339.format(now.addingTimeInterval(60)))"
                let answer = try await api.call(
                    .get, "/v1/insights/delivery?\(window)", token: ServiceHarness.readToken)
                #expect(answer.status == .ok, "\(answer.text)")
                let frequency = try #require(answer.object["deploymentFrequency"] as? [String: Any])
                #expect(frequency["deployIds"] as? [String] == scenarios.map(\.deployId).sorted())
                let failure = try #require(answer.object["changeFailureRate"] as? [String: Any])
                #expect(failure["deployIds"] as? [String] == failing.map(\.deployId).sorted())
                let rate = try #require(failure["rate"] as? Double)
                #expect(abs(rate - Double(failing.count) / Double(scenarios.count)) < 1e-12)
                let one = try await api.call(
                    .get, "/v1/insights/delivery?service=\(try Self.service(of: withImpact))&\(window)",
                    token: ServiceHarness.readToken)
                #expect(
                    (one.object["changeFailureRate"] as? [String: Any])?["deployIds"] as? [String] == [
                        withImpact.deployId
                    ])
                #expect((one.object["changeFailureRate"] as? [String: Any])?["rate"] as? Double == 1)
            }
        }
    }

    /// The service a scenario deploys (from its `deploy.started` event).
    static func service(of scenario: DemoScenarios.Scenario) throws -> String {
        let started = try #require(scenario.events.first { $0.contains("deploy.started") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(started.utf8)) as? [String: Any])
        return try #require((object["data"] as? [String: Any])?["service"] as? String)
    }
}
