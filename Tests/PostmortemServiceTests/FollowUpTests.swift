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
/// often the check runs and the events are redelivered.
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
    static func caughtDeploy() -> [String] {
        let start = realNow.addingTimeInterval(-30 * 60)
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
                "deploy.started.v1", "caught-started",
                [
                    "deployId": "caught-1", "service": "payments", "environment": "prod", "startedAt": t(0),
                    "artifact": ["name": "payments", "version": "2.15.0"], "team": "payments",
                ]),
            event(
                "deploy.gate_finished.v1", "caught-canary",
                [
                    "deployId": "caught-1", "gate": "canary", "outcome": "failed", "startedAt": t(0),
                    "finishedAt": t(10), "trafficPercent": 10,
                    "checks": [
                        [
                            "metric": "http_error_rate", "threshold": 0.6, "direction": "above", "baseline": 0.4,
                            "observed": 2.1, "passed": false,
                        ]
                    ],
                ]),
            event(
                "deploy.finished.v1", "caught-finished",
                ["deployId": "caught-1", "outcome": "failed", "finishedAt": t(11), "reason": "canary failed"]),
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

    @Test func theSameGapAgainIsARegression() async throws {
        try await Self.withDoneItem { harness, itemId in
            // The story again, an hour later, as another deploy of the same service.
            let again = DemoScenarios.all(endingAt: Self.realNow).first { $0.name == "canary-too-loose" }!
            let renamed = again.events.map {
                $0.replacingOccurrences(of: again.deployId, with: "\(again.deployId)-again")
            }
            try await harness.produce(renamed)
            try await harness.wait("the second postmortem stored") {
                try await harness.count("SELECT count(*) FROM postmortems") == 2
            }
            #expect(try await harness.server.followUps.check() == [itemId: .regressed])
            #expect(try await harness.server.followUps.check().isEmpty)
            #expect(try await Self.events(harness, "regressed") == 1)
            #expect(try await Self.events(harness, "verified_effective") == 0)
        }
    }
}
