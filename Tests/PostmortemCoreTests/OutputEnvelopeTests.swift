import Foundation
import Testing

@testable import PostmortemCore

/// What output events carry around their data: `source`, `dataschema`, the W3C trace context
/// of the input, links to the postmortem, and an action item's scope and event version.
/// A sampled trace context, as a tracing pipeline would send it.
private let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

@Suite("Output envelope")
struct OutputEnvelopeTests {

    /// Valid and invalid `traceparent` values (W3C Trace Context, §3.2).
    @Test(
        arguments: [
            (trace, trace),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
            ),
            // Flags other than sampled are not passed on.
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", trace),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
            ),
            // A later version is read by its first four fields, re-emitted as version 00.
            ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", trace),
            ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", trace),
            ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", nil),
            ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", nil),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", nil),
            ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", nil),
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", nil),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", nil),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", nil),
            ("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", nil),
            ("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", nil),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z", nil),
            ("", nil),
        ] as [(String, String?)])
    func traceParentParsing(_ input: String, _ expected: String?) {
        #expect(TraceParent(input)?.description == expected)
    }

    @Test func childSpanKeepsTheTraceAndIsStable() throws {
        let parent = try #require(TraceParent(trace))
        let child = parent.child("event-1")
        #expect(child.traceID == parent.traceID)
        #expect(child.sampled)
        #expect(child.parentID != parent.parentID)
        #expect(child.parentID.count == 16)
        #expect(TraceParent(child.description) == child)
        #expect(child == parent.child("event-1"))
        #expect(child.parentID != parent.child("event-2").parentID)
    }

    /// Where the decoder takes the trace context from: the event's own attribute first, then
    /// the `traceparent` header; a malformed value is ignored and the event still decodes.
    @Test(
        arguments: [
            ("header only", [("traceparent", trace)], nil as String?, trace as String?),
            ("attribute only", [], trace, trace),
            (
                "attribute wins over header",
                [("traceparent", "00-11111111111111111111111111111111-2222222222222222-00")], trace, trace
            ),
            ("malformed attribute falls back to the header", [("traceparent", trace)], "not-a-trace", trace),
            ("malformed header is ignored", [("traceparent", "00-xyz")], nil, nil),
            ("none", [], nil, nil),
        ] as [(String, [(String, String)], String?, String?)])
    func decoderReadsTheTraceOfStructuredEvents(
        _ label: String, _ headers: [(String, String)], _ attribute: String?, _ expected: String?
    ) throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(Fixture.started("d-1").utf8)) as? [String: Any])
        object["traceparent"] = attribute
        let raw = RawEvent(value: Array(Fixture.json(object).utf8), headers: headers.map { ($0.0, Array($0.1.utf8)) })
        #expect(try EventDecoder().decode(raw, now: Fixture.now).traceParent?.description == expected, "\(label)")
    }

    @Test func decoderReadsTheTraceOfBinaryEvents() throws {
        let data = #"{"deployId":"d-1","service":"checkout","environment":"prod","startedAt":"2026-11-26T10:00:00Z"}"#
        var headers = [
            ("ce_specversion", "1.0"), ("ce_id", "e-1"), ("ce_source", "/ci"),
            ("ce_type", "io.deploypostmortem.deploy.started.v1"),
            ("content-type", "application/json"),
            ("traceparent", "00-11111111111111111111111111111111-2222222222222222-00"),
        ]
        let decoder = EventDecoder()
        func decode() throws -> String? {
            try decoder.decode(
                RawEvent(value: Array(data.utf8), headers: headers.map { ($0.0, Array($0.1.utf8)) }), now: Fixture.now
            )
            .traceParent?.description
        }
        #expect(try decode() == "00-11111111111111111111111111111111-2222222222222222-00")
        headers.append(("ce_traceparent", trace))
        #expect(try decode() == trace)
    }

    /// The envelope members and data of one encoded event.
    static func parts(_ event: OutputEvent) throws -> (envelope: [String: JSONValue], data: [String: JSONValue]) {
        guard case .object(let fields) = try JSONParser.parse(event.value, maxDepth: 32),
            case .object(let data) = fields["data"]
        else {
            throw DecodingError(path: "$", reason: "not a CloudEvent with object data")
        }
        return (fields, data)
    }

    @Test func postmortemEnvelope() throws {
        let p = try ActionItemTests.postmortem("d-25")
        let parent = try #require(TraceParent(trace))
        let configured = OutputEventEncoder(
            source: "urn:example:deploy-postmortem:prod", schemaBase: "https://schemas.example.com/events",
            apiBaseURL: "https://postmortems.example.com/", uiBaseURL: "https://ui.example.com")
        let event = configured.encode(p, as: .opened, at: p.detectedAt, trace: parent)
        let (envelope, data) = try Self.parts(event)
        #expect(envelope["source"] == .string("urn:example:deploy-postmortem:prod"))
        #expect(
            envelope["dataschema"]
                == .string("https://schemas.example.com/events/postmortem.schema.json#/properties/data"))
        #expect(envelope["traceparent"] == .string(parent.child(event.id).description))
        guard case .object(let links) = data["links"] else {
            Issue.record("no links")
            return
        }
        #expect(links["api"] == .string("https://postmortems.example.com/v1/postmortems/\(p.id)"))
        #expect(links["ui"] == .string("https://ui.example.com/ui/postmortems/\(p.id)"))
        #expect(links["pipeline"] == .string("https://ci.example.com/deploys/d-25"), "the analysis' own links stay")

        // Defaults: no trace, no public URLs; the ID depends on none of it.
        let plain = OutputEventEncoder().encode(p, as: .opened, at: p.detectedAt)
        let (plainEnvelope, plainData) = try Self.parts(plain)
        #expect(plain.id == event.id)
        #expect(plainEnvelope["source"] == .string("/deploy-postmortem"))
        #expect(
            plainEnvelope["dataschema"]
                == .string("https://deploy-postmortem.dev/schemas/events/postmortem.schema.json#/properties/data"))
        #expect(plainEnvelope["traceparent"] == nil)
        #expect(plainData["links"] == p.json.member("links"))
        #expect(plainData == Self.members(of: p.json), "without decorations the data is the postmortem document")
    }

    @Test func actionItemEnvelope() throws {
        let p = try ActionItemTests.postmortem("d-25")
        let item = try #require(p.actionItems.first)
        let encoder = OutputEventEncoder(
            apiBaseURL: "https://postmortems.example.com", uiBaseURL: "https://ui.example.com/")
        let scope = ActionItemEventScope(service: "checkout", environment: "prod", version: 3)

        let assigned = try item.applying(.assign("team-b"), by: "carol", at: Fixture.now)
        let event = encoder.encode(assigned, in: scope, trace: TraceParent(trace))
        #expect(event.id == encoder.eventID(of: assigned))
        #expect(
            event.id
                == OutputEventEncoder().encode(
                    assigned, in: ActionItemEventScope(service: "x", environment: "y", version: 9)
                ).id)
        let (envelope, data) = try Self.parts(event)
        #expect(
            envelope["dataschema"]
                == .string("https://deploy-postmortem.dev/schemas/events/action_item.schema.json#/properties/data"))
        #expect(envelope["traceparent"] == .string(TraceParent(trace)!.child(event.id).description))
        #expect(data["service"] == .string("checkout"))
        #expect(data["environment"] == .string("prod"))
        #expect(data["version"] == .number(3))
        #expect(data["owner"] == .string("team-b"))
        #expect(data["previousOwner"] == .string(item.owner))
        #expect(data["dueAt"] == .string(RFC3339.format(item.dueAt)))
        #expect(
            data["links"]
                == .object([
                    "api": .string("https://postmortems.example.com/v1/action-items/\(item.id)"),
                    "postmortemApi": .string("https://postmortems.example.com/v1/postmortems/\(p.id)"),
                    "postmortemUi": .string("https://ui.example.com/ui/postmortems/\(p.id)"),
                ]))

        let started = try item.applying(.start, by: "carol", at: Fixture.now)
        let (_, startedData) = try Self.parts(OutputEventEncoder().encode(started, in: scope))
        #expect(startedData["previousOwner"] == nil, "only a reassignment has a previous owner")
        #expect(startedData["links"] == nil, "no links without public URLs")
    }

    private static func members(of value: JSONValue) -> [String: JSONValue] {
        if case .object(let members) = value { members } else { [:] }
    }
}

extension JSONValue {
    /// The member `name` of an object, nil otherwise.
    fileprivate func member(_ name: String) -> JSONValue? {
        if case .object(let members) = self { members[name] } else { nil }
    }
}
