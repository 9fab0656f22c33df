import Foundation
import PostmortemCore
import Testing

@testable import PostmortemService

/// What is stored of a message's headers: the contract's as text, the others kept safely
/// within caps, nothing repaired, and the event never refused for them.
@Suite("Stored headers")
struct StoredHeadersTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var headers: [(String, [UInt8])]
        /// The stored JSON, serialized.
        var stored: String
        var dropped = 0
    }

    static let others = (0...StoredHeaders.maxOtherHeaders).map { ("x-\($0)", Array("v".utf8)) }

    static let cases: [Case] = [
        Case(
            description: "the contract's headers as text",
            headers: [("ce_id", Array("1".utf8)), ("Content-Type", Array("application/json".utf8))],
            stored: #"{"Content-Type":"application/json","ce_id":"1"}"#),
        Case(
            description: "another text header as text", headers: [("x-team", Array("payments".utf8))],
            stored: #"{"x-team":"payments"}"#),
        Case(
            description: "NUL: base64", headers: [("x-bin", [0x61, 0x00, 0x62])],
            stored: #"{"x-bin":{"base64":"YQBi"}}"#),
        Case(
            description: "invalid UTF-8: base64, not repaired", headers: [("x-bin", [0xFF, 0xFE])],
            stored: #"{"x-bin":{"base64":"//4="}}"#),
        Case(
            description: "a contract header with NUL is kept as bytes too", headers: [("tracestate", [0x00])],
            stored: #"{"tracestate":{"base64":"AA=="}}"#),
        Case(
            description: "one header more than the count cap: the last is dropped", headers: others,
            stored: JSONValue.object(
                Dictionary(uniqueKeysWithValues: others.dropLast().map { ($0.0, JSONValue.string("v")) })
            ).serialized, dropped: 1),
        Case(
            description: "a header over the byte cap is dropped, a smaller one after it kept",
            headers: [
                ("x-big", Array(repeating: 0x61, count: StoredHeaders.maxOtherBytes)), ("x-small", Array("s".utf8)),
            ],
            stored: #"{"x-small":"s"}"#, dropped: 1),
        Case(
            description: "the contract's headers do not count against the caps",
            headers: [("ce_source", Array(repeating: 0x61, count: 9000))] + [("x-small", Array("s".utf8))],
            stored: JSONValue.object([
                "ce_source": .string(String(repeating: "a", count: 9000)), "x-small": .string("s"),
            ]).serialized),
        Case(
            description: "of one name the last is kept", headers: [("x-a", Array("1".utf8)), ("x-a", Array("2".utf8))],
            stored: #"{"x-a":"2"}"#),
    ]

    @Test(arguments: cases)
    func stored(_ example: Case) throws {
        let stored = StoredHeaders(example.headers.map { RawEvent.Header(key: $0.0, value: $0.1) })
        #expect(stored.json.serialized == example.stored)
        #expect(stored.dropped == example.dropped)
        // What is stored reads back as the bytes that arrived, for every header kept.
        let kept = Dictionary(example.headers.map { ($0.0, $0.1) }) { _, last in last }
        let readBack = try StoredHeaders.headers(fromStored: stored.json.serialized)
        #expect(readBack.count == kept.count - example.dropped)
        for (key, value) in readBack { #expect(kept[key] == value, "\(key)") }
    }

    @Test func rowsStoredAsPlainTextObjectsStillRead() throws {
        let headers = try StoredHeaders.headers(fromStored: #"{"ce_type":"io.deploypostmortem.deploy.finished.v1"}"#)
        #expect(headers.map(\.key) == ["ce_type"])
        #expect(headers.first?.value == Array("io.deploypostmortem.deploy.finished.v1".utf8))
    }
}
