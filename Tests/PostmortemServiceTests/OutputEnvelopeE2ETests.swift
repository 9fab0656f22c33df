import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import PostmortemCore
import PostmortemService
import TestSupport
import Testing

/// What output events carry around their data, end to end through the mock cluster: the trace
/// context of the input passed on (stored, so another replica on the same database continues
/// it), the configured `source`, `dataschema` and links, and the action items' scope and
/// increasing versions.
@Suite("Output envelope end to end", .serialized)
struct OutputEnvelopeE2ETests {
    /// The trace of the deploy's latest traced event (deploy.finished at 10:40, as an attribute).
    static let latestTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    /// The trace of its start (10:00, as a Kafka header): older, so not the one passed on.
    static let earlierTrace = "00-11111111111111111111111111111111-2222222222222222-01"

    static func configure(_ configuration: inout ServiceConfiguration) {
        configuration.outputEvents = OutputEventEncoder(
            source: "urn:example:deploy-postmortem:test", schemaBase: "https://schemas.example.com/events/",
            apiBaseURL: "https://pm.example.com", uiBaseURL: "https://ui.example.com")
    }

    /// The sample events with trace contexts: the deploy.finished event as a structured-mode
    /// attribute, the deploy.started event as a header, and a malformed header on the rollback.
    static func tracedSample() throws -> (documents: [String], headers: [[KafkaHeader]]) {
        var documents: [String] = []
        var headers: [[KafkaHeader]] = []
        for line in SampleEvents.lines {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var lineHeaders: [KafkaHeader] = []
            switch object["type"] as? String {
            case "io.deploypostmortem.deploy.finished.v1": object["traceparent"] = latestTrace
            case "io.deploypostmortem.deploy.started.v1":
                lineHeaders = [KafkaHeader(name: "traceparent", string: earlierTrace)]
            case "io.deploypostmortem.deploy.rolled_back.v1":
                lineHeaders = [KafkaHeader(name: "traceparent", string: "00-not-a-trace-01")]
            default: break
            }
            documents.append(
                String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            headers.append(lineHeaders)
        }
        #expect(headers.filter { !$0.isEmpty }.count == 2 && documents.contains { $0.contains(latestTrace) })
        return (documents, headers)
    }

    static func envelope(_ message: KafkaMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any])
    }

    /// Checks `traceparent` continues `latestTrace` with a parent ID of its own.
    static func expectContinuesTheTrace(_ event: [String: Any], _ comment: Comment? = nil) {
        let trace = (event["traceparent"] as? String).flatMap(TraceParent.init)
        #expect(trace?.traceID == "0af7651916cd43dd8448eb211c80319c", comment)
        #expect(trace?.sampled == true, comment)
        #expect(trace.map { $0.parentID != "b7ad6b7169203331" } == true, "a new span, not the input's")
    }

    @Test func traceSourceSchemaLinksAndItemVersionsReachTheBusAndSurviveAReplicaChange() async throws {
        let (documents, headers) = try Self.tracedSample()
        let database = try TestDatabase.fresh("envelope")
        try await ServiceHarness.with(database: database, clock: SampleEvents.clock, configure: Self.configure) {
            harness in
            try await harness.produce(documents, headers: headers)
            try await harness.waitUntilSettled("the postmortem published", messages: documents.count)
            // Stored with the events, validated: the malformed header is not kept.
            let stored = try await harness.query { connection in
                try connection.query(
                    "SELECT traceparent FROM deploy_events WHERE traceparent IS NOT NULL ORDER BY occurred_at"
                )
                .map { try $0.decode(String.self, at: 0) }
            }
            #expect(stored == [Self.earlierTrace, Self.latestTrace])

            // A first batch without every event opens the postmortem and the next updates it:
            // the latest event is the one that carries the analysis of all of them.
            let topics = harness.configuration.topics
            let postmortemEvents = try await harness.read(
                topics.postmortems, count: try await harness.outboxRows(topic: topics.postmortems)
            ).map(Self.envelope)
            #expect(postmortemEvents.first?["type"] as? String == "io.deploypostmortem.postmortem.opened.v1")
            let opened = try #require(postmortemEvents.last)
            let postmortemId = try #require(opened["subject"] as? String)
            #expect(opened["source"] as? String == "urn:example:deploy-postmortem:test")
            #expect(
                opened["dataschema"] as? String
                    == "https://schemas.example.com/events/postmortem.schema.json#/properties/data")
            Self.expectContinuesTheTrace(opened, "postmortem.opened")
            let links = (opened["data"] as? [String: Any])?["links"] as? [String: Any]
            #expect(links?["api"] as? String == "https://pm.example.com/v1/postmortems/\(postmortemId)")
            #expect(links?["ui"] as? String == "https://ui.example.com/ui/postmortems/\(postmortemId)")
            #expect(links?["incident"] as? String == "https://incidents.example.com/INC-9", "the analysis' links stay")
            // The oracle: the stored document is still what `analyze` makes of the same events.
            #expect(
                try await PipelineTests.storedDocument(harness, deployId: "d-42")
                    == PipelineTests.offlineDocument(documents))

            let itemEvents = try await harness.read(
                topics.actionItems, count: try await harness.outboxRows(topic: topics.actionItems))
            let created = try itemEvents.map(Self.envelope).filter {
                $0["type"] as? String == "io.deploypostmortem.action_item.created.v1"
            }
            #expect(created.count >= 5)
            for event in created {
                let data = try #require(event["data"] as? [String: Any])
                #expect(
                    event["dataschema"] as? String
                        == "https://schemas.example.com/events/action_item.schema.json#/properties/data")
                #expect(data["service"] as? String == "checkout" && data["environment"] as? String == "prod")
                #expect(data["version"] as? Int == 1)
                #expect(data["dueAt"] is String)
                #expect(data["previousOwner"] == nil)
                #expect(
                    (data["links"] as? [String: Any])?["postmortemApi"] as? String
                        == "https://pm.example.com/v1/postmortems/\(postmortemId)")
                Self.expectContinuesTheTrace(event, "action_item.created")
            }
        }

        // Another replica on the same database (new process, new cluster): edits continue the
        // stored trace, and each item event numbers on from the stored version.
        try await ServiceHarness.with(database: database, clock: SampleEvents.clock, configure: Self.configure) {
            harness in
            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                let item = try #require(
                    try await api.call(.get, "/v1/action-items?limit=1", token: ServiceHarness.readToken).items.first)
                let id = try #require(item["id"] as? String)
                let owner = try #require(item["owner"] as? String)
                // 1, or 2 where the batch that raised the severity revised the item's due date.
                let version = try #require(item["version"] as? Int)
                #expect(try await api.patch(id, #"{"owner":"team-sre"}"#).status == .ok)
                #expect(
                    try await api.patch(id, #"{"status":"in_progress","dueAt":"2027-01-15T00:00:00Z"}"#).status == .ok)
                #expect(try await api.patch(id, #"{"owner":"team-payments-oncall"}"#).status == .ok)

                let events = try await harness.read(harness.configuration.topics.actionItems, count: 4).map(
                    Self.envelope)
                let data = events.compactMap { $0["data"] as? [String: Any] }
                // One edit, two events: reschedule before the status move (ActionItemPatch's order).
                #expect(
                    events.compactMap { $0["type"] as? String }
                        == ["assigned", "rescheduled", "started", "assigned"].map {
                            "io.deploypostmortem.action_item.\($0).v1"
                        })
                #expect(
                    data.compactMap { $0["version"] as? Int } == (1...4).map { version + $0 },
                    "one more with each event of the item")
                #expect(data.map { $0["previousOwner"] as? String } == [owner, nil, nil, "team-sre"])
                #expect(data.last?["owner"] as? String == "team-payments-oncall")
                #expect(data.last?["dueAt"] as? String == "2027-01-15T00:00:00Z")
                #expect(
                    data.allSatisfy { $0["service"] as? String == "checkout" && $0["environment"] as? String == "prod" }
                )
                for event in events { Self.expectContinuesTheTrace(event, "an edit on another replica") }
                #expect(Set(events.compactMap { $0["traceparent"] as? String }).count == 4, "a span per event")
            }
        }
    }
}
