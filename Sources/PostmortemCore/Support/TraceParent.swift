/// A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
/// the trace an event belongs to and the span that produced it. Carried by input events as the
/// Kafka header `traceparent` or the CloudEvents distributed-tracing extension attribute
/// `traceparent` (`ce_traceparent` in binary mode), and passed on to the output events of the
/// same deploy (docs/events/README.md, "Trace context").
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceID: String
    /// 16 lower-case hex digits, not all zero: the span that produced the event.
    public let parentID: String
    /// Whether the trace is sampled (flag `01`); the only flag version 00 defines.
    public let sampled: Bool

    /// Parses a `traceparent` value; nil when it is not one. Version `00` must be exactly
    /// `00-<trace-id>-<parent-id>-<flags>`; a later version (not `ff`) is read by those four
    /// fields, followed by the end or a `-`, as the recommendation asks. Hex must be
    /// lower-case and neither ID all zeros.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
            bytes[52] == UInt8(ascii: "-")
        else { return nil }
        let version = String(decoding: bytes[0..<2], as: UTF8.self)
        guard Self.isHex(bytes[0..<2]), version != "ff" else { return nil }
        if version == "00" ? bytes.count != 55 : (bytes.count > 55 && bytes[55] != UInt8(ascii: "-")) { return nil }
        let trace = bytes[3..<35]
        let parent = bytes[36..<52]
        let flags = bytes[53..<55]
        guard Self.isHex(trace), Self.isHex(parent), Self.isHex(flags),
            trace.contains(where: { $0 != UInt8(ascii: "0") }), parent.contains(where: { $0 != UInt8(ascii: "0") }),
            let flagBits = UInt8(String(decoding: flags, as: UTF8.self), radix: 16)
        else { return nil }
        traceID = String(decoding: trace, as: UTF8.self)
        parentID = String(decoding: parent, as: UTF8.self)
        sampled = flagBits & 0x01 != 0
    }

    private init(traceID: String, parentID: String, sampled: Bool) {
        self.traceID = traceID
        self.parentID = parentID
        self.sampled = sampled
    }

    /// Version `00`, lower-case: `00-<trace-id>-<parent-id>-<01|00>`.
    public var description: String { "00-\(traceID)-\(parentID)-\(sampled ? "01" : "00")" }

    /// The context of a span this one caused: same trace and sampling, a new parent ID derived
    /// from `span` (e.g. the ID of the event it produced), so encoding the same event again
    /// gives the same value.
    public func child(_ span: String) -> TraceParent {
        var id = String(StableID.sha1Hex("span|\(traceID)|\(span)").prefix(16))
        if id == String(repeating: "0", count: 16) { id = "0000000000000001" }
        return TraceParent(traceID: traceID, parentID: id, sampled: sampled)
    }

    private static func isHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }
}
