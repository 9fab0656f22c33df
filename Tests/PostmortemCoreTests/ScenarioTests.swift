import Foundation
import Testing

@testable import PostmortemCore

@Suite("Scenarios")
struct ScenarioTests {
    @Test("at least 25 scenarios, and at least 20 that pin the review parts") func count() {
        #expect(Scenario.all.count >= 25)
        #expect(Scenario.reviewed.count >= 20)
        #expect(Scenario.reviewed.allSatisfy { $0.review != nil || $0.triggers == nil })
    }

    @Test("the reviewed scenarios cover every data-quality and went-well kind")
    func reviewCoverage() throws {
        let postmortems = try Scenario.reviewed.flatMap { s in
            BatchAnalysis(config: s.config).run(try Fixture.decode(s.lines)).postmortems
        }
        let warnings = Set(postmortems.flatMap { $0.dataQuality.map(\.kind) })
        let successes = Set(postmortems.flatMap { $0.wentWell.map(\.kind) })
        #expect(warnings == Set(DataQualityKind.allCases))
        #expect(successes == Set(SuccessKind.allCases))
    }

    @Test("the scenarios cover every finding kind and every trigger kind")
    func coverage() {
        let keys = Scenario.all.flatMap { $0.findings.map(\.key) }
        for kind in FindingKind.allCases {
            #expect(keys.contains { $0.contains(".\(kind.rawValue)") }, "no scenario for \(kind.rawValue)")
        }
        let triggers = Set(Scenario.all.flatMap { $0.triggers ?? [] })
        let expected =
            ["rolled_back_automatically", "rolled_back_manually", "deploy_failed", "gate_failed:canary"]
            + ImpactSeverity.allCases.map { "customer_impact:\($0.rawValue)" }
            + InterventionKind.allCases.map { "intervention:\($0.rawValue)" }
        #expect(
            Set(expected).subtracting(triggers).isEmpty, "uncovered: \(Set(expected).subtracting(triggers).sorted())")
    }

    @Test(arguments: Scenario.all + Scenario.reviewed)
    func scenario(_ s: Scenario) throws {
        let report = BatchAnalysis(config: s.config).run(try Fixture.decode(s.lines))
        if let unattributed = s.unattributed {
            #expect(report.unattributed.count == unattributed, "\(report.unattributed)")
        }
        for other in s.noPostmortem {
            #expect(!report.postmortems.contains { $0.deployId == other }, "\(other) has a postmortem")
        }
        let postmortem = report.postmortems.first { $0.deployId == s.deployId }
        guard let triggers = s.triggers else {
            #expect(postmortem == nil)
            return
        }
        let p = try #require(postmortem)
        #expect(p.triggers.map(\.trigger.description) == triggers)
        #expect(p.severity.rawValue == s.severity)
        #expect(p.findings.map(\.key) == s.findings.map(\.key))
        for expected in s.findings {
            let finding = try #require(p.findings.first { $0.key == expected.key })
            for (name, value) in expected.evidence {
                #expect(finding.evidence[name] == value, "\(expected.key) evidence \(name)")
            }
        }
        #expect(p.actionItems.map(\.title) == s.actions)
        #expect(p.actionItems.map(\.kind) == p.findings.map(\.kind.actionKind))
        #expect(Set(p.actionItems.map(\.id)).count == p.actionItems.count)
        if let review = s.review { try check(p, review) }
    }

    private func check(_ p: Postmortem, _ r: ExpectedReview) throws {
        #expect(p.commit == r.commit)
        #expect(p.rollbackTarget?.version == r.rolledBackTo?.version)
        #expect(p.rollbackTarget?.artifact == r.rolledBackTo?.artifact)
        #expect((p.rollbackTarget == nil) == (r.rolledBackTo == nil))
        #expect(p.ruledOutMetrics.map(\.metric) == r.ruledOut.map(\.metric))
        for (m, expected) in zip(p.ruledOutMetrics, r.ruledOut) {
            #expect(
                [m.baseline, m.limit, m.peak] == [expected.baseline, expected.limit, expected.peak], "\(m.metric)")
            #expect(!m.contributing && m.reason != nil)
        }
        #expect(p.dataQuality.map { "\($0.kind.rawValue) \($0.metric)" } == r.dataQuality)
        #expect(p.wentWell.map(\.summary) == r.wentWell)
        #expect(p.response.timeToDetectSeconds == r.timeToDetect)
        #expect(p.response.timeToMitigateSeconds == r.timeToMitigate)
        #expect(p.impactStatement == r.impactStatement)
        if let due = r.dueAt { #expect(p.actionItems.allSatisfy { RFC3339.format($0.dueAt) == due }) }
        let markdown = MarkdownRenderer().render(p)
        let lines = Set(markdown.split(separator: "\n").map(String.init))
        for line in r.markdown { #expect(lines.contains(line), "Markdown lacks line: \(line)") }
        guard case .object(let json) = p.json else {
            Issue.record("not an object")
            return
        }
        #expect(json["commit"] == r.commit.map { .string($0) })
        #expect(json["ruledOutMetrics"] == .array(p.ruledOutMetrics.map(\.json)))
        #expect(json["wentWell"] == .array(p.wentWell.map(\.json)))
        #expect(json["dataQuality"] == .array(p.dataQuality.map(\.json)))
    }
}
