import Foundation
import Kafka
import Logging
import Postgres
import PostmortemService
import Synchronization
import TestSupport
import Testing

/// The relay against a real PostgreSQL database and a `MockCluster` over TCP, each test with
/// its own database and cluster.
@Suite("Outbox relay")
struct OutboxRelayTests {
    @Test("rows written in several transactions are published in seq order with exact contents, then marked sent")
    func publishesInOrderAndMarksSent() async throws {
        let fixture = try await RelayFixture(topics: ["postmortems": 3, "action-items": 1])
        let events = (1...12).map { number in
            Outbox.Event(
                eventID: "evt-\(number)", topic: number % 4 == 0 ? "action-items" : "postmortems",
                key: "deploy-\(number % 3)", payload: #"{"id":"evt-\#(number)","n":\#(number)}"#,
                headers: number == 5
                    ? [:]
                    : ["ce_id": "evt-\(number)", "ce_type": "postmortem.opened", "content-type": "application/json"])
        }
        try await fixture.enqueue(Array(events[0..<5]))
        let relay = try fixture.relay()
        let running = Task { try await relay.run() }
        try await fixture.enqueue(Array(events[5..<9]))
        try await fixture.enqueue(Array(events[9...]))

        #expect(try await eventually { try await relay.backlog().count == 0 })
        let consumer = try fixture.consumer(topics: ["postmortems", "action-items"])
        let received = try await fixture.poll(consumer, count: events.count).map(PublishedMessage.init)
        // Per topic and key, exactly the enqueued events, in enqueue (seq) order.
        let expected = Dictionary(grouping: events.map(PublishedMessage.init), by: \.stream)
        #expect(Dictionary(grouping: received, by: \.stream) == expected)
        #expect(received.count == events.count)

        let rows = try await fixture.outboxRows()
        #expect(rows.map(\.eventID) == events.map(\.eventID))
        #expect(rows.allSatisfy { $0.sent && $0.attempts == 0 && $0.lastError == nil })
        let backlog = try await relay.backlog()
        #expect(backlog.count == 0 && backlog.oldestAge == nil)
        let stats = await relay.stats
        #expect(
            stats.isLeader && stats.published == events.count && stats.consecutiveFailures == 0
                && stats.lastError == nil)
        running.cancel()
        try await running.value
        #expect(await relay.isLeader == false)
        await fixture.close()
    }

    @Test("an insert wakes an idle relay by NOTIFY instead of waiting for the poll interval")
    func notifyWakesTheRelay() async throws {
        let fixture = try await RelayFixture(topics: ["events": 1])
        let relay = try fixture.relay(pollInterval: .seconds(30))
        let running = Task { try await relay.run() }
        #expect(try await eventually { await relay.isLeader })
        let consumer = try fixture.consumer(topics: ["events"])
        try await fixture.enqueue([fixture.event(1)])
        #expect(
            try await fixture.poll(consumer, count: 1).map(PublishedMessage.init) == [
                PublishedMessage(fixture.event(1))
            ])
        #expect(try await eventually { try await relay.backlog().count == 0 })
        try await Task.sleep(for: .milliseconds(500))  // the relay is now idle, waiting up to 30 s

        let start = ContinuousClock.now
        try await fixture.enqueue([fixture.event(2)])
        let second = try await fixture.poll(consumer, count: 1, timeout: .seconds(10))
        #expect(second.map(PublishedMessage.init) == [PublishedMessage(fixture.event(2))])
        #expect(ContinuousClock.now - start < .seconds(10))

        let stopping = ContinuousClock.now
        running.cancel()
        try await running.value
        #expect(ContinuousClock.now - stopping < .seconds(2))
        await fixture.close()
    }

    @Test("enqueueing the same event ID twice leaves one row and publishes one message")
    func duplicateEventIsANoOp() async throws {
        let fixture = try await RelayFixture(topics: ["events": 1])
        let original = fixture.event(1)
        var replay = original
        replay.payload = #"{"changed":true}"#
        #expect(try await fixture.enqueue([original]) == [true])
        #expect(try await fixture.enqueue([replay]) == [false])
        #expect(try await fixture.outboxRows().map(\.eventID) == ["evt-1"])

        let relay = try fixture.relay()
        let running = Task { try await relay.run() }
        try await fixture.enqueue([fixture.event(2)])  // a sentinel published after it
        let consumer = try fixture.consumer(topics: ["events"])
        let received = try await fixture.poll(consumer, count: 2).map(PublishedMessage.init)
        #expect(received == [PublishedMessage(original), PublishedMessage(fixture.event(2))])
        #expect(try await fixture.poll(consumer, count: 1, timeout: .seconds(1)).isEmpty)
        running.cancel()
        try await running.value
        await fixture.close()
    }

    @Test("two relays: one leader publishes everything once; when it stops the other takes over")
    func oneLeaderAndFailover() async throws {
        let fixture = try await RelayFixture(topics: ["events": 1])
        let relays = try [
            fixture.relay(pollInterval: .milliseconds(300)), fixture.relay(pollInterval: .milliseconds(300)),
        ]
        let tasks = relays.map { relay in Task { try await relay.run() } }
        func leaders() async -> [Int] {
            var indices: [Int] = []
            for (index, relay) in relays.enumerated() where await relay.isLeader { indices.append(index) }
            return indices
        }
        #expect(try await eventually { await !leaders().isEmpty })
        try await Task.sleep(for: .seconds(1))  // several lock retries by the passive one
        let first = await leaders()
        try #require(first.count == 1)
        let leader = first[0]
        let follower = 1 - first[0]

        let before = (1...20).map(fixture.event)
        try await fixture.enqueue(Array(before[..<10]))
        try await fixture.enqueue(Array(before[10...]))
        let consumer = try fixture.consumer(topics: ["events"])
        var received = try await fixture.poll(consumer, count: before.count)
        #expect(try await eventually { try await relays[follower].backlog().count == 0 })
        #expect(await relays[leader].stats.published == before.count)
        #expect(await relays[follower].stats.published == 0)
        #expect(await leaders() == [leader])

        tasks[leader].cancel()
        try await tasks[leader].value
        #expect(try await eventually { await leaders() == [follower] })
        let after = (21...30).map(fixture.event)
        try await fixture.enqueue(after)
        received += try await fixture.poll(consumer, count: after.count)
        received += try await fixture.poll(consumer, count: 1, timeout: .seconds(1))
        // One partition: the topic holds every event exactly once, in seq order.
        #expect(received.map(PublishedMessage.init) == (before + after).map(PublishedMessage.init))
        #expect(await relays[follower].stats.published == after.count)
        #expect(try await fixture.outboxRows().allSatisfy(\.sent))

        tasks[follower].cancel()
        try await tasks[follower].value
        await fixture.close()
    }

    @Test("while the broker is down rows stay unsent with the failure recorded; once up, all are published in order")
    func brokerOutage() async throws {
        let fixture = try await RelayFixture(topics: ["events": 1])
        let relay = try fixture.relay(producerConfig: ["message.timeout.ms": "2000"])
        let running = Task { try await relay.run() }
        try await fixture.enqueue([fixture.event(1)])
        #expect(try await eventually { try await relay.backlog().count == 0 })

        try fixture.cluster.setBrokerDown()
        let during = (2...4).map(fixture.event)
        try await fixture.enqueue(during)
        #expect(
            try await eventually {
                let rows = try await fixture.outboxRows()
                return rows.dropFirst().allSatisfy { $0.attempts >= 1 }
            })
        let rows = try await fixture.outboxRows()
        #expect(rows.map(\.sent) == [true, false, false, false])
        #expect(rows.dropFirst().allSatisfy { $0.lastError?.contains("_MSG_TIMED_OUT") == true })
        let (count, oldestAge) = try await relay.backlog()
        #expect(count == 3)
        #expect(oldestAge.map { $0 >= .seconds(1) } == true)
        let failing = await relay.stats
        #expect(failing.isLeader && failing.published == 1 && failing.consecutiveFailures >= 1)
        #expect(failing.lastError?.contains("_MSG_TIMED_OUT") == true)

        try fixture.cluster.setBrokerUp()
        #expect(try await eventually(timeout: .seconds(30)) { try await relay.backlog().count == 0 })
        let consumer = try fixture.consumer(topics: ["events"])
        var received = try await fixture.poll(consumer, count: 4)
        received += try await fixture.poll(consumer, count: 1, timeout: .seconds(1))
        #expect(received.map(PublishedMessage.init) == ([fixture.event(1)] + during).map(PublishedMessage.init))
        let recovered = await relay.stats
        #expect(recovered.published == 4 && recovered.consecutiveFailures == 0)
        running.cancel()
        try await running.value
        await fixture.close()
    }

    @Test("when its connection dies the relay loses the lock, reconnects, leads again and goes on publishing")
    func reconnectsAfterConnectionLoss() async throws {
        let fixture = try await RelayFixture(topics: ["events": 1])
        let relay = try fixture.relay()
        let running = Task { try await relay.run() }
        try await fixture.enqueue([fixture.event(1)])
        #expect(try await eventually { try await relay.backlog().count == 0 })
        let holder = try #require(try await fixture.lockHolder())

        try await fixture.writer.run { try $0.query("SELECT pg_terminate_backend($1)", [holder]) }
        #expect(try await eventually { try await fixture.lockHolder().map { $0 != holder } == true })
        #expect(await relay.stats.lastError?.hasPrefix("database session failed") == true)
        try await fixture.enqueue([fixture.event(2)])
        let consumer = try fixture.consumer(topics: ["events"])
        var received = try await fixture.poll(consumer, count: 2)
        received += try await fixture.poll(consumer, count: 1, timeout: .seconds(1))
        #expect(received.map(PublishedMessage.init) == [fixture.event(1), fixture.event(2)].map(PublishedMessage.init))
        let stats = await relay.stats
        #expect(stats.isLeader && stats.published == 2)
        running.cancel()
        try await running.value
        await fixture.close()
    }
}

// MARK: - Fixture

extension OutboxRelayTests {
    /// A migrated database, a mock cluster, and factories for relays and consumers, which
    /// ``close()`` closes.
    fileprivate final class RelayFixture: Sendable {
        let database: PostgresConfiguration
        let cluster: MockCluster
        let writer: PostgresConnection
        private let clients = Mutex<(producers: [KafkaProducer], consumers: [KafkaConsumer])>(([], []))

        static let logger: Logger = {
            var logger = Logger(label: "outbox.test")
            logger.logLevel = ProcessInfo.processInfo.environment["OUTBOX_TEST_LOG"] == nil ? .critical : .debug
            return logger
        }()

        init(topics: [String: Int]) async throws {
            database = try TestDatabase.fresh("outbox")
            try await DatabaseSchema.migrate(database)
            cluster = try MockCluster(topics: topics)
            writer = try await PostgresConnection.connect(database)
        }

        /// Event number `number` on topic `events`, key alternating between two deploys.
        func event(_ number: Int) -> Outbox.Event {
            Outbox.Event(
                eventID: "evt-\(number)", topic: "events", key: "deploy-\(number % 2)",
                payload: #"{"id":"evt-\#(number)"}"#, headers: ["ce_id": "evt-\(number)"])
        }

        /// Enqueues `events` in one transaction; returns whether each was inserted.
        @discardableResult
        func enqueue(_ events: [Outbox.Event]) async throws -> [Bool] {
            try await writer.transaction { connection in try events.map { try Outbox.enqueue($0, on: connection) } }
        }

        /// A relay with its own producer.
        func relay(pollInterval: Duration = .seconds(1), producerConfig: [String: String] = [:]) throws -> OutboxRelay {
            let config = KafkaConfig([
                "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1",
                "reconnect.backoff.max.ms": "500", "retry.backoff.ms": "100",
            ]).merging(producerConfig)
            let producer = try KafkaProducer(config: config, logger: Self.logger)
            clients.withLock { $0.producers.append(producer) }
            return OutboxRelay(database: database, producer: producer, pollInterval: pollInterval, logger: Self.logger)
        }

        /// A consumer in a group of its own, reading `topics` from the beginning.
        func consumer(topics: [String]) throws -> KafkaConsumer {
            let config = KafkaConfig([
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "reader-\(UUID().uuidString.prefix(8))",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "300", "reconnect.backoff.max.ms": "500",
                "fetch.wait.max.ms": "50", "topic.metadata.refresh.interval.ms": "1000",
            ])
            let consumer = try KafkaConsumer(config: config, topics: topics, logger: Self.logger)
            clients.withLock { $0.consumers.append(consumer) }
            return consumer
        }

        /// Closes the consumers, the producers, the writer connection and the cluster, in that order.
        func close() async {
            let (producers, consumers) = clients.withLock { $0 }
            for consumer in consumers { await consumer.close() }
            for producer in producers { await producer.close() }
            await writer.close()
            cluster.shutdown()
        }

        /// Polls until `count` messages arrived or `timeout` passed. The default allows for a
        /// fresh reader's group join, which took 23-29 s on the mock cluster with the suite's
        /// other consumer groups around (and over 30 s twice in a full run under load).
        func poll(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(90)) async throws
            -> [KafkaMessage]
        {
            var received: [KafkaMessage] = []
            let deadline = ContinuousClock.now + timeout
            while received.count < count, ContinuousClock.now < deadline {
                received += try await consumer.poll(maxMessages: 100, maxWait: .milliseconds(200))
            }
            return received
        }

        /// The server process holding an advisory lock in this database: the leading relay's session.
        func lockHolder() async throws -> Int32? {
            try await writer.run { connection in
                try connection.query(
                    """
                    SELECT pid FROM pg_locks
                    WHERE locktype = 'advisory' AND granted
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """
                ).first?.decode(Int32.self, at: 0)
            }
        }

        /// One outbox row's delivery state.
        struct Row: Sendable {
            var eventID: String
            var sent: Bool
            var attempts: Int
            var lastError: String?
        }

        /// Every outbox row, in seq order.
        func outboxRows() async throws -> [Row] {
            try await writer.run { connection in
                try connection.query(
                    "SELECT event_id, sent_at IS NOT NULL, attempts, last_error FROM outbox ORDER BY seq"
                ).map { row in
                    Row(
                        eventID: try row.decode(String.self, at: 0), sent: try row.decode(Bool.self, at: 1),
                        attempts: try row.decode(Int.self, at: 2), lastError: try row.decode(String?.self, at: 3))
                }
            }
        }
    }

    /// What a consumer sees of a message, comparable with what was enqueued.
    fileprivate struct PublishedMessage: Hashable {
        var topic: String
        var key: [UInt8]?
        var value: [UInt8]
        var headers: [KafkaHeader]

        /// Topic and key: the unit within which order is guaranteed.
        var stream: String { "\(topic)/\(String(decoding: key ?? [], as: UTF8.self))" }

        init(_ message: KafkaMessage) {
            topic = message.topic
            key = message.key
            value = message.value
            headers = message.headers
        }

        /// The message `event` must become: headers sorted by name.
        init(_ event: Outbox.Event) {
            topic = event.topic
            key = Array(event.key.utf8)
            value = Array(event.payload.utf8)
            headers = event.headers.sorted { $0.key < $1.key }.map { KafkaHeader(name: $0.key, string: $0.value) }
        }
    }

    /// Re-evaluates `condition` every 100 ms until it holds (true) or `timeout` passes (false).
    fileprivate func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws
        -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
