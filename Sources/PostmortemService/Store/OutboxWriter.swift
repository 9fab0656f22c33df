import Postgres
import PostmortemCore

/// Routes the domain's output events to their topics in the transactional outbox, in the
/// caller's transaction. A repeated CloudEvents `id` is a no-op, so re-analysis never emits an
/// event twice.
struct OutboxWriter: Sendable {
    /// Topic of `postmortem.*` events.
    let postmortemTopic: String
    /// Topic of `action_item.*` events.
    let actionItemTopic: String

    func enqueuePostmortemEvent(_ event: OutputEvent, on connection: isolated PostgresConnection) throws {
        try enqueue(event, topic: postmortemTopic, on: connection)
    }

    func enqueueActionItemEvent(_ event: OutputEvent, on connection: isolated PostgresConnection) throws {
        try enqueue(event, topic: actionItemTopic, on: connection)
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
