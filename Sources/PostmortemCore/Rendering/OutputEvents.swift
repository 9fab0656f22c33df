import Foundation

/// Postmortem lifecycle event types (`io.deploypostmortem.postmortem.<type>.v1`).
public enum PostmortemEventType: String, Sendable, Hashable, CaseIterable {
    /// First analysis.
    case opened
    /// Re-analysis changed something.
    case updated
    /// All action items done or cancelled.
    case closed
    /// The deploy lost its last trigger to another deploy: the postmortem is kept with status
    /// `withdrawn` and its open items are cancelled. If a trigger returns it reopens with
    /// `postmortem.updated` (status `open`).
    case withdrawn
}

/// An output CloudEvent, ready to publish: Kafka key and structured-mode JSON value.
public struct OutputEvent: Sendable, Hashable {
    /// Kafka key: the postmortem ID.
    public var key: String
    /// CloudEvents `id`, stable across re-sends (derived from type, subject and content).
    public var id: String
    /// CloudEvents `type`.
    public var type: String
    /// Structured-mode CloudEvents JSON (`application/cloudevents+json`), byte-stable.
    public var value: [UInt8]
}

/// What an action-item event says beyond the change itself: where the item's deploy ran, and
/// which of the item's events it is.
public struct ActionItemEventScope: Sendable, Hashable {
    /// The deploy's service.
    public var service: String
    /// The deploy's environment.
    public var environment: String
    /// The item's event number: 1 for `created`, one more with each later event of the item,
    /// so a consumer can drop an event older than one it already applied.
    public var version: Int

    /// Creates a scope.
    public init(service: String, environment: String, version: Int) {
        self.service = service
        self.environment = environment
        self.version = version
    }
}

/// Encodes output CloudEvents 1.0 (structured mode) with stable IDs.
///
/// The `id` derives from the type, the subject and the domain content only; what the encoder
/// adds around it (`source`, `dataschema`, `traceparent`, links, the action item's scope) does
/// not change it, so configuration never turns an unchanged analysis into a new event.
public struct OutputEventEncoder: Sendable {
    /// The default CloudEvents `source`.
    public static let defaultSource = "/deploy-postmortem"
    /// The default base of `dataschema`: the `$id` base of the JSON Schemas in docs/events.
    public static let defaultSchemaBase = "https://deploy-postmortem.dev/schemas/events/"

    /// CloudEvents `source` of our events (a URI-reference).
    public var source: String
    /// Absolute URI that `postmortem.schema.json` and `action_item.schema.json` are resolved
    /// against for `dataschema`; ends with `/`.
    public var schemaBase: String
    /// Base URL of the service's public API (no trailing `/`), for `links.api`; nil omits it.
    public var apiBaseURL: String?
    /// Base URL of the UI that shows postmortems (no trailing `/`), for `links.ui`; nil omits it.
    public var uiBaseURL: String?

    /// Creates an encoder. Trailing slashes of the URLs are normalised.
    public init(
        source: String = OutputEventEncoder.defaultSource, schemaBase: String = OutputEventEncoder.defaultSchemaBase,
        apiBaseURL: String? = nil, uiBaseURL: String? = nil
    ) {
        self.source = source
        self.schemaBase = schemaBase.hasSuffix("/") ? schemaBase : schemaBase + "/"
        self.apiBaseURL = apiBaseURL.map(Self.trimmingSlashes)
        self.uiBaseURL = uiBaseURL.map(Self.trimmingSlashes)
    }

    /// `postmortem.<type>.v1` for `postmortem`, at `time`, in the trace of `trace` (a child span).
    ///
    /// The event ID derives from the content, so analysing the same postmortem again yields
    /// the same ID. A status change caused by an action-item event passes that event's ID as
    /// `cause`: closing, reopening and closing again are then three events, not one.
    public func encode(
        _ postmortem: Postmortem, as type: PostmortemEventType, at time: Date, causedBy cause: String? = nil,
        trace: TraceParent? = nil
    ) -> OutputEvent {
        encodePostmortem(postmortem.json, id: postmortem.id, as: type, at: time, causedBy: cause, trace: trace)
    }

    /// `postmortem.<type>.v1` whose data is `document`, the JSON of postmortem `id` (``Postmortem/json``,
    /// e.g. as stored): the same event as ``encode(_:as:at:causedBy:trace:)`` of that postmortem.
    public func encodePostmortem(
        _ document: JSONValue, id: String, as type: PostmortemEventType, at time: Date, causedBy cause: String? = nil,
        trace: TraceParent? = nil
    ) -> OutputEvent {
        let fullType = EventDecoder.typePrefix + "postmortem.\(type.rawValue).v1"
        let eventID = Self.eventID(type: fullType, subject: id, data: document, cause: cause)
        let data = Self.merging(["links": .object(postmortemLinks(id))], into: document)
        return envelope(
            id: eventID, type: fullType, key: id, subject: id, schema: "postmortem.schema.json", data: data, time: time,
            trace: trace)
    }

    /// `action_item.<type>.v1` for `change` of an item of `scope`'s deploy, in the trace of `trace`.
    /// Its data adds `service`, `environment`, `version`, `previousOwner` (on a reassignment) and
    /// `links` to the change.
    public func encode(_ change: ActionItemChange, in scope: ActionItemEventScope, trace: TraceParent? = nil)
        -> OutputEvent
    {
        let item = change.item
        var links: [String: JSONValue] = [:]
        links["api"] = apiBaseURL.map { .string("\($0)/v1/action-items/\(item.id)") }
        links["postmortemApi"] = apiBaseURL.map { .string(Self.postmortemAPI($0, item.postmortemId)) }
        links["postmortemUi"] = uiBaseURL.map { .string(Self.postmortemUI($0, item.postmortemId)) }
        var extra: [String: JSONValue] = [
            "service": .string(scope.service), "environment": .string(scope.environment),
            "version": .number(Double(scope.version)),
            "links": .object(links),
        ]
        extra["previousOwner"] = change.previousOwner.map { .string($0) }
        return envelope(
            id: eventID(of: change), type: Self.type(of: change), key: item.postmortemId, subject: item.id,
            schema: "action_item.schema.json", data: Self.merging(extra, into: change.json), time: change.changedAt,
            trace: trace)
    }

    /// The CloudEvents `id` ``encode(_:in:trace:)`` gives `change` (an edit's ID is the cause of
    /// the postmortem status change it makes).
    public func eventID(of change: ActionItemChange) -> String {
        Self.eventID(type: Self.type(of: change), subject: change.item.id, data: change.json, cause: nil)
    }

    private static func type(of change: ActionItemChange) -> String {
        EventDecoder.typePrefix + "action_item.\(change.type.rawValue).v1"
    }

    /// `api` and `ui` of the postmortem `id`, those whose base URL is configured.
    private func postmortemLinks(_ id: String) -> [String: JSONValue] {
        var links: [String: JSONValue] = [:]
        links["api"] = apiBaseURL.map { .string(Self.postmortemAPI($0, id)) }
        links["ui"] = uiBaseURL.map { .string(Self.postmortemUI($0, id)) }
        return links
    }

    private static func postmortemAPI(_ base: String, _ id: String) -> String { "\(base)/v1/postmortems/\(id)" }
    private static func postmortemUI(_ base: String, _ id: String) -> String { "\(base)/ui/postmortems/\(id)" }

    private static func eventID(type: String, subject: String, data: JSONValue, cause: String?) -> String {
        StableID.uuid(
            "event|\(type)|\(subject)|\(StableID.sha1Hex(bytes: data.serializedBytes))" + (cause.map { "|\($0)" } ?? "")
        )
    }

    /// `fields` added to the object `data`; an object member (`links`) is merged into the one there.
    private static func merging(_ fields: [String: JSONValue], into data: JSONValue) -> JSONValue {
        guard case .object(var object) = data else { return data }
        for (name, value) in fields {
            if case .object(let added) = value {
                guard !added.isEmpty else { continue }
                if case .object(let existing)? = object[name] {
                    object[name] = .object(existing.merging(added) { _, new in new })
                    continue
                }
            }
            object[name] = value
        }
        return .object(object)
    }

    private func envelope(
        id: String, type: String, key: String, subject: String, schema: String, data: JSONValue, time: Date,
        trace: TraceParent?
    ) -> OutputEvent {
        var attributes: [String: JSONValue] = [
            "specversion": .string("1.0"), "id": .string(id), "source": .string(source), "type": .string(type),
            "subject": .string(subject), "time": .string(RFC3339.format(time)),
            "datacontenttype": .string("application/json"),
            "dataschema": .string(schemaBase + schema + "#/properties/data"),
            "data": data,
        ]
        attributes["traceparent"] = trace.map { .string($0.child(id).description) }
        return OutputEvent(key: key, id: id, type: type, value: JSONValue.object(attributes).serializedBytes)
    }

    private static func trimmingSlashes(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
