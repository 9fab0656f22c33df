import Postgres

/// Writing side of the transactional outbox (docs/architecture.md §4): events are inserted in
/// the same transaction as the state change that caused them, and ``OutboxRelay`` publishes them.
public enum Outbox {
    /// One event to publish: a Kafka record identified by its CloudEvents `id`.
    public struct Event: Sendable, Hashable {
        /// The CloudEvents `id`; enqueueing the same ID again is a no-op.
        public var eventID: String
        /// The Kafka topic to publish to.
        public var topic: String
        /// The Kafka message key (UTF-8). Events with the same key are published in the order
        /// they were enqueued, provided their transactions are serialized (e.g. by a row lock on
        /// the entity the key names).
        public var key: String
        /// The message value: UTF-8 JSON text, published as its bytes.
        public var payload: String
        /// Kafka headers, published sorted by name.
        public var headers: [String: String]

        /// Creates an event with a textual payload.
        public init(eventID: String, topic: String, key: String, payload: String, headers: [String: String] = [:]) {
            self.eventID = eventID
            self.topic = topic
            self.key = key
            self.payload = payload
            self.headers = headers
        }

        /// Creates an event from payload bytes; `nil` when they are not valid UTF-8 (the outbox
        /// stores payloads as text).
        public init?(eventID: String, topic: String, key: String, payload: [UInt8], headers: [String: String] = [:]) {
            guard let text = String(validating: payload, as: UTF8.self) else { return nil }
            self.init(eventID: eventID, topic: topic, key: key, payload: text, headers: headers)
        }
    }

    /// Inserts `event` into the outbox on `connection`, normally inside the transaction that
    /// made the state change. The insert trigger wakes the relay when the transaction commits.
    ///
    /// - Returns: `true` if the event was inserted, `false` if an event with the same
    ///   ``Event/eventID`` was already there (re-emitting an event is a no-op).
    /// - Throws: ``PostgresError`` if the insert fails.
    @discardableResult
    public static func enqueue(_ event: Event, on connection: isolated PostgresConnection) throws -> Bool {
        let rows = try connection.query(
            """
            INSERT INTO outbox (event_id, topic, message_key, payload, headers)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (event_id) DO NOTHING
            """,
            [event.eventID, event.topic, event.key, event.payload, try PostgresJSON(encoding: event.headers)])
        return rows.affectedRows == 1
    }
}
