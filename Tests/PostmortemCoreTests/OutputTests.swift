import Foundation
import Testing

@testable import PostmortemCore

@Suite("Output")
struct OutputTests {
    @Test func sha1KnownVectors() {
        #expect(StableID.sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(StableID.sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(StableID.sha1Hex(String(repeating: "a", count: 1000)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test(
        "durations read as people say them",
        arguments: [
            (0, "0 s"), (45, "45 s"), (119.6, "2 min"), (600, "10 min"), (1530, "26 min"), (3599, "1 h"),
            (3600, "1 h"), (7020, "1 h 57 min"), (8100, "2 h 15 min"), (90_000, "25 h"),
        ] as [(Double, String)])
    func humanDuration(_ seconds: Double, _ text: String) {
        #expect(formatDuration(seconds) == text)
    }

    @Test(
        "suggested durations round up to a step one would configure",
        arguments: [
            (1, 60), (540, 540), (541, 600), (1170, 1200), (1350, 1500), (3600, 3600), (3601, 4500),
            (7020, 7200), (8100, 8100), (14_401, 18_000),
        ] as [(Double, Double)])
    func suggestedDuration(_ seconds: Double, _ rounded: Double) {
        #expect(roundUpDuration(seconds) == rounded)
    }

    @Test func uuidV5Shape() {
        let id = StableID.uuid("postmortem|d-1")
        #expect(id == StableID.uuid("postmortem|d-1"))
        #expect(id != StableID.uuid("postmortem|d-2"))
        #expect(id.count == 36)
        #expect(Array(id)[14] == "5")
        #expect("89ab".contains(Array(id)[19]))
    }

    @Test func postmortemEventsAreByteStableWithStableIds() throws {
        let p = try ActionItemTests.postmortem("d-25")
        let encoder = OutputEventEncoder()
        let opened = encoder.encode(p, as: .opened, at: p.detectedAt)
        #expect(opened == encoder.encode(try ActionItemTests.postmortem("d-25"), as: .opened, at: p.detectedAt))
        #expect(opened.key == p.id)
        #expect(opened.type == "io.deploypostmortem.postmortem.opened.v1")
        var changed = p
        changed.status = .closed
        #expect(
            encoder.encode(changed, as: .updated, at: p.detectedAt).id
                != encoder.encode(p, as: .updated, at: p.detectedAt).id)
        let parsed = try JSONParser.parse(opened.value, maxDepth: 32)
        guard case .object(let fields) = parsed, case .object(let data) = fields["data"] else {
            Issue.record("not an object")
            return
        }
        #expect(fields["subject"] == .string(p.id))
        #expect(fields["id"] == .string(opened.id))
        #expect(fields["specversion"] == .string("1.0"))
        #expect(
            data["triggers"]
                == .array([
                    .string("customer_impact:high"), .string("intervention:gate_bypass"),
                    .string("rolled_back_manually"),
                ]))
        #expect(data["severity"] == .string("sev2"))
        #expect(data["rolledBackAt"] == .string("2026-11-26T10:40:00Z"))
        #expect(data["actionItemIds"] == .array(p.actionItems.map { .string($0.id) }))
    }

    @Test func actionItemEvents() throws {
        let item = try #require(try ActionItemTests.postmortem("d-25").actionItems.first)
        let started = try item.applying(.start, by: "carol", at: Fixture.now)
        let event = OutputEventEncoder().encode(
            started, in: ActionItemEventScope(service: "checkout", environment: "prod", version: 2))
        #expect(event.type == "io.deploypostmortem.action_item.started.v1")
        #expect(event.key == item.postmortemId)
        guard case .object(let fields) = try JSONParser.parse(event.value, maxDepth: 32),
            case .object(let data) = fields["data"]
        else {
            Issue.record("not an object")
            return
        }
        #expect(fields["subject"] == .string(item.id))
        #expect(data["status"] == .string("in_progress"))
        #expect(data["previousStatus"] == .string("open"))
        #expect(data["changedBy"] == .string("carol"))
        #expect(data["changedAt"] == .string("2026-11-26T18:00:00Z"))
        let created = OutputEventEncoder().encode(
            item.created(by: "deploy-postmortem", at: Fixture.now),
            in: ActionItemEventScope(service: "checkout", environment: "prod", version: 1))
        #expect(created.type == "io.deploypostmortem.action_item.created.v1")
    }

    @Test func markdown() throws {
        let p = try ActionItemTests.postmortem("d-25")
        let md = MarkdownRenderer().render(p)
        #expect(md == MarkdownRenderer().render(try ActionItemTests.postmortem("d-25")))
        for line in [
            "# Postmortem: checkout in prod (SEV2)",
            "- **Deploy ID:** d-25",
            "- **Artifact:** checkout@1.42.0",
            "- **Triggers:** `customer_impact:high`, `intervention:gate_bypass`, `rolled_back_manually`",
            "- **Rolled back at:** 2026-11-26T10:40:00Z",
            "- **Deploy log:** <https://ci.example.com/deploys/d-25>",
            "- 2026-11-26T10:05:00Z — latency_p99_ms began breaching 120 (baseline 100)",
            "| latency_p99_ms | 100 ms | 120 ms | 200 ms | 2026-11-26T10:05:00Z | 100% | no |",
            "## What broke", "## Why CI did not catch it", "## Why canary did not catch it",
            "## Why the soak window did not catch it",
            "The soak gate did not run: no result was recorded, so it could not catch anything.", "## Beyond the gates",
            "- **Owner:** payments", "## Customer impact", "- **How long:** 30 min", "- **Time to detect:** 30 min",
            "- **Time to mitigate:** 0 s", "- **Incident:** <https://incidents.example.com/1>",
            "- **slow_detection**: 35 min passed from the latency_p99_ms onset to rollback; the target is 10 min.",
            "| \(p.actionItems[4].id) | tooling | rollback | Alert and roll back on latency_p99_ms within 10 min (took 35 min) | payments | 2026-12-10T10:01:00Z | open |",
        ] {
            #expect(md.split(separator: "\n").contains { $0 == line }, "missing line: \(line)")
        }
    }
}
