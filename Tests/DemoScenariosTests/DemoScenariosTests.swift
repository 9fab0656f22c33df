import DemoScenarios
import Foundation
import PostmortemCore
import Testing

/// A fixed clock (with a fractional second) so failures reproduce.
private let now = Date(timeIntervalSince1970: 1_795_000_000.75)
private let scenarios = DemoScenarios.all(endingAt: now)

private func decode(_ lines: [String]) throws -> [DecodedEvent] {
    try lines.map { try EventDecoder().decode(json: Array($0.utf8), now: now) }
}

/// What a report says about one deploy: nil = no postmortem, else its triggers and finding kinds.
private struct Outcome: Equatable {
    var triggers: [String]
    var findingKinds: [String]
}

private func outcome(of deployId: String, in report: BatchReport) -> Outcome? {
    report.postmortems.first { $0.deployId == deployId }.map {
        Outcome(
            triggers: $0.triggers.map(\.trigger.description).sorted(),
            findingKinds: Set($0.findings.map(\.kind.rawValue)).sorted())
    }
}

private func expected(_ s: DemoScenarios.Scenario) -> Outcome? {
    s.opensPostmortem ? Outcome(triggers: s.expectedTriggers, findingKinds: s.expectedFindingKinds) : nil
}

@Test func fiveScenariosWithDistinctNamesServicesAndIds() throws {
    #expect(
        scenarios.map(\.name) == [
            "healthy", "canary-too-loose", "soak-too-short", "manual-rollback-with-impact", "out-of-band-data-fix",
        ])
    #expect(Set(scenarios.map(\.deployId)).count == 5)
    let decoded = try scenarios.map { try decode($0.events) }
    let services = decoded.map { Set($0.compactMap { service(of: $0.event) }) }
    #expect(services.allSatisfy { $0.count == 1 })
    #expect(Set(services.flatMap { $0 }).count == 5)
    let keys = decoded.flatMap { $0.map(\.key) }
    #expect(Set(keys).count == keys.count)
}

/// The service an event names, if it names one.
private func service(of event: InputEvent) -> String? {
    switch event {
    case .deployStarted(let e): e.service
    case .intervened(let e): e.service
    case .impactedCustomers(let e): e.service
    case .rolledBack(let e): e.service
    case .metricSampled(let e): e.service
    case .gateFinished, .deployFinished: nil
    }
}

@Test func sameNowGivesIdenticalOutput() {
    #expect(DemoScenarios.all(endingAt: now) == scenarios)
    #expect(DemoScenarios.all(endingAt: now.addingTimeInterval(3600)) != scenarios)
}

@Test(arguments: scenarios)
func scenarioProducesExactlyItsPostmortem(_ scenario: DemoScenarios.Scenario) throws {
    let decoded = try decode(scenario.events)
    #expect(scenario.topicOfEach.count == scenario.events.count)
    for (event, topic) in zip(decoded, scenario.topicOfEach) {
        let wanted =
            switch event.event {
            case .metricSampled: "metrics"
            case .rolledBack: "rollbacks"
            default: "deploys"
            }
        #expect(topic == wanted)
    }
    #expect(scenario.opensPostmortem == !scenario.expectedTriggers.isEmpty)
    let report = BatchAnalysis().run(decoded)
    #expect(report.unattributed.isEmpty)
    #expect(report.postmortems.count == (scenario.opensPostmortem ? 1 : 0))
    #expect(outcome(of: scenario.deployId, in: report) == expected(scenario))
}

@Test(arguments: scenarios)
func timesLieInThePast(_ scenario: DemoScenarios.Scenario) throws {
    for line in scenario.events {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["specversion"] as? String == "1.0")
        #expect((object["type"] as? String)?.hasPrefix("io.deploypostmortem.") == true)
        #expect((object["type"] as? String)?.hasSuffix(".v1") == true)
        for time in times(in: object) {
            let date = try #require(RFC3339.parse(time))
            #expect(date <= now.addingTimeInterval(-60))
            #expect(date >= now.addingTimeInterval(-6 * 3600))
        }
    }
}

/// Every RFC 3339 string anywhere in a JSON value.
private func times(in value: Any) -> [String] {
    switch value {
    case let object as [String: Any]: object.values.flatMap(times)
    case let array as [Any]: array.flatMap(times)
    case let text as String where RFC3339.parse(text) != nil: [text]
    default: []
    }
}

@Test func allScenariosTogetherShuffledAndTripledGiveTheSameResults() throws {
    var generator = SplitMix64(seed: 42)
    let lines = scenarios.flatMap(\.events)
    let mixed = (lines + lines + lines).shuffled(using: &generator)
    let report = BatchAnalysis().run(try decode(mixed))
    #expect(report.unattributed.isEmpty)
    #expect(report.postmortems.count == scenarios.filter(\.opensPostmortem).count)
    for scenario in scenarios {
        let alone = BatchAnalysis().run(try decode(scenario.events))
        #expect(outcome(of: scenario.deployId, in: report) == expected(scenario), "\(scenario.name)")
        #expect(report.postmortems.filter { $0.deployId == scenario.deployId } == alone.postmortems, "\(scenario.name)")
    }
}
