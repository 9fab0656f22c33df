import Foundation
import Testing
@testable import PostmortemCore

@Suite("Scenarios")
struct ScenarioTests {
    @Test("at least 25 scenarios") func count() {
        #expect(Scenario.all.count >= 25)
    }

    @Test("the scenarios cover every finding kind and every trigger kind")
    func coverage() {
        let keys = Scenario.all.flatMap { $0.findings.map(\.key) }
        for kind in FindingKind.allCases {
            #expect(keys.contains { $0.contains(".\(kind.rawValue)") }, "no scenario for \(kind.rawValue)")
        }
        let triggers = Set(Scenario.all.flatMap { $0.triggers ?? [] })
        let expected = ["rolled_back_automatically", "rolled_back_manually", "deploy_failed", "gate_failed:canary"]
            + ImpactSeverity.allCases.map { "customer_impact:\($0.rawValue)" }
            + InterventionKind.allCases.map { "intervention:\($0.rawValue)" }
        #expect(Set(expected).subtracting(triggers).isEmpty, "uncovered: \(Set(expected).subtracting(triggers).sorted())")
    }

    @Test(arguments: Scenario.all)
    func scenario(_ s: Scenario) throws {
        let report = BatchAnalysis().run(try Fixture.decode(s.lines))
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
    }
}
