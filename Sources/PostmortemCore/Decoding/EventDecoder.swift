import Foundation

/// An event as it arrived on the bus, before decoding: the message value and its headers
/// (the transport is irrelevant to the domain; the Kafka binding maps onto this).
public struct RawEvent: Sendable, Hashable {
    /// One Kafka header.
    public struct Header: Sendable, Hashable {
        /// Header name.
        public var key: String
        /// Header bytes.
        public var value: [UInt8]

        /// Creates a header.
        public init(key: String, value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    /// Record value.
    public var value: [UInt8]
    /// Record headers, in order.
    public var headers: [Header]

    /// Creates a message.
    public init(value: [UInt8], headers: [(key: String, value: [UInt8])] = []) {
        self.value = value
        self.headers = headers.map { Header(key: $0.key, value: $0.value) }
    }
}

/// Decodes and validates input messages: CloudEvents 1.0 (structured, or binary given the headers)
/// carrying our `io.deploypostmortem.*` types or CDEvents, and bare CDEvents JSON.
public struct EventDecoder: Sendable {
    /// Prefix of our own event types.
    public static let typePrefix = "io.deploypostmortem."

    /// Limits applied to every message.
    public var limits: DecodingLimits

    /// Creates a decoder with `limits`.
    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
    }

    /// Decodes one Kafka message; `now` is the injected clock used to reject times too far in the future.
    public func decode(_ message: RawEvent, now: Date) throws(DecodingError) -> DecodedEvent {
        let context = DecodingContext(limits: limits, now: now)
        let contentType = try Self.contentType(of: message.headers)
        let json = try parse(message.value)
        guard let binary = try binaryAttributes(message.headers) else {
            var event = try decodeDocument(json, context: context)
            event.contentDigest = StableID.sha1Hex(bytes: json.serializedBytes)
            event.traceParent = Self.traceParent(attributes: json, headers: message.headers)
            return event
        }
        let attributes = try FieldReader(binary, path: "", context: context) { "header ce_\($0)" }
        var event = try decodeCloudEvent(attributes: attributes, data: json, context: context)
        // In binary mode the value is the data alone: only its content type says it is JSON.
        guard contentType != nil else {
            throw DecodingError(
                path: "header content-type", reason: "required in binary mode; expected application/json")
        }
        event.contentDigest = StableID.sha1Hex(bytes: JSONValue.object(["ce": binary, "data": json]).serializedBytes)
        event.traceParent = Self.traceParent(attributes: binary, headers: message.headers)
        return event
    }

    /// The event's `traceparent` attribute (CloudEvents distributed-tracing extension) when it
    /// is a valid W3C trace context, else the message's `traceparent` header when that is one.
    /// A malformed value is ignored, never an error: tracing must not cost an event.
    private static func traceParent(attributes: JSONValue, headers: [RawEvent.Header]) -> TraceParent? {
        if case .object(let fields) = attributes, case .string(let text)? = fields["traceparent"],
            let trace = TraceParent(text)
        {
            return trace
        }
        return headers.last { $0.key.lowercased() == "traceparent" }
            .flatMap { String(validating: $0.value, as: UTF8.self) }
            .flatMap { TraceParent($0) }
    }

    /// The media type of the `content-type` header (lowercased, parameters dropped), nil when
    /// absent. Only JSON is accepted: `application/json`, `application/cloudevents+json` or
    /// another `+json` type.
    private static func contentType(of headers: [RawEvent.Header]) throws(DecodingError) -> String? {
        guard let header = headers.last(where: { $0.key.lowercased() == "content-type" }) else { return nil }
        guard let text = String(validating: header.value, as: UTF8.self) else {
            throw DecodingError(path: "header content-type", reason: "not valid UTF-8")
        }
        let mediaType =
            text.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw DecodingError(
                path: "header content-type",
                reason:
                    "unsupported content type \"\(text.prefix(100))\"; expected application/json or application/cloudevents+json"
            )
        }
        return mediaType
    }

    /// Decodes one JSON document (a structured CloudEvent or a bare CDEvent), e.g. one line of a JSON-lines file.
    public func decode(json bytes: [UInt8], now: Date) throws(DecodingError) -> DecodedEvent {
        try decode(RawEvent(value: bytes), now: now)
    }

    private func parse(_ bytes: [UInt8]) throws(DecodingError) -> JSONValue {
        guard bytes.count <= limits.maxMessageBytes else {
            throw DecodingError(
                path: "$", reason: "message of \(bytes.count) bytes exceeds the limit of \(limits.maxMessageBytes)")
        }
        guard !bytes.isEmpty else { throw DecodingError(path: "$", reason: "empty message") }
        return try JSONParser.parse(bytes, maxDepth: limits.maxDepth)
    }

    /// CloudEvents attributes from `ce_*` headers, or nil when the message is not in binary mode.
    private func binaryAttributes(_ headers: [RawEvent.Header]) throws(DecodingError) -> JSONValue? {
        var fields: [String: JSONValue] = [:]
        for header in headers where header.key.hasPrefix("ce_") {
            guard let text = String(validating: header.value, as: UTF8.self) else {
                throw DecodingError(path: "header \(header.key)", reason: "not valid UTF-8")
            }
            fields[String(header.key.dropFirst(3))] = .string(text)
        }
        return fields.isEmpty ? nil : .object(fields)
    }

    private func decodeDocument(_ json: JSONValue, context: DecodingContext) throws(DecodingError) -> DecodedEvent {
        guard case .object(let fields) = json else {
            throw DecodingError(path: "$", reason: "expected object, got \(json.typeName)")
        }
        if fields["specversion"] != nil {
            if fields["data_base64"] != nil {
                throw DecodingError(path: "data_base64", reason: "binary data is not supported, send JSON data")
            }
            guard let data = fields["data"], data != .null else {
                throw DecodingError(path: "data", reason: "required field is missing")
            }
            return try decodeCloudEvent(
                attributes: try FieldReader(json, path: "", context: context), data: data, context: context)
        }
        if fields["context"] != nil {
            return try CDEventsDecoder.decode(json, path: "", context: context)
        }
        throw DecodingError(path: "$", reason: "neither a CloudEvent (no specversion) nor a CDEvent (no context)")
    }

    private func decodeCloudEvent(attributes ce: FieldReader, data: JSONValue, context: DecodingContext)
        throws(DecodingError) -> DecodedEvent
    {
        let specversion = try ce.requiredString("specversion")
        guard specversion == "1.0" else {
            throw DecodingError(path: ce.childPath("specversion"), reason: "expected \"1.0\", got \"\(specversion)\"")
        }
        let id = try ce.requiredString("id")
        let source = try ce.requiredString("source")
        let type = try ce.requiredString("type")
        let time = try ce.date("time")
        if type.hasPrefix("dev.cdevents.") {
            var event = try CDEventsDecoder.decode(data, path: "data", context: context)
            event.key = EventKey(source: source, id: id)
            return event
        }
        guard type.hasPrefix(Self.typePrefix),
            let decoder = NativeDataDecoder.decoders[String(type.dropFirst(Self.typePrefix.count))]
        else {
            throw DecodingError(path: ce.childPath("type"), reason: "unsupported event type \"\(type)\"")
        }
        let event = try decoder(try FieldReader(data, path: "data", context: context))
        return DecodedEvent(key: EventKey(source: source, id: id), type: type, time: time, event: event)
    }
}
