import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import PostmortemCore
import PostmortemService
import TestSupport
import Testing

/// The `/v1` API over real HTTP against the running service: the whole action-item lifecycle
/// with its events read back from the bus, the refusals (409, 412, 401, 403, 4xx on bad input)
/// and pagination.
@Suite("REST API", .serialized)
struct APITests {
    /// Runs `body` with a live server whose d-42 postmortem (from the sample events) is open
    /// and fully published, and the ID of that postmortem.
    static func withPostmortem(_ body: @escaping @Sendable (ServiceHarness, APICaller, String) async throws -> Void)
        async throws
    {
        try await ServiceHarness.with(clock: SampleEvents.clock) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the postmortem published", messages: SampleEvents.lines.count)
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let page = try await api.call(.get, "/v1/postmortems?deployId=d-42", token: ServiceHarness.readToken)
                let id = try #require(page.items.first?["id"] as? String)
                try await body(harness, api, id)
            }
        }
    }

    @Test func wholeLifecycleReachesTheBus() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let document = try await api.call(.get, "/v1/postmortems/\(postmortemId)", token: ServiceHarness.readToken)
            #expect(document.status == .ok)
            #expect(document.object["deployId"] as? String == "d-42")
            #expect(document.object["status"] as? String == "open")
            let items = try #require(document.object["actionItems"] as? [[String: Any]])
            #expect(items.count == 5)
            #expect(
                Set(items.compactMap { $0["id"] as? String })
                    == Set(document.object["actionItemIds"] as? [String] ?? []))

            // Every item: assigned, started, then done with evidence; the last one closes the postmortem.
            let ids = items.compactMap { $0["id"] as? String }
            for (index, id) in ids.enumerated() {
                let assigned = try await api.patch(id, #"{"owner":"team-payments"}"#, version: 1)
                #expect(assigned.status == .ok, "\(assigned.text)")
                #expect(assigned.headers[.eTag] == "\"2\"")
                #expect(assigned.object["owner"] as? String == "team-payments")
                let started = try await api.patch(id, #"{"status":"in_progress"}"#, version: 2)
                #expect(started.object["status"] as? String == "in_progress")
                let finished =
                    index == 0
                    ? try await api.patch(id, #"{"status":"cancelled"}"#, version: 3)
                    : try await api.patch(
                        id, #"{"status":"done","evidenceUrl":"https://git.example/commit/\#(index)"}"#, version: 3)
                #expect(finished.status == .ok, "\(finished.text)")
                #expect(finished.headers[.eTag] == "\"4\"")
            }
            let closed = try await api.call(.get, "/v1/postmortems?deployId=d-42", token: ServiceHarness.readToken)
            #expect(closed.items.first?["status"] as? String == "closed")
            #expect(closed.items.first?["openActionItems"] as? Int == 0)
            #expect(closed.items.first?["closedAt"] is String)

            // Reopening one item reopens the postmortem.
            let reopened = try await api.patch(ids[1], #"{"status":"open"}"#)
            #expect(reopened.object["status"] as? String == "open")
            let open = try await api.call(.get, "/v1/postmortems/\(postmortemId)")
            #expect(open.object["status"] as? String == "open")
            #expect(open.object["closedAt"] is NSNull)

            let topics = harness.configuration.topics
            let itemEvents = cloudEvents(
                try await harness.read(topics.actionItems, count: 5 + 5 * 3 + 4 + 1).map(\.value))
            let byType = Dictionary(grouping: itemEvents, by: \.type).mapValues(\.count)
            #expect(
                byType == [
                    "action_item.created.v1": 5, "action_item.assigned.v1": 5, "action_item.started.v1": 5,
                    "action_item.cancelled.v1": 1, "action_item.evidence_attached.v1": 4, "action_item.completed.v1": 4,
                    "action_item.reopened.v1": 1,
                ])
            let changes = itemEvents.filter { $0.type != "action_item.created.v1" }
            #expect(changes.allSatisfy { $0.data["changedBy"] as? String == "writer" })
            let completion = try #require(changes.first { $0.type == "action_item.completed.v1" })
            #expect(completion.data["previousStatus"] as? String == "in_progress")
            #expect((completion.data["evidenceUrl"] as? String)?.hasPrefix("https://git.example/commit/") == true)

            let postmortemEvents = cloudEvents(try await harness.read(topics.postmortems, count: 3).map(\.value))
            #expect(
                postmortemEvents.map(\.type) == [
                    "postmortem.opened.v1", "postmortem.closed.v1", "postmortem.updated.v1",
                ])
            #expect(postmortemEvents.map { $0.data["status"] as? String } == ["open", "closed", "open"])
        }
    }

    @Test func illegalTransitionsAndStaleVersionsAreRefused() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let items = try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)&limit=1")
            let id = try #require(items.items.first?["id"] as? String)

            let done = try await api.patch(id, #"{"status":"done"}"#)
            #expect(done.status == .ok)
            for (body, message) in [
                (#"{"status":"in_progress"}"#, "cannot start an action item that is done"),
                (#"{"owner":"someone-else"}"#, "cannot assign an action item that is done"),
                (#"{"dueAt":"2030-01-01T00:00:00Z"}"#, "cannot reschedule an action item that is done"),
            ] {
                let refused = try await api.patch(id, body)
                #expect(refused.status == .conflict)
                #expect(refused.errorCode == "conflict")
                #expect((refused.object["error"] as? [String: Any])?["message"] as? String == message)
            }
            let reopened = try await api.patch(id, #"{"status":"open"}"#)
            #expect(reopened.status == .ok, "done → open is a reopen")

            let current = try await api.call(.get, "/v1/action-items/\(id)")
            #expect(current.headers[.eTag] == "\"3\"")
            let stale = try await api.patch(id, #"{"owner":"late-writer"}"#, version: 2)
            #expect(stale.status == .preconditionFailed)
            #expect(stale.errorCode == "precondition_failed")
            #expect(stale.headers[.eTag] == "\"3\"")
            let unquoted = try await api.call(
                .patch, "/v1/action-items/\(id)", headers: [.ifMatch: "3"], json: #"{"owner":"x"}"#)
            #expect(unquoted.status == .preconditionFailed)
            let fresh = try await api.patch(id, #"{"owner":"late-writer"}"#, version: 3)
            #expect(fresh.status == .ok)
            let started = try await api.patch(id, #"{"status":"in_progress"}"#)
            #expect(started.status == .ok)
            let backToOpen = try await api.patch(id, #"{"status":"open"}"#)
            #expect(backToOpen.status == .conflict)
            #expect(
                (backToOpen.object["error"] as? [String: Any])?["message"] as? String
                    == "cannot reopen an action item that is in_progress")

            // Refused edits changed nothing and announced nothing.
            let history = try await harness.query {
                try $0.query(
                    "SELECT jsonb_array_length(history), version FROM action_items WHERE action_item_id = $1::uuid",
                    [id])[0]
            }
            #expect(try history.decode(Int.self, at: 0) == 4)
            #expect(try history.decode(Int.self, at: 1) == 5)
            #expect(
                try await harness.count("SELECT count(*) FROM outbox WHERE topic = 'postmortem.action-items'") == 5 + 4)
        }
    }

    @Test func concurrentCompletionsCloseThePostmortemExactlyOnce() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let ids = try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)").items.compactMap {
                $0["id"] as? String
            }
            #expect(ids.count == 5)
            for id in ids.dropLast(2) { #expect(try await api.patch(id, #"{"status":"done"}"#).status == .ok) }
            // The last two at once: each must see the other's outcome, so exactly one closes it.
            async let first = api.patch(ids[3], #"{"status":"done"}"#)
            async let second = api.patch(ids[4], #"{"status":"cancelled"}"#)
            #expect(try await [first.status, second.status] == [.ok, .ok])
            #expect(try await api.call(.get, "/v1/postmortems/\(postmortemId)").object["status"] as? String == "closed")
            #expect(
                try await harness.count(
                    "SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.postmortem.closed.v1'"
                ) == 1)
        }
    }

    @Test func editsWaitForTheDeploysLockThatTheAnalysisHolds() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let id = try #require(
                try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)").items.first?["id"] as? String)
            // Hold d-42's analysis lock, as the pipeline does while it re-analyzes the deploy.
            let holder = try await PostgresConnection.connect(harness.database)
            try await holder.run { connection in
                try connection.query("BEGIN")
                try connection.query("SELECT pg_advisory_xact_lock(hashtextextended('d-42', 0))")
            }
            let edit = Task { try await api.patch(id, #"{"status":"done"}"#) }
            try await Task.sleep(for: .milliseconds(500))
            #expect(
                try await harness.count("SELECT count(*) FROM action_items WHERE status = 'done'") == 0,
                "the edit did not wait")
            try await holder.run { connection in try connection.query("COMMIT") }
            #expect(try await edit.value.status == .ok)
            #expect(try await harness.count("SELECT count(*) FROM action_items WHERE status = 'done'") == 1)
            await holder.close()
        }
    }

    @Test func tokensAndScopes() async throws {
        try await Self.withPostmortem { _, api, postmortemId in
            let anonymous = try await api.call(.get, "/v1/postmortems", token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.errorCode == "unauthorized")
            #expect(anonymous.headers[.wwwAuthenticate] == #"Bearer realm="deploy-postmortem""#)
            #expect(anonymous.headers[.contentType] == "application/json")
            #expect(try await api.call(.get, "/v1/postmortems", token: "not-a-token-of-ours").status == .unauthorized)
            #expect(try await api.call(.get, "/v1/openapi.yaml", token: nil).status == .unauthorized)
            let basic = try await api.call(
                .get, "/v1/postmortems", token: nil, headers: [.authorization: "Basic dXNlcjpwYXNz"])
            #expect(basic.status == .unauthorized)

            let items = try await api.call(
                .get, "/v1/action-items?postmortemId=\(postmortemId)", token: ServiceHarness.readToken)
            #expect(items.status == .ok)
            let id = try #require(items.items.first?["id"] as? String)
            let readerWriting = try await api.patch(id, #"{"status":"in_progress"}"#, token: ServiceHarness.readToken)
            #expect(readerWriting.status == .forbidden)
            #expect(readerWriting.errorCode == "forbidden")
            #expect(
                try await api.call(.get, "/v1/action-items/\(id)", token: ServiceHarness.readToken).object["status"]
                    as? String == "open")

            // Probes stay open.
            #expect(try await api.call(.get, "/healthz", token: nil).status == .ok)
            #expect(try await api.call(.get, "/metrics", token: nil).status == .ok)
        }
    }

    @Test func badRequestsGetClearErrors() async throws {
        try await Self.withPostmortem { _, api, postmortemId in
            let id = try #require(
                try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)").items.first?["id"] as? String)
            let cases: [(HTTPRequest.Method, String, HTTPFields, String?, HTTPResponse.Status, String)] = [
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{"status":"finished"}"#, .badRequest,
                    "status: expected one of open, in_progress, done, cancelled, got finished"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{"colour":"red"}"#, .badRequest,
                    "unknown member colour; expected dueAt, evidenceUrl, owner, status"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{}"#, .badRequest,
                    "nothing to change; give at least one of dueAt, evidenceUrl, owner, status"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{"owner":42}"#, .badRequest,
                    "owner: expected a string, got number"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{"dueAt":"tomorrow"}"#, .badRequest,
                    "dueAt: expected an RFC 3339 time between 0001-01-01 and 9999-12-31, got tomorrow"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:], #"{"evidenceUrl":"javascript:alert(1)"}"#, .badRequest,
                    "evidenceUrl: expected an http or https URL of at most 2048 bytes"
                ),
                (.patch, "/v1/action-items/\(id)", [:], "[1,2]", .badRequest, "expected a JSON object, got array"),
                (
                    .patch, "/v1/action-items/\(id)", [.contentType: "text/plain"], #"{"owner":"x"}"#,
                    .unsupportedMediaType, "send the changes as application/json or application/merge-patch+json"
                ),
                (
                    .patch, "/v1/action-items/\(id)", [:],
                    #"{"owner":""# + String(repeating: "x", count: 5000) + #""}"#, .contentTooLarge,
                    "request body over 4096 bytes"
                ),
                (
                    .patch, "/v1/action-items/00000000-0000-0000-0000-000000000000", [:], #"{"owner":"x"}"#, .notFound,
                    "no action item 00000000-0000-0000-0000-000000000000"
                ),
                (.get, "/v1/postmortems/not-a-uuid", [:], nil, .notFound, "no postmortem not-a-uuid"),
                (
                    .get, "/v1/postmortems?stauts=open", [:], nil, .badRequest,
                    "unknown query parameter stauts; expected one of cursor, deployId, environment, limit, service, since, status"
                ),
                (
                    .get, "/v1/postmortems?limit=0", [:], nil, .badRequest,
                    "limit: expected an integer in 1...200, got 0"
                ),
                (.get, "/v1/postmortems?cursor=bogus", [:], nil, .badRequest, "cursor: not a cursor this API returned"),
                (
                    .get, "/v1/postmortems?since=yesterday", [:], nil, .badRequest,
                    "since: expected an RFC 3339 time between 0001-01-01 and 9999-12-31, got yesterday"
                ),
                (
                    .get, "/v1/action-items?overdue=maybe", [:], nil, .badRequest,
                    "overdue: expected true or false, got maybe"
                ),
                (
                    .get, "/v1/postmortems/\(postmortemId)", [.accept: "image/png"], nil, .notAcceptable,
                    "this resource is application/json or text/markdown"
                ),
                (.get, "/v1/nothing-here", [:], nil, .notFound, "Not Found"),
            ]
            for (method, uri, headers, body, status, message) in cases {
                let answer = try await api.call(method, uri, headers: headers, json: body)
                #expect(answer.status == status, "\(method) \(uri): \(answer.text)")
                #expect(answer.headers[.contentType] == "application/json", "\(uri)")
                #expect((answer.object["error"] as? [String: Any])?["message"] as? String == message, "\(uri)")
            }
        }
    }

    /// A cursor as the API spells them, for a position it never hands out.
    static func cursor(microseconds: Int64, id: String = "00000000-0000-0000-0000-000000000000") -> String {
        Data("\(microseconds)/\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
    }

    @Test func malformedInputIsA400NeverA500() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let id = try #require(
                try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)").items.first?["id"] as? String)
            let nul = "must not contain the NUL character (U+0000)"
            let time = "expected an RFC 3339 time between 0001-01-01 and 9999-12-31"
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                // Tampered cursors: well-formed, but positions PostgreSQL cannot compute.
                (
                    .get, "/v1/postmortems?cursor=\(Self.cursor(microseconds: .max))", nil, .badRequest,
                    "cursor: not a cursor this API returned"
                ),
                (
                    .get, "/v1/postmortems?cursor=\(Self.cursor(microseconds: .min))", nil, .badRequest,
                    "cursor: not a cursor this API returned"
                ),
                (
                    .get, "/v1/action-items?cursor=\(Self.cursor(microseconds: 300_000_000_000_000_000))", nil,
                    .badRequest, "cursor: not a cursor this API returned"
                ),
                (
                    .get, "/v1/action-items?cursor=\(Self.cursor(microseconds: 0, id: "not-a-uuid"))", nil, .badRequest,
                    "cursor: not a cursor this API returned"
                ),
                (
                    .get, "/v1/action-items?cursor=%FF%FE", nil, .badRequest,
                    "cursor: not valid UTF-8 once percent-decoded"
                ),
                // NUL, bytes that are not UTF-8, and malformed escapes in query parameters.
                (.get, "/v1/postmortems?service=pay%00ments", nil, .badRequest, "service: \(nul)"),
                (.get, "/v1/postmortems?environment=%00", nil, .badRequest, "environment: \(nul)"),
                (.get, "/v1/postmortems?deployId=d-42%00", nil, .badRequest, "deployId: \(nul)"),
                (.get, "/v1/action-items?owner=%00", nil, .badRequest, "owner: \(nul)"),
                (
                    .get, "/v1/postmortems?service=%FF", nil, .badRequest,
                    "service: not valid UTF-8 once percent-decoded"
                ),
                (
                    .get, "/v1/postmortems?service=%ED%A0%80", nil, .badRequest,
                    "service: not valid UTF-8 once percent-decoded"
                ),
                (
                    .get, "/v1/postmortems?service=100%", nil, .badRequest,
                    "service: malformed percent-encoding; escape a literal % as %25"
                ),
                (
                    .get, "/v1/postmortems?service=%G1", nil, .badRequest,
                    "service: malformed percent-encoding; escape a literal % as %25"
                ),
                (.get, "/v1/postmortems?st%00tus=open", nil, .badRequest, "query parameter name: \(nul)"),
                // Times RFC 3339 can write but PostgreSQL or the API cannot hold.
                (
                    .get, "/v1/postmortems?since=0000-01-01T00:00:00Z", nil, .badRequest,
                    "since: \(time), got 0000-01-01T00:00:00Z"
                ),
                (
                    .get, "/v1/postmortems?since=9999-12-31T23:59:60Z", nil, .badRequest,
                    "since: \(time), got 9999-12-31T23:59:60Z"
                ),
                (
                    .patch, "/v1/action-items/\(id)", #"{"dueAt":"0000-06-01T00:00:00Z"}"#, .badRequest,
                    "dueAt: \(time), got 0000-06-01T00:00:00Z"
                ),
                (
                    .patch, "/v1/action-items/\(id)", #"{"dueAt":"9999-12-31T23:59:60Z"}"#, .badRequest,
                    "dueAt: \(time), got 9999-12-31T23:59:60Z"
                ),
                // NUL in any string of a PATCH.
                (.patch, "/v1/action-items/\(id)", #"{"owner":"team\u0000x"}"#, .badRequest, "owner: \(nul)"),
                (.patch, "/v1/action-items/\(id)", #"{"status":"done\u0000"}"#, .badRequest, "status: \(nul)"),
                (
                    .patch, "/v1/action-items/\(id)", #"{"dueAt":"2030-01-01T00:00:00Z\u0000"}"#, .badRequest,
                    "dueAt: \(nul)"
                ),
                (
                    .patch, "/v1/action-items/\(id)", #"{"evidenceUrl":"https://ci.example/\u0000"}"#, .badRequest,
                    "evidenceUrl: \(nul)"
                ),
                (
                    .patch, "/v1/action-items/\(id)", #"{"owner":"\ud800"}"#, .badRequest,
                    "invalid JSON at byte 16: unpaired surrogate"
                ),
                // Ids that are not UUIDs are simply not found (the path is not percent-decoded).
                (.get, "/v1/postmortems/%00", nil, .notFound, "no postmortem %00"),
                (.get, "/v1/action-items/%FF", nil, .notFound, "no action item %FF"),
                (
                    .patch, "/v1/action-items/00000000-0000-0000-0000-00000000000%00", #"{"owner":"x"}"#, .notFound,
                    "no action item 00000000-0000-0000-0000-00000000000%00"
                ),
            ]
            for (method, uri, body, status, message) in cases {
                let answer = try await api.call(method, uri, json: body)
                #expect(answer.status == status, "\(method) \(uri) \(body ?? ""): \(answer.text)")
                #expect(answer.headers[.contentType] == "application/json", "\(uri)")
                #expect(
                    (answer.object["error"] as? [String: Any])?["message"] as? String == message,
                    "\(method) \(uri) \(body ?? "")")
            }

            // A body that is not UTF-8 is refused, never stored with replacement characters.
            for bytes: [UInt8] in [
                Array(#"{"owner":"team-"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
                Array(#"{"owner":"caf"#.utf8) + [0xC3] + Array(#""}"#.utf8),
                Array(#"{"owner":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
            ] {
                let answer = try await api.client.execute(
                    uri: "/v1/action-items/\(id)", method: .patch,
                    headers: [.authorization: "Bearer \(ServiceHarness.writeToken)", .contentType: "application/json"],
                    body: ByteBuffer(bytes: bytes)
                ) { APIAnswer(status: $0.status, headers: $0.headers, text: String(buffer: $0.body)) }
                #expect(answer.status == .badRequest, "\(bytes): \(answer.text)")
                #expect(
                    (answer.object["error"] as? [String: Any])?["message"] as? String
                        == "request body is not valid UTF-8 (at byte \(bytes.firstIndex { $0 >= 0xC3 } ?? -1))")
            }
            let owners = try await harness.query {
                try $0.query("SELECT coalesce(owner, '') FROM action_items").map { try $0.decode(String.self, at: 0) }
            }
            #expect(
                !owners.contains { $0.contains("\u{FFFD}") || $0.hasPrefix("team-") || $0.hasPrefix("caf") },
                "\(owners)")
            #expect(
                try await harness.count("SELECT count(*) FROM action_items WHERE version > 1") == 0,
                "no refused edit changed an item")

            // The extremes of the range are fine, and survive the round trip and pagination.
            let latest = try await api.patch(id, #"{"dueAt":"9999-12-31T23:59:59Z"}"#)
            #expect(latest.status == .ok, "\(latest.text)")
            #expect(latest.object["dueAt"] as? String == "9999-12-31T23:59:59Z")
            let earliest = try await api.patch(id, #"{"dueAt":"0001-01-01T00:00:00Z"}"#)
            #expect(earliest.object["dueAt"] as? String == "0001-01-01T00:00:00Z")
            let first = try await api.call(.get, "/v1/action-items?limit=1")
            #expect(first.items.first?["id"] as? String == id)
            let next = try #require(first.object["nextCursor"] as? String)
            #expect(try await api.call(.get, "/v1/action-items?limit=1&cursor=\(next)").status == .ok)
            #expect(try await api.call(.get, "/v1/postmortems?since=0001-01-01T00:00:00Z").items.count == 1)
        }
    }

    /// The Markdown is rendered from the stored document and items: what `analyze` prints for the
    /// same events, and still the same once the deploy's events are gone (the read never
    /// analyzes them again).
    @Test func markdownIsTheStoredPostmortemAsAnalyzePrintsIt() async throws {
        let analyzed = try await BuiltProducts.deployPostmortem(
            ["analyze", "-", "--format", "markdown"], input: SampleEvents.lines.joined(separator: "\n"))
        #expect(analyzed.status == 0, "\(analyzed.standardError)")
        try await Self.withPostmortem { harness, api, postmortemId in
            let path = "/v1/postmortems/\(postmortemId).md"
            let served = try await api.call(.get, path, token: ServiceHarness.readToken)
            #expect(served.status == .ok)
            #expect(served.text == analyzed.standardOutput)

            let deleted = try await harness.query { connection in
                try connection.query("DELETE FROM deploy_events WHERE deploy_id = 'd-42'").affectedRows
            }
            #expect(deleted > 0)
            #expect(try await api.call(.get, path, token: ServiceHarness.readToken).text == analyzed.standardOutput)
            let read = try #require(try await harness.server.reader.postmortem(ofDeploy: "d-42"))
            #expect(MarkdownRenderer().render(read) == analyzed.standardOutput)
        }
    }

    /// The API reads on its own pool: with every connection of the main pool busy (as under
    /// heavy ingestion), the listings and a postmortem are still answered.
    @Test func readsDoNotWaitForTheMainPool() async throws {
        try await Self.withPostmortem { harness, api, postmortemId in
            let size = harness.configuration.database.poolSize
            let holders = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<size {
                        group.addTask {
                            try await harness.server.pool.withConnection { _ = try $0.query("SELECT pg_sleep(6)") }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await harness.wait("the main pool is busy") {
                try await harness.count("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(6)'")
                    == size
            }
            for path in [
                "/v1/postmortems", "/v1/action-items", "/v1/postmortems/\(postmortemId)",
                "/v1/postmortems/\(postmortemId).md",
            ] {
                #expect(try await api.call(.get, path, token: ServiceHarness.readToken).status == .ok, "\(path)")
            }
            let stillBusy = try await harness.count(
                "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(6)' AND state = 'active'")
            #expect(stillBusy == size, "the reads finished only after the main pool was free again")
            try await holders.value
        }
    }

    /// Every answer, success or error, API or probe, forbids MIME sniffing and caching.
    @Test func everyAnswerCarriesNosniffAndNoStore() async throws {
        try await ServiceHarness.with { harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let answers = [
                    ("/healthz", nil, HTTPResponse.Status.ok), ("/v1/postmortems", ServiceHarness.readToken, .ok),
                    ("/v1/postmortems", nil, .unauthorized), ("/v1/nothing-here", ServiceHarness.readToken, .notFound),
                    ("/v1/postmortems?limit=0", ServiceHarness.readToken, .badRequest),
                ]
                for (path, token, status) in answers {
                    let answer = try await api.call(.get, path, token: token)
                    #expect(answer.status == status, "\(path)")
                    #expect(answer.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                    #expect(answer.headers[.cacheControl] == "no-store", "\(path)")
                }
            }
        }
    }

    @Test func markdownPaginationAndFilters() async throws {
        try await Self.withPostmortem { _, api, postmortemId in
            let markdown = try await api.call(
                .get, "/v1/postmortems/\(postmortemId).md", token: ServiceHarness.readToken)
            #expect(markdown.status == .ok)
            #expect(markdown.headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(markdown.text.contains("d-42"))
            let negotiated = try await api.call(
                .get, "/v1/postmortems/\(postmortemId)", headers: [.accept: "text/markdown, application/json;q=0.5"])
            #expect(negotiated.text == markdown.text)

            var seen: [String] = []
            var uri = "/v1/action-items?postmortemId=\(postmortemId)&limit=2"
            while true {
                let page = try await api.call(.get, uri)
                seen += page.items.compactMap { $0["id"] as? String }
                guard let next = page.object["nextCursor"] as? String else { break }
                uri = "/v1/action-items?postmortemId=\(postmortemId)&limit=2&cursor=\(next)"
            }
            #expect(seen.count == 5 && Set(seen).count == 5)

            let all = try await api.call(.get, "/v1/action-items?postmortemId=\(postmortemId)")
            let dueDates = all.items.compactMap { $0["dueAt"] as? String }
            #expect(dueDates == dueDates.sorted())
            let id = try #require(seen.first)
            try await api.patch(id, #"{"owner":"team-x","dueAt":"2020-01-01T00:00:00Z"}"#)
            let mine = try await api.call(.get, "/v1/action-items?owner=team-x")
            #expect(mine.items.map { $0["id"] as? String } == [id])
            let overdue = try await api.call(.get, "/v1/action-items?overdue=true")
            #expect(overdue.items.map { $0["id"] as? String } == [id])
            #expect(overdue.items.first?["overdue"] as? Bool == true)
            #expect(try await api.call(.get, "/v1/action-items?overdue=false").items.count == 4)
            #expect(try await api.call(.get, "/v1/action-items?status=done").items.isEmpty)

            #expect(try await api.call(.get, "/v1/postmortems?service=nope").items.isEmpty)
            #expect(try await api.call(.get, "/v1/postmortems?status=closed").items.isEmpty)
            #expect(try await api.call(.get, "/v1/postmortems?since=2099-01-01T00:00:00Z").items.isEmpty)
            let summary = try #require(try await api.call(.get, "/v1/postmortems?status=open&limit=1").items.first)
            #expect(summary["totalActionItems"] as? Int == 5)
            #expect(summary["openActionItems"] as? Int == 5)
            let document = try await api.call(.get, "/v1/postmortems/\(postmortemId)")
            #expect(summary["triggers"] as? [String] == document.object["triggers"] as? [String])
            #expect((summary["triggers"] as? [String])?.contains("rolled_back_automatically") == true)
        }
    }
}
