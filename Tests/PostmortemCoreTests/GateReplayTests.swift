import Foundation
import Testing

@testable import PostmortemCore

/// The gate replay wired into the findings: realistic deploys, with earlier healthy deploys of
/// the same service among the events, analyzed as `analyze` does; every figure a finding and its
/// action item cite is checked, trips against the brute-force replay of ``ReplayTests``.
@Suite("Gate replay in findings")
struct GateReplayTests {
    /// One case: the events, the finding it is about, and what it must say.
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let lines: [String]
        let finding: String
        let cause: String
        /// The proposal: setting, proposed value, trip minute, lead (min), false alarms, healthy runs.
        let proposal: (setting: String, proposed: Double, trip: Double, lead: Double?, falseAlarms: Int, runs: Int)?
        let title: String
        /// Evidence members that must match exactly.
        var evidence: [String: JSONValue] = [:]
        var description: String { name }
    }

    /// A healthy deploy `days` before the failed one: started, canary 0–10 min and soak 10–20 min
    /// passed, finished succeeded; latency 100 with `spike` at minute `at` of its own clock.
    static func healthy(_ id: String, days: Double, spike: Double, at: Double) -> [String] {
        let offset = -days * 1440
        return [
            Fixture.started(id, at: offset),
            Fixture.gate(
                id, "canary", from: offset, to: offset + 10,
                extra: ["checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 101)]]),
            Fixture.gate(
                id, "soak", from: offset + 10, to: offset + 20,
                extra: [
                    "trafficPercent": 100, "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 101)],
                ]),
            Fixture.finished(id, "succeeded", at: offset + 45),
            Fixture.metric(
                "latency_p99_ms", (0...60).map { (Int(offset) + $0, Double($0) == at ? spike : 100) },
                id: "\(id)-latency"),
        ]
    }

    /// Three healthy deploys whose worst canary minute is 130, 140 and 150.
    static let history =
        healthy("h-1", days: 1, spike: 130, at: 4) + healthy("h-2", days: 2, spike: 140, at: 6)
        + healthy("h-3", days: 3, spike: 150, at: 8)

    static let cases: [Case] = [
        Case(
            name: "loose canary threshold: the tightest threshold no healthy deploy trips, 6 min before the rollback",
            lines: history + [
                Fixture.started("d-1"),
                Fixture.gate(
                    "d-1", "canary", from: 0, to: 10,
                    extra: ["checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)]]),
                Fixture.rollback("d-1", at: 8), Fixture.regression(onset: 2),
            ],
            finding: "canary.canary_threshold_too_loose:latency_p99_ms", cause: "too_loose",
            proposal: ("threshold", 150, 2, 6, 0, 3),
            title: "Tighten the canary threshold on latency_p99_ms from 300 to 150",
            evidence: [
                "windowPoints": num(11), "baselinePoints": num(60), "confidence": num(0.95),
                "criticalThreshold": num(200),
                "criticalFalseAlarms": num(0), "healthyRuns": num(3),
            ]),
        Case(
            name: "loose canary threshold without history: the correlation's limit, nothing to price it",
            lines: [
                Fixture.started("d-1"),
                Fixture.gate(
                    "d-1", "canary", from: 0, to: 10,
                    extra: ["checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)]]),
                Fixture.rollback("d-1", at: 8), Fixture.regression(onset: 2),
            ],
            finding: "canary.canary_threshold_too_loose:latency_p99_ms", cause: "too_loose",
            proposal: ("threshold", 120, 2, 6, 0, 0),
            title: "Tighten the canary threshold on latency_p99_ms from 300 to 120"),
        Case(
            name: "underpowered canary: 4 points, one of them degraded, do not show it at 95 %",
            lines: history + [
                Fixture.started("d-1"),
                Fixture.gate(
                    "d-1", "canary", from: 0, to: 3,
                    extra: ["checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)]]),
                Fixture.rollback("d-1", at: 12), Fixture.regression(onset: 3),
            ],
            finding: "canary.canary_threshold_too_loose:latency_p99_ms", cause: "underpowered",
            proposal: ("threshold", 150, 3, 9, 0, 3),
            title: "Tighten the canary threshold on latency_p99_ms from 300 to 150",
            evidence: ["windowPoints": num(4), "baselinePoints": num(60)]),
        Case(
            name: "soak ended before the onset: the shortest longer soak, priced past the healthy soaks' ends",
            lines: healthy("s-1", days: 1, spike: 160, at: 25) + healthy("s-2", days: 2, spike: 160, at: 45) + [
                Fixture.started("d-1"),
                Fixture.gate(
                    "d-1", "soak", from: 10, to: 20,
                    extra: [
                        "trafficPercent": 100,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 101)],
                    ]),
                Fixture.rollback("d-1", at: 40), Fixture.regression(onset: 30),
            ],
            // The shortest soak that trips is 20 min; the fix keeps the 1.5× margin (30 min).
            // Replayed over 30 min from their soaks' start (minute 10), s-1's spike at minute 25
            // fails it; s-2's at minute 45 is past them.
            finding: "soak.soak_window_too_short", cause: "ended_before_onset",
            proposal: ("window", 1800, 30, 10, 1, 2),
            title: "Extend the soak window from 10 min to at least 30 min",
            evidence: [
                "windowProposedSeconds": num(1200), "windowFalseAlarms": num(1), "suggestedWindowSeconds": num(1800),
            ]),
        Case(
            name: "metric not gated: a check at the tightest value no healthy deploy trips",
            lines: history + [
                Fixture.started("d-1"), Fixture.gate("d-1", "canary", from: 0, to: 10, extra: ["checks": []]),
                Fixture.rollback("d-1", at: 8), Fixture.regression(onset: 2),
            ],
            finding: "canary.canary_metric_not_checked:latency_p99_ms", cause: "metric_not_gated",
            proposal: ("check", 150, 2, 6, 0, 3),
            title: "Add a canary check on latency_p99_ms that fails above 150",
            evidence: ["suggestedThreshold": num(120), "criticalThreshold": num(200)]),
    ]

    @Test("each finding cites the cause, the rank test and the priced proposal", arguments: cases)
    func finding(_ c: Case) throws {
        let report = BatchAnalysis().run(try Fixture.decode(c.lines))
        let postmortem = try #require(report.postmortems.first { $0.deployId == "d-1" })
        let finding = try #require(
            postmortem.findings.first { $0.key == c.finding }, "\(postmortem.findings.map(\.key))")
        #expect(finding.evidence["missCause"] == .string(c.cause))
        for (key, value) in c.evidence { #expect(finding.evidence[key] == value, "\(key)") }
        #expect(finding.fix == c.title)
        let item = try #require(postmortem.actionItems.first { $0.findingKey == c.finding })
        #expect(item.title == c.title)
        #expect(item.proposal == finding.proposal)
        guard let expected = c.proposal else {
            #expect(finding.proposal == nil)
            return
        }
        let proposal = try #require(finding.proposal)
        #expect(proposal.setting.rawValue == expected.setting)
        #expect(proposal.proposed == expected.proposed)
        #expect(proposal.trippedAt == Fixture.start.addingTimeInterval(expected.trip * 60))
        #expect(proposal.leadSeconds == expected.lead.map { $0 * 60 })
        #expect(proposal.falseAlarms == expected.falseAlarms)
        #expect(proposal.healthyRuns == expected.runs)
        #expect(finding.summary.contains(proposal.sentence))
        #expect(postmortem.assumptions.contains { $0.hasPrefix("The gate replay assumed") })
        #expect(MarkdownRenderer().render(postmortem).contains(proposal.sentence))
    }

    @Test("a proposed threshold trips at the minute the brute-force replay finds, and each healthy deploy as it does")
    func bruteForce() throws {
        let c = Self.cases[0]
        let events = try Fixture.decode(c.lines)
        let postmortem = try #require(BatchAnalysis().run(events).postmortems.first { $0.deployId == "d-1" })
        let proposal = try #require(postmortem.findings.first { $0.key == c.finding }?.proposal)
        let series = MetricSeries.series(
            from: events.compactMap { if case .metricSampled(let s) = $0.event { s } else { nil } })
        let points = try #require(series.first { $0.metric == "latency_p99_ms" }).points
        let rule = GateRule(metric: "latency_p99_ms", threshold: proposal.proposed, direction: .above)
        let failed = GateRun(
            points: points, direction: .above, start: Fixture.start, end: Fixture.start.addingTimeInterval(600))
        #expect(ReplayTests.BruteForce.trip(rule, failed) == proposal.trippedAt)
        let healthyRuns = [1.0, 2, 3].map { days in
            let start = Fixture.start.addingTimeInterval(-days * 86_400)
            return GateRun(points: points, direction: .above, start: start, end: start.addingTimeInterval(600))
        }
        #expect(ReplayTests.BruteForce.falseAlarms(rule, healthyRuns) == proposal.falseAlarms)
        // One step tighter than the proposal fails the healthy deploy whose worst minute it is.
        #expect(ReplayTests.BruteForce.falseAlarms(rule.with(threshold: proposal.proposed.nextDown), healthyRuns) == 1)
    }

    @Test("the history is the N most recent healthy deploys before the failed one, whatever else the events hold")
    func selection() throws {
        var config = AnalysisConfig()
        config.healthyDeploys = 2
        let lines =
            Self.history + Self.healthy("later", days: -0.25, spike: 100, at: 0) + [
                Fixture.started("d-1"),
                Fixture.gate(
                    "d-1", "canary", from: 0, to: 10,
                    extra: ["checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)]]),
                Fixture.rollback("d-1", at: 8), Fixture.regression(onset: 2),
            ]
        let events = try Fixture.decode(lines)
        let postmortem = try #require(
            BatchAnalysis(config: config).run(events.shuffled()).postmortems.first { $0.deployId == "d-1" })
        let proposal = try #require(
            postmortem.findings.first { $0.key == "canary.canary_threshold_too_loose:latency_p99_ms" }?.proposal)
        // h-1 (130) and h-2 (140) are the two most recent; h-3 and the later deploy are not replayed.
        #expect(proposal.healthyRuns == 2)
        #expect(proposal.proposed == 140)
        var timelines: [String: DeployTimeline] = [:]
        for event in events {
            if let id = event.event.deployId { timelines[id, default: DeployTimeline(deployId: id)].apply(event) }
        }
        let chosen = HealthyHistory(candidates: timelines.values, series: []).deploys(
            before: timelines["d-1"]!, limit: 2)
        #expect(chosen.map(\.deployId) == ["h-1", "h-2"])
        #expect(!HealthyHistory.isHealthy(timelines["d-1"]!))
    }

    @Test("a configured gate model is used and not stated as assumed")
    func configuredModel() throws {
        var config = AnalysisConfig()
        config.gateEvaluation = GateEvaluation(interval: 60, lookback: 180, aggregation: .mean, failuresToTrip: 2)
        let postmortem = try #require(
            BatchAnalysis(config: config).run(try Fixture.decode(Self.cases[1].lines)).postmortems.first)
        let finding = try #require(postmortem.findings.first { $0.key == Self.cases[1].finding })
        #expect(finding.evidence["gateModelAssumed"] == .bool(false))
        #expect(!postmortem.assumptions.contains { $0.hasPrefix("The gate replay assumed") })
        // 3-minute means at the correlation's limit 120: minute 2 averages 100, 100, 200 (133.3,
        // the first failure), minute 3 averages 100, 200, 200: the second failure trips.
        #expect(finding.proposal?.trippedAt == Fixture.start.addingTimeInterval(180))
    }

    @Test("a proposal survives its stored form")
    func storedForm() throws {
        let proposal = ActionProposal(
            setting: .threshold, metric: "latency_p99_ms", gate: .canary, current: 300, proposed: 0.1 + 0.2,
            trippedAt: Fixture.start.addingTimeInterval(0.5), leadSeconds: 2460, falseAlarms: 1, healthyRuns: 20,
            detectableShift: 1.9)
        #expect(ActionProposal(serialized: proposal.json.serialized) == proposal)
        #expect(ActionProposal(serialized: "{}") == nil)
    }
}
