import Foundation
import Hummingbird
import HummingbirdTesting
import PostmortemCore
import Synchronization
import TestSupport
import Testing

/// The `postmortems` and `action-items` commands run as real processes against a live server
/// that opened the postmortem of the documented sample (deploy d-42, five action items).
@Suite("API command line", .serialized)
struct CLITests {
    /// `deploy-postmortem` pointed at one server.
    struct CLI: Sendable {
        /// The server's base URL.
        let url: String

        /// Runs `deploy-postmortem <arguments> --url <url>` with `token` as `DEPLOY_POSTMORTEM_TOKEN`
        /// (an empty token counts as none).
        func run(_ arguments: [String], token: String) async throws -> BuiltProducts.Outcome {
            try await BuiltProducts.deployPostmortem(
                arguments + ["--url", url], environment: ["DEPLOY_POSTMORTEM_TOKEN": token])
        }
    }

    /// The cells of each line of a table printed by the command line, header first.
    static func table(_ output: String) -> [[String]] {
        output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    /// Starts a stack, feeds it the sample, waits for the postmortem and its action items, and
    /// runs `body` with the command line pointed at the live server.
    static func withSamplePostmortem(_ body: @Sendable (ServiceHarness, CLI) async throws -> Void) async throws {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the d-42 postmortem's action items", messages: SampleEvents.lines.count)
            try #require(try await harness.count("SELECT count(*) FROM action_items") == 5)
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                try await body(harness, CLI(url: "http://127.0.0.1:\(try #require(client.port))"))
            }
        }
    }

    /// One text column of the database, in the given order.
    static func strings(_ sql: String, _ harness: ServiceHarness) async throws -> [String] {
        try await harness.query { connection in try connection.query(sql).map { try $0.decode(String.self, at: 0) } }
    }

    /// The stored status and version of an action item.
    static func state(of item: String, _ harness: ServiceHarness) async throws -> (status: String, version: Int) {
        try await harness.query { connection in
            let row = try connection.query(
                "SELECT status, version FROM action_items WHERE action_item_id::text = $1", [item])[0]
            return (try row.decode(String.self, at: 0), try row.decode(Int.self, at: 1))
        }
    }

    @Test func listsShowsAndListsActionItems() async throws {
        try await Self.withSamplePostmortem { harness, cli in
            let postmortemId = try #require(
                try await Self.strings("SELECT postmortem_id::text FROM postmortems WHERE deploy_id = 'd-42'", harness)
                    .first)

            let list = try await cli.run(["postmortems", "list"], token: ServiceHarness.readToken)
            #expect(list.status == 0, "\(list.standardError)")
            let listed = Self.table(list.standardOutput)
            #expect(listed.count == 2)
            #expect(listed.first == ["ID", "DEPLOY", "SERVICE", "ENV", "SEVERITY", "STATUS", "ITEMS", "OPENED"])
            let row = try #require(listed.last)
            #expect(row.prefix(7) == [postmortemId, "d-42", "checkout", "prod", "sev1", "open", "5/5"])
            #expect(row.count == 8 && RFC3339.parse(row[7]) != nil, "OPENED is an RFC 3339 time: \(row)")
            #expect(!list.standardOutput.contains("--cursor"), "a single postmortem fits on one page")

            let json = try await cli.run(
                ["postmortems", "list", "--json", "--deploy-id", "d-42", "--status", "open"],
                token: ServiceHarness.readToken)
            #expect(json.status == 0, "\(json.standardError)")
            let page = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            let summaries = try #require(page["items"] as? [[String: Any]])
            #expect(summaries.map { $0["id"] as? String } == [postmortemId])
            #expect(summaries.first?["totalActionItems"] as? Int == 5)
            #expect(page["nextCursor"] is NSNull)

            let none = try await cli.run(
                ["postmortems", "list", "--service", "no such service"], token: ServiceHarness.readToken)
            #expect(none.status == 0, "\(none.standardError)")
            #expect(none.standardOutput == "no postmortems found\n")

            let markdown = try await cli.run(["postmortems", "show", postmortemId], token: ServiceHarness.readToken)
            #expect(markdown.status == 0, "\(markdown.standardError)")
            #expect(markdown.standardOutput.hasPrefix("# Postmortem: checkout in prod (SEV1)\n"))
            #expect(markdown.standardOutput.contains("- **Deploy ID:** d-42\n"))
            #expect(markdown.standardOutput.contains("## Action items"))

            let document = try await cli.run(
                ["postmortems", "show", postmortemId, "--format", "json"], token: ServiceHarness.readToken)
            #expect(document.status == 0, "\(document.standardError)")
            let postmortem = try #require(
                try JSONSerialization.jsonObject(with: Data(document.standardOutput.utf8)) as? [String: Any])
            #expect(postmortem["deployId"] as? String == "d-42")
            #expect((postmortem["actionItems"] as? [[String: Any]])?.count == 5)

            let items = try await cli.run(
                ["action-items", "list", "--postmortem-id", postmortemId], token: ServiceHarness.readToken)
            #expect(items.status == 0, "\(items.standardError)")
            let rows = Self.table(items.standardOutput)
            #expect(rows.first == ["ID", "STATUS", "OWNER", "DUE", "KIND", "FOLLOW-UP", "TITLE"])
            let byDue = try await Self.strings(
                "SELECT action_item_id::text FROM action_items ORDER BY due_at, action_item_id", harness)
            #expect(rows.dropFirst().map(\.first) == byDue, "ordered by due date, then id")
            #expect(rows.dropFirst().allSatisfy { $0.count > 5 && $0[1] == "open" && $0[2] == "payments" })

            let unknown = try await cli.run(
                ["postmortems", "show", UUID().uuidString.lowercased()], token: ServiceHarness.readToken)
            #expect(unknown.status == 1)
            #expect(unknown.standardError.hasPrefix("error: 404 not_found: "), "\(unknown.standardError)")
            #expect(unknown.standardOutput.isEmpty)

            let stranger = try await cli.run(["postmortems", "list"], token: "not-a-configured-token")
            #expect(stranger.status == 1)
            #expect(stranger.standardError.hasPrefix("error: 401 unauthorized: "), "\(stranger.standardError)")
        }
    }

    @Test func updatesFollowTheLifecycle() async throws {
        try await Self.withSamplePostmortem { harness, cli in
            let ids = try await Self.strings(
                "SELECT action_item_id::text FROM action_items ORDER BY due_at, action_item_id", harness)
            let (item, other) = (ids[0], ids[1])

            let started = try await cli.run(
                ["action-items", "update", item, "--status", "in_progress"], token: ServiceHarness.writeToken)
            #expect(started.status == 0, "\(started.standardError)")
            let afterStart = try await Self.state(of: item, harness)
            #expect(afterStart.status == "in_progress")
            #expect(Self.table(started.standardOutput).dropFirst().first?.prefix(2) == [item, "in_progress"])
            #expect(started.standardOutput.contains("version \(afterStart.version) "))

            let done = try await cli.run(
                [
                    "action-items", "update", item, "--status", "done", "--evidence-url",
                    "https://ci.example.com/runs/7", "--if-match", "\(afterStart.version)", "--json",
                ],
                token: ServiceHarness.writeToken)
            #expect(done.status == 0, "\(done.standardError)")
            let updated = try #require(
                try JSONSerialization.jsonObject(with: Data(done.standardOutput.utf8)) as? [String: Any])
            #expect(updated["status"] as? String == "done")
            #expect(updated["evidenceUrl"] as? String == "https://ci.example.com/runs/7")
            #expect(updated["version"] as? Int == afterStart.version + 1)
            #expect(try await Self.state(of: item, harness).status == "done")

            let illegal = try await cli.run(
                ["action-items", "update", item, "--status", "in_progress"], token: ServiceHarness.writeToken)
            #expect(illegal.status == 1)
            #expect(illegal.standardError.hasPrefix("error: 409 conflict: "), "\(illegal.standardError)")
            #expect(try await Self.state(of: item, harness).status == "done")

            let stale = try await cli.run(
                ["action-items", "update", other, "--status", "in_progress", "--if-match", "999"],
                token: ServiceHarness.writeToken)
            #expect(stale.status == 1)
            #expect(stale.standardError.hasPrefix("error: 412 precondition_failed: "), "\(stale.standardError)")

            let readOnly = try await cli.run(
                ["action-items", "update", other, "--status", "cancelled"], token: ServiceHarness.readToken)
            #expect(readOnly.status == 1)
            #expect(readOnly.standardError.hasPrefix("error: 403 forbidden: "), "\(readOnly.standardError)")
            #expect(try await Self.state(of: other, harness).status == "open")
        }
    }

    @Test func aMissingTokenIsExplainedBeforeAnyRequest() async throws {
        let outcome = try await CLI(url: "http://127.0.0.1:1").run(["postmortems", "list"], token: "")
        #expect(outcome.status == 1)
        #expect(
            outcome.standardError
                == "error: DEPLOY_POSTMORTEM_TOKEN is not set; export an API token of the service (read scope, write scope for changes)\n"
        )
        #expect(outcome.standardOutput.isEmpty)
    }

    @Test func anUnreachableServerIsNamed() async throws {
        let outcome = try await CLI(url: "http://127.0.0.1:1").run(["action-items", "list"], token: "any")
        #expect(outcome.status == 1)
        #expect(
            outcome.standardError == "error: cannot reach deploy-postmortem at http://127.0.0.1:1: connection refused\n"
        )
    }

    @Test func anUpdateWithoutChangesIsAUsageError() async throws {
        let outcome = try await CLI(url: "http://127.0.0.1:1").run(["action-items", "update", "some-id"], token: "any")
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("nothing to change: give --owner, --status, --due or --evidence-url"))
    }

    @Test func redirectsAreRefusedSoTheTokenStaysWithTheServer() async throws {
        let authorizations = Mutex<[String]>([])
        let elsewhere = Router()
        elsewhere.get("**") { request, _ in
            authorizations.withLock { $0.append(request.headers[.authorization] ?? "none") }
            return #"{"items":[],"nextCursor":null}"#
        }
        try await Application(router: elsewhere, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(
            .live
        ) { target in
            let targetPort = try #require(target.port)
            let redirecting = Router()
            redirecting.get("**") { request, _ in
                Response(status: .found, headers: [.location: "http://127.0.0.1:\(targetPort)\(request.uri.path)"])
            }
            try await Application(router: redirecting, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
                .test(.live) { front in
                    let outcome = try await CLI(url: "http://127.0.0.1:\(try #require(front.port))").run(
                        ["postmortems", "list"], token: "s3cret-token")
                    #expect(outcome.status == 1)
                    #expect(outcome.standardError.contains("HTTP 302"), "\(outcome.standardError)")
                    #expect(authorizations.withLock { $0 }.isEmpty, "the token followed the redirect")
                }
        }
    }
}
