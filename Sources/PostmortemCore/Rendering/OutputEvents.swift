import Foundation

/// Postmortem lifecycle event types (`io.deploypostmortem.postmortem.<type>.v1`).
public enum PostmortemEventType: String, Sendable, Hashable, CaseIterable {
    /// First analysis.
    case opened
    /// Re-analysis changed something.
    case updated
    /// All action items done or cancelled.
    case closed
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

/// Encodes output CloudEvents 1.0 (structured mode) with stable IDs.
public struct OutputEventEncoder: Sendable {
    /// CloudEvents `source` of our events. Default `/deploy-postmortem`.
    public var source: String

    /// Creates an encoder.
    public init(source: String = "/deploy-postmortem") {
        self.source = source
    }

    /// `postmortem.<type>.v1` for `postmortem`, at `time`.
    ///
    /// The event ID derives from the content, so analysing the same postmortem again yields
    /// the same ID. A status change caused by an action-item event passes that event's ID as
    /// `cause`: closing, reopening and closing again are then three events, not one.
    public func encode(_ postmortem: Postmortem, as type: PostmortemEventType, at time: Date, causedBy cause: String? = nil) -> OutputEvent {
        encodePostmortem(postmortem.json, id: postmortem.id, as: type, at: time, causedBy: cause)
    }

    /// `postmortem.<type>.v1` whose data is `document`, the JSON of postmortem `id` (``Postmortem/json``,
    /// e.g. as stored): the same event as ``encode(_:as:at:causedBy:)`` of that postmortem.
    public func encodePostmortem(
        _ document: JSONValue, id: String, as type: PostmortemEventType, at time: Date, causedBy cause: String? = nil
    ) -> OutputEvent {
        envelope(type: "postmortem.\(type.rawValue).v1", key: id, subject: id, data: document, time: time, cause: cause)
    }

    /// `action_item.<type>.v1` for `change`.
    public func encode(_ change: ActionItemChange) -> OutputEvent {
        envelope(
            type: "action_item.\(change.type.rawValue).v1", key: change.item.postmortemId, subject: change.item.id,
            data: change.json, time: change.changedAt)
    }

    private func envelope(type: String, key: String, subject: String, data: JSONValue, time: Date, cause: String? = nil) -> OutputEvent {
        let fullType = EventDecoder.typePrefix + type
        let id = StableID.uuid("event|\(fullType)|\(subject)|\(StableID.sha1Hex(data.serialized))" + (cause.map { "|\($0)" } ?? ""))
        let event = JSONValue.object([
            "specversion": .string("1.0"), "id": .string(id), "source": .string(source), "type": .string(fullType),
            "subject": .string(subject), "time": .string(RFC3339.format(time)),
            "datacontenttype": .string("application/json"), "data": data,
        ])
        return OutputEvent(key: key, id: id, type: fullType, value: Array(event.serialized.utf8))
    }
}
