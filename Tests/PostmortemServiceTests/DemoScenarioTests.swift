import DemoScenarios
import Foundation
import Kafka
import PostmortemCore
import PostmortemService
import Testing

/// The demo's five deploy stories through the running service: exactly the expected
/// postmortems, triggers, findings, action items and output events.
@Suite("Demo scenarios through the service", .serialized)
struct DemoScenarioTests {
    @Test func eachStoryYieldsExactlyItsPostmortem() async throws {
        let scenarios = DemoScenarios.all(endingAt: Date())
        try await ServiceHarness.with { harness in
            let topics = harness.configuration.topics
            try await harness.produce(scenarios)
            let failing = scenarios.filter(\.opensPostmortem)
            try await harness.wait("every postmortem published") {
                let postmortems = try await harness.count("SELECT count(*) FROM postmortems")
                let unsent = try await harness.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                return postmortems == failing.count && unsent == 0
            }
            // Let late batches (metrics) settle, then judge.
            try await Task.sleep(for: .seconds(2))
            var expectedItems = 0
            for scenario in scenarios {
                let postmortem = try await harness.server.reader.postmortem(ofDeploy: scenario.deployId)
                guard scenario.opensPostmortem else {
                    #expect(postmortem == nil, "\(scenario.name) must not open a postmortem")
                    continue
                }
                let opened = try #require(postmortem, "\(scenario.name) opened no postmortem")
                #expect(
                    opened.triggers.map(\.trigger.description).sorted() == scenario.expectedTriggers, "\(scenario.name)"
                )
                #expect(
                    Set(opened.findings.map(\.kind.rawValue)).sorted() == scenario.expectedFindingKinds,
                    "\(scenario.name)")
                #expect(
                    opened.actionItems.count == opened.findings.count, "\(scenario.name): one action item per finding")
                expectedItems += opened.actionItems.count
            }
            #expect(try await harness.count("SELECT count(*) FROM action_items") == expectedItems)

            // Everything on the postmortem topic: a postmortem opened before a late batch (metrics
            // around the deploy) is updated when that batch changes its content.
            let postmortemEvents = try await harness.read(
                topics.postmortems, count: failing.count * 4, timeout: .seconds(5))
            let opened = postmortemEvents.filter {
                PipelineTests.type(of: $0) == "io.deploypostmortem.postmortem.opened.v1"
            }
            #expect(opened.count == failing.count)
            #expect(
                Set(opened.map { PipelineTests.field("subject", of: $0) }).count == failing.count,
                "each postmortem opened once")
            #expect(
                postmortemEvents.allSatisfy {
                    ["io.deploypostmortem.postmortem.opened.v1", "io.deploypostmortem.postmortem.updated.v1"].contains(
                        PipelineTests.type(of: $0))
                })
            // Everything on the item topic (reading past the expected count, to see any extra).
            let itemEvents = try await harness.read(topics.actionItems, count: expectedItems * 2, timeout: .seconds(5))
            let created = itemEvents.filter {
                PipelineTests.type(of: $0) == "io.deploypostmortem.action_item.created.v1"
            }
            #expect(created.count == expectedItems, "each action item created once")
            #expect(Set(created.map { PipelineTests.field("id", of: $0) }).count == expectedItems)
            // Any other item event is a revision: an item whose figures changed as later events
            // arrived (how many depends on how deliveries fall into batches), never a duplicate.
            let others = itemEvents.filter {
                PipelineTests.type(of: $0) != "io.deploypostmortem.action_item.created.v1"
            }
            #expect(others.allSatisfy { PipelineTests.type(of: $0) == "io.deploypostmortem.action_item.revised.v1" })
            #expect(
                Set(itemEvents.map { PipelineTests.field("id", of: $0) }).count == itemEvents.count, "no event twice")
        }
    }
}
