import Foundation
import Testing

@testable import PostmortemCore

/// A message that must be rejected, and the exact error.
struct BadInput: Sendable, CustomStringConvertible {
    let name: String
    let value: String
    var headers: [String: String] = [:]
    var limits = DecodingLimits()
    let error: String
    var description: String { name }
}

@Suite("Decoding")
struct DecodingTests {
    static var gate: [String: Any] { ["deployId": "d-1", "gate": "canary", "outcome": "passed"] }

    static let bad: [BadInput] = [
        BadInput(name: "truncated JSON", value: "{", error: "$: invalid JSON at byte 1: expected a string key"),
        BadInput(
            name: "duplicate key", value: #"{"id":"a","id":"b"}"#,
            error: #"$: invalid JSON at byte 18: duplicate key "id""#),
        BadInput(name: "not an object", value: "[]", error: "$: expected object, got array"),
        BadInput(
            name: "neither CloudEvent nor CDEvent", value: #"{"foo":1}"#,
            error: "$: neither a CloudEvent (no specversion) nor a CDEvent (no context)"),
        BadInput(name: "empty message", value: "", error: "$: empty message"),
        BadInput(
            name: "message too large", value: String(repeating: " ", count: 99) + "{}",
            limits: DecodingLimits(maxMessageBytes: 100),
            error: "$: message of 101 bytes exceeds the limit of 100"),
        BadInput(
            name: "JSON too deep", value: #"{"a":{"b":{"c":{"d":{}}}}}"#, limits: DecodingLimits(maxDepth: 4),
            error: "$: JSON nesting deeper than the limit of 4"),
        BadInput(
            name: "wrong CloudEvents version",
            value:
                #"{"specversion":"0.3","id":"1","source":"/s","type":"io.deploypostmortem.deploy.finished.v1","data":{}}"#,
            error: #"specversion: expected "1.0", got "0.3""#),
        BadInput(
            name: "NUL in a string",
            value:
                #"{"specversion":"1.0","id":"1","source":"/s","type":"io.deploypostmortem.deploy.finished.v1","data":{"deployId":"d\u0000","outcome":"failed","finishedAt":"2026-11-26T10:00:00Z"}}"#,
            error: "data.deployId: contains NUL (U+0000), which cannot be stored"),
        BadInput(
            name: "missing id",
            value: #"{"specversion":"1.0","source":"/s","type":"io.deploypostmortem.deploy.finished.v1","data":{}}"#,
            error: "id: required field is missing"),
        BadInput(
            name: "missing data",
            value: #"{"specversion":"1.0","id":"1","source":"/s","type":"io.deploypostmortem.deploy.finished.v1"}"#,
            error: "data: required field is missing"),
        BadInput(
            name: "base64 data",
            value:
                #"{"specversion":"1.0","id":"1","source":"/s","type":"io.deploypostmortem.deploy.finished.v1","data_base64":"e30="}"#,
            error: "data_base64: binary data is not supported, send JSON data"),
        BadInput(
            name: "unknown type", value: Fixture.event("deploy.exploded.v1", id: "x", ["deployId": "d"]),
            error: #"type: unsupported event type "io.deploypostmortem.deploy.exploded.v1""#),
        BadInput(
            name: "bad enum in an array element",
            value: Fixture.event(
                "deploy.gate_finished.v1", id: "x",
                gate.merging([
                    "checks": [
                        Fixture.check("a", threshold: 1, observed: 1), Fixture.check("b", threshold: 1, observed: 1),
                        ["metric": "c", "threshold": 1, "direction": "over"],
                    ]
                ]) { $1 }),
            error: #"data.checks[2].direction: expected one of above|below, got "over""#),
        BadInput(
            name: "missing required field",
            value: Fixture.event(
                "deploy.started.v1", id: "x", ["deployId": "d", "service": "s", "environment": "prod"]),
            error: "data.startedAt: required field is missing"),
        BadInput(
            name: "wrong type",
            value: Fixture.event(
                "deploy.finished.v1", id: "x", ["deployId": 7, "outcome": "failed", "finishedAt": Fixture.t(0)]),
            error: "data.deployId: expected string, got number"),
        BadInput(
            name: "malformed time",
            value: Fixture.event(
                "deploy.started.v1", id: "x",
                ["deployId": "d", "service": "s", "environment": "prod", "startedAt": "yesterday"]),
            error: #"data.startedAt: expected RFC 3339 time, got "yesterday""#),
        BadInput(
            name: "time too far in the future",
            value: Fixture.event(
                "deploy.started.v1", id: "x",
                ["deployId": "d", "service": "s", "environment": "prod", "startedAt": "2026-11-27T00:00:00Z"]),
            error: "data.startedAt: time 2026-11-27T00:00:00Z is more than 300s after now (2026-11-26T18:00:00Z)"),
        BadInput(
            name: "string too long",
            value: Fixture.event(
                "deploy.started.v1", id: "x",
                [
                    "deployId": "d", "service": String(repeating: "s", count: 41), "environment": "prod",
                    "startedAt": Fixture.t(0),
                ]),
            limits: DecodingLimits(maxStringLength: 40),
            error: "data.service: string of 41 bytes exceeds the limit of 40 bytes"),
        BadInput(
            name: "traffic out of range",
            value: Fixture.event("deploy.gate_finished.v1", id: "x", gate.merging(["trafficPercent": 150]) { $1 }),
            error: "data.trafficPercent: must be between 0 and 100, got 150"),
        BadInput(
            name: "more failed than total tests",
            value: Fixture.event(
                "deploy.gate_finished.v1", id: "x", gate.merging(["ci": ["testsTotal": 10, "testsFailed": 12]]) { $1 }),
            error: "data.ci.testsFailed: must not exceed testsTotal (10), got 12"),
        BadInput(
            name: "no metric points",
            value: Fixture.event(
                "metric.sampled.v1", id: "x", ["service": "s", "environment": "prod", "metric": "m", "points": []]),
            error: "data.points: expected 1 to 1000 points, got 0"),
        BadInput(
            name: "too many metric points", value: Fixture.metric("m", (0...1000).map { ($0 - 1000, 1) }),
            error: "data.points: expected 1 to 1000 points, got 1001"),
        BadInput(
            name: "CDEvents unsupported version",
            value:
                #"{"context":{"specversion":"0.3.0","id":"1","source":"/s","type":"dev.cdevents.service.deployed.0.1.0","timestamp":"2026-11-26T10:00:00Z"},"subject":{"id":"s","content":{}}}"#,
            error: #"context.specversion: expected CDEvents 0.4.x or 0.5.x, got "0.3.0""#),
        BadInput(
            name: "CDEvents unknown context field",
            value:
                #"{"context":{"specversion":"0.5.0","id":"1","source":"/s","type":"dev.cdevents.service.deployed.0.3.0","timestamp":"2026-11-26T10:00:00Z","foo":1},"subject":{"id":"s","content":{}}}"#,
            error: "context.foo: unknown field"),
        BadInput(
            name: "CDEvents missing artifactId",
            value:
                #"{"context":{"specversion":"0.5.0","id":"1","source":"/s","type":"dev.cdevents.service.deployed.0.3.0","timestamp":"2026-11-26T10:00:00Z"},"subject":{"id":"s","content":{"environment":{"id":"prod"}}}}"#,
            error: "subject.content.artifactId: required field is missing"),
        BadInput(
            name: "CDEvents bad outcome inside a CloudEvent",
            value:
                #"{"specversion":"1.0","id":"1","source":"/s","type":"dev.cdevents.testsuiterun.finished.0.3.0","data":{"context":{"specversion":"0.5.0","id":"1","source":"/s","type":"dev.cdevents.testsuiterun.finished.0.3.0","timestamp":"2026-11-26T10:00:00Z"},"subject":{"id":"t","content":{"outcome":"passed","environment":{"id":"ci"}}}}}"#,
            error: #"data.subject.content.outcome: expected one of success|failure|cancel|error, got "passed""#),
        BadInput(
            name: "CDEvents context naming its version twice",
            value:
                #"{"context":{"specversion":"0.5.0","version":"0.4.1","id":"1","source":"/s","type":"dev.cdevents.ticket.created.0.1.0","timestamp":"2026-11-26T10:00:00Z"},"subject":{"id":"t","content":{}}}"#,
            error: #"context.version: give the version once, as specversion (0.5) or version (0.4)"#),
        BadInput(
            name: "CDEvents type the product does not use, with a malformed context",
            value:
                #"{"context":{"specversion":"0.5.0","id":"1","source":"/s","type":"dev.cdevents.ticket.created.0.1.0"},"subject":{"id":"t","content":{}}}"#,
            error: #"context.timestamp: required field is missing"#),
        BadInput(
            name: "binary mode without ce_source",
            value: #"{"deployId":"d","outcome":"failed","finishedAt":"2026-11-26T10:00:00Z"}"#,
            headers: ["ce_specversion": "1.0", "ce_id": "1", "ce_type": "io.deploypostmortem.deploy.finished.v1"],
            error: "header ce_source: required field is missing"),
        BadInput(
            name: "binary mode with a wrong version header",
            value: #"{"deployId":"d","outcome":"failed","finishedAt":"2026-11-26T10:00:00Z"}"#,
            headers: [
                "ce_specversion": "0.3", "ce_id": "1", "ce_source": "/s",
                "ce_type": "io.deploypostmortem.deploy.finished.v1",
            ],
            error: #"header ce_specversion: expected "1.0", got "0.3""#),
        BadInput(
            name: "binary mode without content-type",
            value: #"{"deployId":"d","outcome":"failed","finishedAt":"2026-11-26T10:00:00Z"}"#,
            headers: [
                "ce_specversion": "1.0", "ce_id": "1", "ce_source": "/s",
                "ce_type": "io.deploypostmortem.deploy.finished.v1",
            ],
            error: "header content-type: required in binary mode; expected application/json"),
        BadInput(
            name: "content-type that is not JSON",
            value: #"{"deployId":"d","outcome":"failed","finishedAt":"2026-11-26T10:00:00Z"}"#,
            headers: [
                "ce_specversion": "1.0", "ce_id": "1", "ce_source": "/s",
                "ce_type": "io.deploypostmortem.deploy.finished.v1",
                "content-type": "application/avro",
            ],
            error:
                #"header content-type: unsupported content type "application/avro"; expected application/json or application/cloudevents+json"#
        ),
        BadInput(
            name: "structured mode with a text content-type", value: "{}",
            headers: ["content-type": "text/plain; charset=utf-8"],
            error:
                #"header content-type: unsupported content type "text/plain; charset=utf-8"; expected application/json or application/cloudevents+json"#
        ),
    ]

    /// Invalid UTF-8 is refused wherever it stands in a string, never repaired: two IDs that
    /// differ only in invalid bytes would otherwise collapse into one.
    // Stray, truncated, surrogate, overlong.
    @Test(arguments: [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        let prefix = Array(#"{"specversion":"1.0","id":"a"#.utf8)
        let fast = prefix + bytes + Array(#"","source":"/s","type":"t","data":{}}"#.utf8)
        let escaped = prefix + bytes + Array(#"\n","source":"/s","type":"t","data":{}}"#.utf8)
        for value in [fast, escaped] {
            do {
                _ = try EventDecoder().decode(RawEvent(value: value), now: Fixture.now)
                Issue.record("accepted invalid UTF-8 \(bytes)")
            } catch {
                #expect(error.description.hasPrefix("$: invalid JSON at byte"))
                #expect(error.description.hasSuffix("invalid UTF-8 in string"))
            }
        }
    }

    @Test(arguments: ["application/json", "application/cloudevents+json; charset=UTF-8", "Application/JSON"])
    func acceptsJSONContentTypes(_ contentType: String) throws {
        let message = RawEvent(
            value: Array(#"{"deployId":"d-9","outcome":"failed","finishedAt":"2026-11-26T10:05:00Z"}"#.utf8),
            headers: [
                ("ce_specversion", Array("1.0".utf8)), ("ce_id", Array("e-1".utf8)), ("ce_source", Array("/ci".utf8)),
                ("ce_type", Array("io.deploypostmortem.deploy.finished.v1".utf8)),
                ("content-type", Array(contentType.utf8)),
            ])
        #expect(try EventDecoder().decode(message, now: Fixture.now).key == EventKey(source: "/ci", id: "e-1"))
    }

    @Test(arguments: bad)
    func rejects(_ input: BadInput) {
        let message = RawEvent(
            value: Array(input.value.utf8),
            headers: input.headers.sorted { $0.key < $1.key }.map { ($0.key, Array($0.value.utf8)) })
        #expect(throws: DecodingError.self) { try EventDecoder(limits: input.limits).decode(message, now: Fixture.now) }
        do {
            _ = try EventDecoder(limits: input.limits).decode(message, now: Fixture.now)
        } catch {
            #expect(error.description == input.error)
        }
    }

    @Test func binaryMode() throws {
        let message = RawEvent(
            value: Array(
                #"{"deployId":"d-9","outcome":"failed","finishedAt":"2026-11-26T10:05:00Z","reason":"timeout"}"#.utf8),
            headers: [
                ("ce_specversion", Array("1.0".utf8)), ("ce_id", Array("e-1".utf8)), ("ce_source", Array("/ci".utf8)),
                ("ce_type", Array("io.deploypostmortem.deploy.finished.v1".utf8)),
                ("content-type", Array("application/json".utf8)),
            ])
        let decoded = try EventDecoder().decode(message, now: Fixture.now)
        #expect(decoded.key == EventKey(source: "/ci", id: "e-1"))
        #expect(
            decoded.event
                == .deployFinished(
                    DeployFinished(
                        deployId: "d-9", outcome: .failed, finishedAt: RFC3339.parse("2026-11-26T10:05:00Z")!,
                        reason: "timeout")))
    }

    @Test func structuredStartedFields() throws {
        let decoded = try Fixture.decode([
            Fixture.started(
                "d-1", extra: ["commit": "abc123", "artifact": ["name": "checkout", "digest": "sha256:1"]])
        ])[0]
        guard case .deployStarted(let s) = decoded.event else {
            Issue.record("not a start")
            return
        }
        #expect(s.deployId == "d-1")
        #expect(s.startedAt == Fixture.start)
        #expect(s.artifact == Artifact(name: "checkout", digest: "sha256:1"))
        #expect(s.commit == "abc123")
        #expect(decoded.key == EventKey(source: "/pipeline", id: "d-1-started"))
    }

    /// r23: one name, one spelling. Identifiers are compared by bytes in PostgreSQL and by
    /// canonical equivalence in Swift; decoding normalizes every string to NFC, so both agree.
    @Test(arguments: [
        ("café", "café"),  // precomposed stays
        ("cafe\u{301}", "café"),  // e + combining acute composes
        ("A\u{30A}ngstr\u{F6}m", "\u{C5}ngstr\u{F6}m"),  // A + ring above → Å
        ("\u{212B}", "\u{C5}"),  // the Angstrom sign is canonically Å
        ("checkout", "checkout"),  // ASCII is untouched
    ])
    func identifiersAreNFC(written: String, canonical: String) throws {
        let decoded = try Fixture.decode([
            Fixture.started("d-\(written)", service: written, extra: ["environment": "prod-\(written)"])
        ])[0]
        guard case .deployStarted(let s) = decoded.event else {
            Issue.record("not a start")
            return
        }
        #expect(Array(s.service.utf8) == Array(canonical.utf8))
        #expect(Array(s.environment.utf8) == Array("prod-\(canonical)".utf8))
        #expect(Array(s.deployId.utf8) == Array("d-\(canonical)".utf8))
        #expect(Array(decoded.key.id.utf8) == Array("d-\(canonical)-started".utf8))
    }

    @Test func cdeventsMapping() throws {
        let events = try Fixture.decode(CDEventsFixture.scenario)
        #expect(events.map(\.key.id) == ["cd-1", "cd-2", "cd-3", "ce-4"])
        guard case .rolledBack(let r) = events[2].event else {
            Issue.record("not a rollback")
            return
        }
        #expect(r.mode == .manual && r.service == "checkout" && r.environment == "prod" && r.deployId == nil)
        #expect(events[2].artifactId == CDEventsFixture.previousArtifact)
        #expect(events[1].chainId == "chain-9")
        #expect(events[3].linkedContextIds == ["cd-1"])
        guard case .impactedCustomers(let i) = events[3].event else {
            Issue.record("not an impact")
            return
        }
        #expect(i.severity == .medium && i.incidentUrl == "https://tickets.example.com/INC-1")
    }

    @Test(arguments: [
        ("2026-11-26T17:50:00Z", 1_795_715_400.0), ("2026-11-26T18:50:00.5+01:00", 1_795_715_400.5),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0), ("1970-01-01T00:00:00Z", 0.0),
    ])
    func rfc3339(_ text: String, _ seconds: Double) {
        #expect(RFC3339.parse(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "2026-02-30T00:00:00Z", "2026-11-26 17:50:00Z", "2026-11-26T17:50:00", "2026-11-26T24:00:00Z",
        "2026-11-26T17:50:00.Z",
    ])
    func rfc3339Rejects(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func rfc3339Format() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_715_400.25)) == "2026-11-26T17:50:00.250Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }
}
