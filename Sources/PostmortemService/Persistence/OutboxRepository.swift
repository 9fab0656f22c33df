import Postgres
import PostmortemCore

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
        let headers = try PostgresJSON(encoding: event.headers)
        let rows = try connection.query(
            """
            INSERT INTO outbox (event_id, topic, message_key, payload, headers)
            VALUES (\(event.eventID), \(event.topic), \(event.key), \(event.payload), \(headers))
            ON CONFLICT (event_id) DO NOTHING
            """)
        return rows.affectedRows == 1
    }
}

/// The `outbox` table: every statement that reads or writes it. Routes the domain's output
/// events to their topics, in the caller's transaction; a repeated CloudEvents `id` is a no-op,
/// so re-analysis never emits an event twice.
struct OutboxRepository: Sendable {
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
        guard
            let entry = Outbox.Event(
                eventID: event.id, topic: topic, key: event.key, payload: event.value,
                headers: ["content-type": "application/cloudevents+json"])
        else { preconditionFailure("output event \(event.id) is not UTF-8") }
        try Outbox.enqueue(entry, on: connection)
    }

    /// One unsent row, as the relay publishes it.
    struct PendingRow: Sendable {
        var seq: Int64
        var eventID: String
        var topic: String
        var key: String
        var payload: String
        /// Sorted by name; a JSON `null` value is a null header.
        var headers: [(name: String, value: String?)]
    }

    /// Unsent rows, and how long the oldest has waited (`nil` when none).
    static func backlog(on connection: isolated PostgresConnection) throws -> (count: Int, oldestAge: Duration?) {
        let row = try connection.query(
            "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at))::float8 FROM outbox WHERE sent_at IS NULL")[0]
        let age = try row.decode(Double?.self, at: 1).map { Duration.seconds(max(0, $0)) }
        return (count: try row.decode(Int.self, at: 0), oldestAge: age)
    }

    /// Rows kept for `topic`, sent or not.
    static func count(topic: String, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM outbox WHERE topic = \(topic)")[0].decode(Int.self, at: 0)
    }

    /// Up to `limit` unsent rows in `seq` order. Headers come from the `headers` jsonb object
    /// sorted by name (a non-object is ignored).
    static func pending(limit: Int, on connection: isolated PostgresConnection) throws -> [PendingRow] {
        let rows = try connection.query(
            """
            SELECT seq, event_id, topic, message_key, payload, header.names, header.values
            FROM outbox
            CROSS JOIN LATERAL (
                SELECT array_agg(key ORDER BY key) AS names, array_agg(value ORDER BY key) AS values
                FROM jsonb_each_text(CASE WHEN jsonb_typeof(headers) = 'object' THEN headers END)
            ) AS header
            WHERE sent_at IS NULL
            ORDER BY seq
            LIMIT \(limit)
            """)
        return try rows.map { row in
            let names = try row.decode([String]?.self, at: 5) ?? []
            let values = try row.decode([String?]?.self, at: 6) ?? []
            return PendingRow(
                seq: try row.decode(Int64.self, at: 0), eventID: try row.decode(String.self, at: 1),
                topic: try row.decode(String.self, at: 2), key: try row.decode(String.self, at: 3),
                payload: try row.decode(String.self, at: 4), headers: zip(names, values).map { ($0, $1) })
        }
    }

    /// Marks rows `sent` as published and records each failure's attempt and error, in one
    /// transaction.
    static func recordDelivery(
        sent: [Int64], failed: [(seq: Int64, error: String)], on connection: isolated PostgresConnection
    ) throws {
        try connection.transaction { connection in
            if !sent.isEmpty {
                try connection.query("UPDATE outbox SET sent_at = now() WHERE seq = ANY(\(sent))")
            }
            if !failed.isEmpty {
                try connection.query(
                    """
                    UPDATE outbox SET attempts = attempts + 1, last_error = failure.error
                    FROM unnest(\(failed.map(\.seq))::bigint[], \(failed.map(\.error))::text[]) AS failure (seq, error)
                    WHERE outbox.seq = failure.seq
                    """)
            }
        }
    }

    /// Takes the relay's leadership lock `key` for the connection's session, if no one holds it.
    static func tryLeadership(key: Int64, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query("SELECT pg_try_advisory_lock(\(key))")[0].decode(Bool.self, at: 0)
    }
}
