import Foundation
import Testing

@testable import PostmortemCore

/// Every permutation of `items` (Heap's algorithm).
func permutations<T>(_ items: [T]) -> [[T]] {
    var a = items
    var result = [a]
    var c = [Int](repeating: 0, count: a.count)
    var i = 0
    while i < a.count {
        if c[i] < i {
            a.swapAt(i % 2 == 0 ? 0 : c[i], i)
            result.append(a)
            c[i] += 1
            i = 0
        } else {
            c[i] = 0
            i += 1
        }
    }
    return result
}

@Suite("Timeline")
struct TimelineTests {
    /// The non-metric events of the richest scenario (7 events → 5040 orders).
    static var events: [DecodedEvent] {
        let lines = Scenario.all.first { $0.deployId == "d-25" }!.lines.filter { !$0.contains("metric.sampled") }
        return try! Fixture.decode(lines + [Fixture.finished("d-25", "failed", at: 41)])
    }

    @Test func everyPermutationFoldsToTheSameState() {
        let events = Self.events
        #expect(events.count == 7)
        var reference = DeployTimeline(deployId: "d-25")
        for e in events { reference.apply(e) }
        let orders = permutations(events)
        #expect(orders.count == 5040)
        for order in orders {
            var timeline = DeployTimeline(deployId: "d-25")
            for e in order { timeline.apply(e) }
            #expect(timeline == reference)
        }
        #expect(reference.rollbacks.map(\.initiatedBy) == ["carol"])
        #expect(reference.gates.keys.sorted { $0.rawValue < $1.rawValue } == [.canary, .ci])
        #expect(reference.interventions.map(\.kind) == [.gateBypass])
        #expect(reference.finished?.outcome == .failed)
    }

    @Test func duplicatesAreIgnored() {
        var timeline = DeployTimeline(deployId: "d-25")
        let applied = (Self.events + Self.events).map { timeline.apply($0) }
        #expect(applied == Array(repeating: true, count: 7) + Array(repeating: false, count: 7))
        #expect(timeline.events.count == 7)
    }

    @Test func everyOrderOfTheBatchGivesTheSamePostmortem() throws {
        let events = try Fixture.decode(Scenario.looseThreshold.lines)
        let reference = BatchAnalysis().run(events)
        for order in permutations(events) {
            #expect(BatchAnalysis().run(order + order.prefix(2)) == reference)
        }
    }

    @Test func unattributedEventNamesItsReason() throws {
        let s = Scenario.all.first { $0.deployId == "d-20" }!
        let report = BatchAnalysis().run(try Fixture.decode(s.lines))
        #expect(
            report.unattributed == [
                UnattributedEvent(
                    key: EventKey(source: "/pipeline", id: "search-intervened-data_fix-200"),
                    reason:
                        "latest deploy of search/prod (d-20) started 12000s before the event, outside the 7200s window",
                    kind: "deploy.intervened")
            ])
    }

    @Test(
        arguments: [
            ("linked", ["cd-1"], nil, nil, Attribution.deploy("d-new", by: .link)),
            ("chain", [], "chain-old", nil, .deploy("d-old", by: .chainId)),
            ("artifact", [], nil, "pkg:oci/a@1", .deploy("d-old", by: .artifact)),
            ("window", [], nil, nil, .deploy("d-new", by: .serviceWindow)),
        ] as [(String, [String], String?, String?, Attribution)])
    func attributionRules(
        _ name: String, _ links: [String], _ chain: String?, _ artifact: String?, _ expected: Attribution
    ) {
        let impact = CustomerImpact(
            service: "a", environment: "prod", severity: .low, startedAt: Fixture.start.addingTimeInterval(900))
        let event = DecodedEvent(
            key: EventKey(source: "/s", id: name), type: "t", event: .impactedCustomers(impact),
            chainId: chain, linkedContextIds: links, artifactId: artifact)
        #expect(Attributor(window: 3600).attribute(event, candidates: Self.candidates) == expected)
        var elsewhere = impact
        elsewhere.environment = "staging"
        let other = DecodedEvent(
            key: EventKey(source: "/s", id: name), type: "t", event: .impactedCustomers(elsewhere),
            chainId: chain, linkedContextIds: links, artifactId: artifact)
        #expect(
            Attributor(window: 3600).attribute(other, candidates: Self.candidates)
                == .none(
                    reason: "no deploy of a/staging started before 2026-11-26T10:15:00Z"), "never across environments")
    }

    static let candidates = [
        DeployCandidate(
            deployId: "d-old", service: "a", environment: "prod", startedAt: Fixture.start,
            artifactIds: ["pkg:oci/a@1"], contextIds: ["chain-old"]),
        DeployCandidate(
            deployId: "d-new", service: "a", environment: "prod", startedAt: Fixture.start.addingTimeInterval(600),
            artifactIds: ["pkg:oci/a@2"], contextIds: ["cd-1"]),
    ]

    @Test("a rollback naming an artifact belongs to the latest deploy that does not carry it")
    func rollbackToAnArtifact() {
        let rollback = Rollback(
            service: "a", environment: "prod", mode: .automatic, rolledBackAt: Fixture.start.addingTimeInterval(900))
        let event = DecodedEvent(
            key: EventKey(source: "/s", id: "rb"), type: "t", event: .rolledBack(rollback), artifactId: "pkg:oci/a@1")
        #expect(event.attributionKeys.isEmpty)
        // Rolled back to a@1, which a later redeploy also carries: still the deploy it replaced.
        let redeploy = DeployCandidate(
            deployId: "d-redeploy", service: "a", environment: "prod", startedAt: Fixture.start.addingTimeInterval(890),
            artifactIds: ["pkg:oci/a@1"])
        #expect(
            Attributor(window: 3600).attribute(event, candidates: Self.candidates + [redeploy])
                == .deploy("d-new", by: .serviceWindow))
        #expect(
            Attributor(window: 3600).attribute(event, candidates: [Self.candidates[0]])
                == .none(
                    reason:
                        "no deploy of a/prod started before 2026-11-26T10:15:00Z other than the one of pkg:oci/a@1, the artifact rolled back to"
                ))
    }

    @Test func noCandidateForAGateWithoutService() {
        let gate = GateFinished(deployId: nil, gate: .ci, outcome: .passed, checks: [])
        let event = DecodedEvent(key: EventKey(source: "/s", id: "1"), type: "t", event: .gateFinished(gate))
        #expect(
            Attributor(window: 3600).attribute(event, candidates: [])
                == .none(reason: "no deployId, link, chainId or artifact matches a known deploy"))
    }

    @Test func startsFromCDEventsAndOurFormatMerge() throws {
        var cd = CDEventsFixture.deployed
        cd["customData"] = ["deployId": "d-1"]
        let events = try Fixture.decode([Fixture.json(cd), Fixture.started("d-1", extra: ["commit": "abc"])])
        for order in permutations(events) {
            var timeline = DeployTimeline(deployId: "d-1")
            for e in order { timeline.apply(e) }
            #expect(
                timeline.started?.artifact
                    == Artifact(name: "checkout", version: "1.42.0", purl: CDEventsFixture.artifact))
            #expect(timeline.started?.commit == "abc")
            #expect(timeline.started?.pipelineUrl == "https://ci.example.com/deploys/d-1")
        }
    }
}
