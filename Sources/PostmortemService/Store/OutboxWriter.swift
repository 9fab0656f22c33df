import Postgres
import PostmortemCore

/// Writes output events into the transactional outbox, in the caller's transaction.
/// A repeated CloudEvents `id` is a no-op, so re-analysis never emits an event twice.
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
        try connection.query(
            """
            INSERT INTO outbox (event_id, topic, message_key, payload, headers)
            VALUES ($1, $2, $3, $4, '{"content-type": "application/cloudevents+json"}')
            ON CONFLICT (event_id) DO NOTHING
            """,
            [event.id, topic, event.key, String(decoding: event.value, as: UTF8.self)])
    }
}
