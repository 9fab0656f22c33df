import DemoScenarios
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import PostmortemCore
import Synchronization
import Testing

@testable import PostmortemService

/// Follow-up effectiveness end to end: the canary-too-loose story's threshold item is done
/// through the API, then a later deploy of the same service either fails its canary on the
/// metric (`action_item.verified_effective`) or is rolled back with the same gap again
/// (`action_item.regressed`); the verdict is stored once and its event enqueued once, however
/// often the check runs and the events are redelivered, and it is the same whatever order the
/// deploys arrive in (a late earlier deploy corrects it, once).
@Suite("Follow-up effectiveness", .serialized)
struct FollowUpTests {
    /// A clock the test moves: the story and the item's completion happen hours "ago".
    final class MovableClock: Sendable {
        private let offset = Mutex<TimeInterval>(0)
        func set(_ seconds: TimeInterval) { offset.withLock { $0 = seconds } }
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    }

    static let realNow = Date()
    static var story: DemoScenarios.Scenario {
        DemoScenarios.all(endingAt: realNow.addingTimeInterval(-4 * 3600)).first { $0.name == "canary-too-loose" }!
    }
    /// The finding key of the story's threshold item (the series carries a region label).
    static let itemKey = "canary.canary_threshold_too_loose:http_error_rate%"

    /// The story stored and published with the clock 3 h behind, its threshold item marked done
    /// through the API (so done 3 h ago), the clock back at now; then `body` with the item's ID.
    static func withDoneItem(_ body: @escaping @Sendable (ServiceHarness, String) async throws -> Void) async throws {
        let clock = MovableClock()
        clock.set(-3 * 3600)
        try await ServiceHarness.with(clock: { clock.now() }) { harness in
            try await harness.produce([story])
            try await harness.wait("the story's item stored") {
                try await harness.count("SELECT count(*) FROM action_items WHERE finding_key LIKE '\(itemKey)'") == 1
            }
            let itemId = try await harness.query { connection in
                try connection.query("SELECT action_item_id::text FROM action_items WHERE finding_key LIKE \(itemKey)")[
                    0
                ].decode(String.self, at: 0)
            }
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let done = try await APICaller(client: client).patch(itemId, #"{"status":"done"}"#)
                #expect(done.status == .ok, "\(done.text)")
            }
            #expect(try await harness.server.followUps.check().isEmpty, "no later deploy yet")
            clock.set(0)
            try await body(harness, itemId)
        }
    }

    static func events(_ harness: ServiceHarness, _ type: String) async throws -> Int {
        try await harness.count(
            "SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.action_item.\(type).v1'")
    }

    /// A later payments deploy whose canary failed on http_error_rate: the gate stopped it.
    static func caughtDeploy(_ deployId: String = "caught-1", minutesAgo: Double = 30) -> [String] {
        let start = realNow.addingTimeInterval(-minutesAgo * 60)
        func t(_ minutes: Double) -> String { RFC3339.format(start.addingTimeInterval(minutes * 60)) }
        func event(_ type: String, _ id: String, _ data: [String: Any]) -> String {
            let object: [String: Any] = [
                "specversion": "1.0", "id": id, "source": "/ci/pipeline", "type": "io.deploypostmortem.\(type)",
                "time": t(0), "data": data,
            ]
            return String(
                decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        return [
            event(
                "deploy.started.v1", "\(deployId)-started",
                [
                    "deployId": deployId, "service": "payments", "environment": "prod", "startedAt": t(0),
                    "artifact": ["name": "payments", "version": "2.15.0"], "team": "payments",
                ]),
            event(
                "deploy.gate_finished.v1", "\(deployId)-canary",
                [
                    "deployId": deployId, "gate": "canary", "outcome": "failed", "startedAt": t(0),
                    "finishedAt": t(10), "trafficPercent": 10,
                    "checks": [
                        [
                            "metric": "http_error_rate", "threshold": 0.6, "direction": "above", "baseline": 0.4,
                            "observed": 2.1, "passed": false,
                        ]
                    ],
                ]),
            event(
                "deploy.finished.v1", "\(deployId)-finished",
                ["deployId": deployId, "outcome": "failed", "finishedAt": t(11), "reason": "canary failed"]),
        ]
    }

    @Test func aCanaryFailureOnTheMetricVerifiesTheItem() async throws {
        try await Self.withDoneItem { harness, itemId in
            try await harness.produce(Self.caughtDeploy())
            try await harness.wait("the caught deploy stored as failed") {
                try await harness.count(
                    "SELECT count(*) FROM deploys WHERE deploy_id = 'caught-1' AND outcome = 'failed'") == 1
            }
            #expect(try await harness.server.followUps.check() == [itemId: .verifiedEffective])
            // Checked again, and with the deploy's events redelivered: nothing new.
            try await harness.produce(Self.caughtDeploy())
            try await Task.sleep(for: .seconds(1))
            #expect(try await harness.server.followUps.check().isEmpty)
            #expect(try await Self.events(harness, "verified_effective") == 1)
            #expect(try await Self.events(harness, "regressed") == 0)
            let stored = try await harness.query { connection in
                let row = try connection.query(
                    "SELECT follow_up, follow_up_deploy_id FROM action_items WHERE action_item_id = \(itemId)::uuid")[0]
                return (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
            }
            #expect(stored == ("verified_effective", "caught-1"))
            let payload = try await harness.query { connection in
                try connection.query(
                    "SELECT payload FROM outbox WHERE payload::jsonb->>'type' = 'io.deploypostmortem.action_item.verified_effective.v1'"
                )[0].decode(String.self, at: 0)
            }
            let data = try #require(
                (try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])?["data"]
                    as? [String: Any])
            #expect(data["id"] as? String == itemId)
            #expect(data["status"] as? String == "done")
            #expect((data["reason"] as? String)?.contains("caught-1") == true)
        }
    }

    /// More done canary items than one check reads, none of whose fixes changes a gate's check
    /// (a skipped gate: no verdict ever), ahead of the threshold item in the check's order
    /// (never checked, smaller IDs): the threshold item is still judged.
    @Test func itemsNoDeployCanJudgeDoNotCrowdOutOneThatCan() async throws {
        try await Self.withDoneItem { harness, itemId in
            let fillers = FollowUpChecker.itemsPerRun + 50
            try await harness.query { connection in
                _ = try connection.query(
                    """
                    INSERT INTO action_items
                    SELECT (jsonb_populate_record(a, jsonb_build_object(
                        'action_item_id', '00000000-0000-0000-0000-' || lpad(i::text, 12, '0'),
                        'finding_key', 'canary.gate_skipped:filler-' || i, 'follow_up_checked_at', NULL))).*
                    FROM action_items a, generate_series(1, \(fillers)) i
                    WHERE a.action_item_id = \(itemId)::uuid
                    """)
            }
            #expect(
                try await harness.count(
                    "SELECT count(*) FROM action_items WHERE status = 'done' AND follow_up_checked_at IS NULL")
                    == fillers, "the fillers come first, the threshold item was checked once already")
            try await harness.produce(Self.caughtDeploy())
            try await harness.wait("the caught deploy stored as failed") {
                try await harness.count(
                    "SELECT count(*) FROM deploys WHERE deploy_id = 'caught-1' AND outcome = 'failed'") == 1
            }
            #expect(try await harness.server.followUps.check() == [itemId: .verifiedEffective])
            #expect(try await Self.events(harness, "verified_effective") == 1)
        }
    }

    /// The story again, ending now (it starts about 100 minutes ago), as another deploy of the
    /// same service: the same gap again.
    static let again = DemoScenarios.all(endingAt: realNow).first { $0.name == "canary-too-loose" }!
    static let againDeployId = "\(again.deployId)-again"
    static var againDeploy: [String] {
        again.events.map { $0.replacingOccurrences(of: again.deployId, with: againDeployId) }
    }

    @Test func theSameGapAgainIsARegression() async throws {
        try await Self.withDoneItem { harness, itemId in
            try await harness.produce(Self.againDeploy)
            try await harness.wait("the second postmortem stored") {
                try await harness.count("SELECT count(*) FROM postmortems") == 2
            }
            #expect(try await harness.server.followUps.check() == [itemId: .regressed])
            #expect(try await harness.server.followUps.check().isEmpty)
            #expect(try await Self.events(harness, "regressed") == 1)
            #expect(try await Self.events(harness, "verified_effective") == 0)
        }
    }

    /// What one delivery order ended in: the stored follow-up, the API's view of it, and the
    /// item's verdict events in the outbox (type, deciding deploy, revision, superseded deploy).
    struct Ending: Sendable, Equatable {
        var stored: [String]
        var api: [String]
        var events: [[String]]
    }

    /// Delivers `deploys` one after the other, judging after each, then all of them again
    /// (redelivered) and judges twice more; returns what it ended in.
    static func deliver(_ deploys: [(events: [String], stored: String)]) async throws -> Ending {
        let ending = Mutex<Ending?>(nil)
        try await withDoneItem { harness, itemId in
            for deploy in deploys {
                try await harness.produce(deploy.events)
                try await harness.wait("\(deploy.stored) analyzed") { try await harness.count(deploy.stored) == 1 }
                try await harness.server.followUps.check()
            }
            try await harness.produce(deploys.flatMap(\.events))
            try await Task.sleep(for: .seconds(1))
            try await harness.server.followUps.check()
            #expect(try await harness.server.followUps.check().isEmpty, "nothing changed since")
            let stored = try await harness.query { connection in
                try connection.query(
                    """
                    SELECT follow_up, follow_up_deploy_id, follow_up_deploy_started_at::text, follow_up_observed::text,
                           follow_up_threshold::text, coalesce(follow_up_missed_as, '-')
                    FROM action_items WHERE action_item_id = \(itemId)::uuid
                    """
                ).first.map { row in try (0..<6).map { try row.decode(String?.self, at: $0) ?? "null" } } ?? []
            }
            let events = try await harness.query { connection in
                try connection.query(
                    """
                    SELECT payload::jsonb->>'type', payload::jsonb->'data'->'followUp'->>'deployId',
                           payload::jsonb->'data'->'followUp'->>'revision',
                           coalesce(payload::jsonb->'data'->'followUp'->'supersedes'->>'deployId', '-')
                    FROM outbox WHERE payload::jsonb->>'subject' = \(itemId)
                      AND payload::jsonb->'data'->'followUp' IS NOT NULL
                    ORDER BY seq
                    """
                ).map { row in try (0..<4).map { try row.decode(String?.self, at: $0) ?? "null" } }
            }
            let api = try await harness.server.httpApplication(port: 0).test(.live) { client in
                let caller = APICaller(client: client)
                let one = try await caller.call(.get, "/v1/action-items/\(itemId)", token: ServiceHarness.readToken)
                let listed = try await caller.call(
                    .get, "/v1/action-items?status=done", token: ServiceHarness.readToken)
                let inList = listed.items.first { $0["id"] as? String == itemId }?["followUp"] as? [String: Any]
                let followUp = try #require(one.object["followUp"] as? [String: Any])
                #expect(inList?["verdict"] as? String == followUp["verdict"] as? String, "the listing shows it too")
                #expect(followUp["judgedAt"] is String && followUp["checkedAt"] is String)
                return ["verdict", "deployId", "deployStartedAt", "observed", "threshold", "missedAs"].map {
                    followUp[$0].map { "\($0)" } ?? "absent"
                }
            }
            ending.withLock { $0 = Ending(stored: stored, api: api, events: events) }
        }
        return try #require(ending.withLock { $0 })
    }

    /// The same two later deploys in two orders: the earlier one (its canary caught the metric)
    /// first, or arriving late, after the later one (the same gap again) was judged. Both end in
    /// the same verdict, from the same deploy, with the same figures, stored and served; the late
    /// order published one more event, the first verdict, which its correction supersedes.
    @Test func theVerdictDoesNotDependOnTheOrder() async throws {
        let early = (
            events: Self.caughtDeploy("caught-early", minutesAgo: 150),
            stored: "SELECT count(*) FROM deploys WHERE deploy_id = 'caught-early' AND outcome = 'failed'"
        )
        let late = (
            events: Self.againDeploy,
            stored: "SELECT count(*) FROM postmortems WHERE deploy_id = '\(Self.againDeployId)'"
        )
        let inOrder = try await Self.deliver([early, late])
        let lateEarlier = try await Self.deliver([late, early])
        #expect(inOrder.stored == lateEarlier.stored)
        #expect(inOrder.stored.prefix(2) == ["verified_effective", "caught-early"])
        #expect(inOrder.stored.suffix(3) == ["2.1", "0.6", "-"], "the canary's check: observed 2.1 over 0.6")
        #expect(inOrder.api == lateEarlier.api)
        #expect(inOrder.api.prefix(2) == ["verified_effective", "caught-early"])
        let verified = "io.deploypostmortem.action_item.verified_effective.v1"
        let regressed = "io.deploypostmortem.action_item.regressed.v1"
        #expect(inOrder.events == [[verified, "caught-early", "1", "-"]])
        #expect(
            lateEarlier.events == [
                [regressed, Self.againDeployId, "1", "-"], [verified, "caught-early", "2", Self.againDeployId],
            ])
    }
}
