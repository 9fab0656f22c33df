import Foundation
import Testing

@testable import PostmortemCore

/// A postmortem read back from its stored document (``Postmortem/init(document:actionItems:)``)
/// encodes to the same document and renders the same Markdown as the analysis it came from.
@Suite("Postmortem JSON decoding")
struct JSONDecodingTests {
    /// Every postmortem every scenario's events produce.
    static func postmortems(_ s: Scenario) throws -> [Postmortem] {
        BatchAnalysis(config: s.config).run(try Fixture.decode(s.lines)).postmortems
    }

    /// `p`'s document as stored: serialized, then parsed again.
    static func stored(_ p: Postmortem) throws -> JSONValue {
        try JSONValue(parsing: Array(p.json.serialized.utf8), maxDepth: 64)
    }

    @Test(arguments: Scenario.all + Scenario.reviewed)
    func roundTrips(_ s: Scenario) throws {
        for p in try Self.postmortems(s) {
            // Stored items come back in any order; the document's order wins.
            let decoded = try Postmortem(document: try Self.stored(p), actionItems: p.actionItems.reversed())
            #expect(decoded.json.serialized == p.json.serialized, "\(s.name): \(p.deployId)")
            #expect(MarkdownRenderer().render(decoded) == MarkdownRenderer().render(p), "\(s.name): \(p.deployId)")
            #expect(decoded.actionItems == p.actionItems)
            #expect(decoded.triggers == p.triggers)
            #expect(decoded.timeline == p.timeline)
        }
    }

    @Test("the scenarios exercise every member the decoder reads")
    func coverage() throws {
        let all = try (Scenario.all + Scenario.reviewed).flatMap(Self.postmortems)
        #expect(all.contains { $0.impact != nil })
        #expect(all.contains { $0.rollbackTarget != nil })
        #expect(all.contains { $0.artifact != nil })
        #expect(all.contains { $0.commit != nil })
        #expect(all.contains { $0.findings.contains { $0.proposal != nil } })
        #expect(all.contains { $0.contributingMetrics.contains { !$0.labels.isEmpty } })
        #expect(all.contains { !$0.ruledOutMetrics.isEmpty && !$0.dataQuality.isEmpty && !$0.wentWell.isEmpty })
        #expect(all.contains { !$0.gates.isEmpty && !$0.links.isEmpty && !$0.assumptions.isEmpty })
    }

    @Test("pending metrics and empty strings are kept")
    func pendingAndEmpty() throws {
        var p = try Self.sample()
        p.pendingMetrics = ["errors", "latency_p99_ms"]
        p.owner = ""
        let decoded = try Postmortem(document: try Self.stored(p), actionItems: p.actionItems)
        #expect(decoded.pendingMetrics == p.pendingMetrics)
        #expect(decoded.owner == "")
        #expect(decoded.json == p.json)
        #expect(MarkdownRenderer().render(decoded) == MarkdownRenderer().render(p))
    }

    /// A scenario postmortem with findings, action items and metrics.
    static func sample() throws -> Postmortem {
        try #require(
            try (Scenario.all).flatMap(Self.postmortems).first {
                !$0.actionItems.isEmpty && !$0.contributingMetrics.isEmpty
            })
    }

    @Test(arguments: [
        ("severity", JSONValue.string("sev9"), "severity: expected one of sev1|sev2|sev3|sev4, got \"sev9\""),
        (
            "triggers", .array([.string("rolled_back_sideways")]),
            "triggers[0]: unknown trigger \"rolled_back_sideways\""
        ),
        ("triggeredAt", .object([:]), "triggeredAt: no time for trigger"),
        (
            "timeline", .array([.object(["at": .string("yesterday"), "text": .string("x")])]),
            "timeline[0].at: expected RFC 3339 time, got \"yesterday\""
        ),
        ("actionItemIds", .array([.string("no-such-item")]), "actionItemIds[0]: no stored action item no-such-item"),
        (
            "contributingMetrics", .array([.object(["metric": .string("errors")])]),
            "contributingMetrics[0].direction: required field is missing"
        ),
        ("findings", .string("none"), "findings: expected array, got string"),
        ("gates", .object(["staging": .string("passed")]), "gates.staging: unknown gate"),
        ("service", .null, "service: required field is missing"),
    ])
    func refusesWhatIsNotADocument(_ member: String, _ value: JSONValue, _ error: String) throws {
        let p = try Self.sample()
        guard case .object(var fields) = p.json else {
            Issue.record("not an object")
            return
        }
        fields[member] = value
        let thrown = #expect(throws: DecodingError.self) {
            try Postmortem(document: .object(fields), actionItems: p.actionItems)
        }
        #expect(thrown?.description.hasPrefix(error) == true, "\(String(describing: thrown))")
    }

    @Test func aListedItemMustBeGiven() throws {
        let p = try Self.sample()
        #expect(throws: DecodingError.self) {
            try Postmortem(document: p.json, actionItems: Array(p.actionItems.dropFirst()))
        }
    }

    @Test(
        arguments: [Trigger.rolledBackAutomatically, .rolledBackManually, .deployFailed]
            + Gate.allCases.map(Trigger.gateFailed) + ImpactSeverity.allCases.map(Trigger.customerImpact)
            + InterventionKind.allCases.map(Trigger.intervention))
    func triggerTextRoundTrips(_ trigger: Trigger) {
        #expect(Trigger(description: trigger.description) == trigger)
    }

    @Test(arguments: [
        "", "deploy_failed:ci", "gate_failed", "gate_failed:", "gate_failed:staging", "customer_impact:x",
    ])
    func unknownTriggerText(_ text: String) {
        #expect(Trigger(description: text) == nil)
    }
}
