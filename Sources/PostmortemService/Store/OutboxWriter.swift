import Foundation
import Postgres
import PostmortemCore

/// Encodes the domain's output events with what the database knows about them (the deploy's
/// trace context; an action item's service, environment and event version) and routes them to
/// their topics in the transactional outbox, in the caller's transaction. A repeated
/// CloudEvents `id` is a no-op, so re-analysis never emits an event twice.
struct OutboxWriter: Sendable {
    /// Source, schema base and links of every event.
    let encoder: OutputEventEncoder
    /// Topic of `postmortem.*` events.
    let postmortemTopic: String
    /// Topic of `action_item.*` events.
    let actionItemTopic: String

    /// Enqueues `postmortem.<type>` for `postmortem` (see ``OutputEventEncoder/encode(_:as:at:causedBy:trace:)``),
    /// continuing the trace of its deploy's input events.
    func enqueuePostmortemEvent(
        _ postmortem: Postmortem, as type: PostmortemEventType, at time: Date, causedBy cause: String? = nil,
        on connection: isolated PostgresConnection
    ) throws {
        let trace = try DeployEventStore.traceParent(ofDeploy: postmortem.deployId, on: connection)
        try enqueue(encoder.encode(postmortem, as: type, at: time, causedBy: cause, trace: trace), topic: postmortemTopic, on: connection)
    }

    /// Enqueues the event of `change` to a stored item, numbered with the item's next event
    /// version (counted in `action_items.event_version`, under the caller's lock of the item's
    /// deploy), continuing the trace of the deploy's input events.
    func enqueueActionItemEvent(_ change: ActionItemChange, on connection: isolated PostgresConnection) throws {
        guard let row = try connection.query(
            """
            UPDATE action_items a SET event_version = a.event_version + 1 FROM postmortems p
            WHERE a.action_item_id = $1::uuid AND p.postmortem_id = a.postmortem_id
            RETURNING a.event_version, p.service, p.environment
            """, [change.item.id]
        ).first else { throw PostgresError(.client, "action item \(change.item.id) is not stored; its event cannot be numbered") }
        let scope = ActionItemEventScope(
            service: try row.decode(String.self, at: 1), environment: try row.decode(String.self, at: 2),
            version: try row.decode(Int.self, at: 0))
        let trace = try DeployEventStore.traceParent(ofDeploy: change.item.deployId, on: connection)
        try enqueue(encoder.encode(change, in: scope, trace: trace), topic: actionItemTopic, on: connection)
    }

    private func enqueue(_ event: OutputEvent, topic: String, on connection: isolated PostgresConnection) throws {
        // Output events are encoded from Swift strings, so their bytes are always valid UTF-8.
        guard let entry = Outbox.Event(
            eventID: event.id, topic: topic, key: event.key, payload: event.value,
            headers: ["content-type": "application/cloudevents+json"])
        else { preconditionFailure("output event \(event.id) is not UTF-8") }
        try Outbox.enqueue(entry, on: connection)
    }
}
