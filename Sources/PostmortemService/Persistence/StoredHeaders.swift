import Foundation
import PostmortemCore

/// How a message's Kafka headers are kept with its event (`deploy_events.headers`, a JSON
/// object), so that a header the contract does not read never decides the event's fate.
///
/// The headers the contract reads (``isRead(_:)``: the CloudEvents binary-mode `ce_*`
/// attributes, `content-type`, `traceparent`, `tracestate`) were validated by the decoder and
/// are kept as text: a stored event decodes again from them. Any other header is kept for audit
/// within ``maxOtherHeaders`` and ``maxOtherBytes`` (counted in arrival order): as text when it
/// is UTF-8 without NUL, else as `{"base64": …}` of its bytes — never repaired, never refused.
/// Past either cap the header is dropped and counted; the event is always kept.
struct StoredHeaders: Sendable, Equatable {
    /// The most headers the contract does not read that one event keeps.
    static let maxOtherHeaders = 32
    /// The most bytes (names and values) of headers the contract does not read that one event keeps.
    static let maxOtherBytes = 8 * 1024

    /// The JSON object stored.
    var json: JSONValue
    /// Headers not kept (over a cap).
    var dropped = 0

    /// Whether the contract reads header `name` (docs/events/README.md, "Kafka headers").
    static func isRead(_ name: String) -> Bool {
        name.hasPrefix("ce_") || ["content-type", "traceparent", "tracestate"].contains(name.lowercased())
    }

    /// The stored form of `headers`; of headers with one name, the last is kept (the decoder
    /// reads the last too).
    init(_ headers: [RawEvent.Header]) {
        var fields: [String: JSONValue] = [:]
        var others = 0
        var otherBytes = 0
        for header in headers {
            let text = String(validating: header.value, as: UTF8.self).flatMap { $0.utf8.contains(0) ? nil : $0 }
            if Self.isRead(header.key), let text {
                fields[header.key] = .string(text)
                continue
            }
            let size = header.key.utf8.count + header.value.count
            guard others < Self.maxOtherHeaders, otherBytes + size <= Self.maxOtherBytes else {
                dropped += 1
                continue
            }
            others += 1
            otherBytes += size
            fields[header.key] =
                text.map(JSONValue.string) ?? .object(["base64": .string(Data(header.value).base64EncodedString())])
        }
        json = .object(fields)
    }

    /// The headers of a stored JSON object, as they arrived (text as its UTF-8 bytes, base64
    /// values decoded); rows stored before base64 values existed hold text only.
    static func headers(fromStored text: String) throws -> [(key: String, value: [UInt8])] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [] }
        return object.keys.sorted().compactMap { key in
            switch object[key] {
            case let text as String: (key, Array(text.utf8))
            case let binary as [String: Any]:
                (binary["base64"] as? String).flatMap { Data(base64Encoded: $0) }.map { (key, Array($0)) }
            default: nil
            }
        }
    }
}
