internal import CRdKafka
import Synchronization

/// An in-process Kafka cluster (librdkafka's mock cluster) speaking the Kafka protocol over TCP
/// on 127.0.0.1, for tests and local runs. Supports topics, consumer groups, offsets, the
/// idempotent producer, broker down/up and injected request errors. Not durable.
public final class MockCluster: Sendable {
    /// Comma-separated `host:port` list to use as `bootstrap.servers`.
    public let bootstrapServers: String
    /// Number of brokers (ids 1…brokerCount).
    public let brokerCount: Int
    private let host: NativeClient
    private let cluster: Mutex<ClusterPointer?>

    /// The `rd_kafka_mock_cluster_t` pointer, usable from any thread.
    private struct ClusterPointer: @unchecked Sendable {
        let raw: OpaquePointer
    }

    /// Starts a cluster with `brokers` brokers and creates `topics` (name → partition count).
    public init(brokers: Int = 1, topics: [String: Int] = [:]) throws {
        let context = CallbackContext(
            logger: .init(label: "kafka.mock"), errors: AsyncStream.makeStream(of: KafkaError.self).continuation)
        host = try NativeClient(config: KafkaConfig(["log_level": "3"]), type: RD_KAFKA_PRODUCER, context: context)
        guard let raw = rd_kafka_mock_cluster_new(host.pointer, Int32(brokers)) else {
            throw KafkaError(kind: .client, code: .state, message: "cannot start mock cluster")
        }
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(raw))
        brokerCount = brokers
        cluster = Mutex(ClusterPointer(raw: raw))
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            try createTopic(name, partitions: partitions)
        }
    }

    /// Creates a topic (replication factor capped at the broker count).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try call("create topic \(name)") {
            rd_kafka_mock_topic_create($0, name, Int32(partitions), Int32(min(replicationFactor, brokerCount)))
        }
    }

    /// Disconnects broker `id` (all brokers when `nil`) and refuses new connections.
    public func setBrokerDown(_ id: Int32? = nil) throws {
        try call("set broker down") { rd_kafka_mock_broker_set_down($0, id ?? -1) }
    }

    /// Lets broker `id` (all brokers when `nil`) accept connections again.
    public func setBrokerUp(_ id: Int32? = nil) throws {
        try call("set broker up") { rd_kafka_mock_broker_set_up($0, id ?? -1) }
    }

    /// Makes the next `errors.count` requests of type `apiKey` fail with these errors, in order
    /// (``KafkaErrorCode/transport`` disconnects the client instead).
    public func pushRequestErrors(_ apiKey: KafkaAPIKey, _ errors: [KafkaErrorCode]) throws {
        let native = errors.map(\.native)
        try call("push request errors") { cluster in
            native.withUnsafeBufferPointer {
                rd_kafka_mock_push_request_errors_array(cluster, apiKey.rawValue, $0.count, $0.baseAddress)
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Stops the cluster (blocking briefly). Later calls do nothing; `deinit` calls it too.
    public func shutdown() {
        guard
            let pointer = cluster.withLock({ cluster in
                defer { cluster = nil }
                return cluster
            })
        else { return }
        rd_kafka_mock_cluster_destroy(pointer.raw)
        host.destroy()
    }

    deinit { shutdown() }

    private func call(_ operation: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws {
        let code = try cluster.withLock { cluster in
            guard let cluster else { throw KafkaError.closed }
            return body(cluster.raw)
        }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(kind: .client, code, context: "\(operation) failed")
        }
    }
}

/// A Kafka protocol request type, for ``MockCluster/pushRequestErrors(_:_:)``.
public struct KafkaAPIKey: RawRepresentable, Hashable, Sendable {
    /// The protocol ApiKey.
    public let rawValue: Int16
    /// Creates a key from its protocol number.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Produce (0).
    public static let produce = KafkaAPIKey(rawValue: 0)
    /// Fetch (1).
    public static let fetch = KafkaAPIKey(rawValue: 1)
    /// ListOffsets (2).
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    /// Metadata (3).
    public static let metadata = KafkaAPIKey(rawValue: 3)
    /// OffsetCommit (8).
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    /// OffsetFetch (9).
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    /// FindCoordinator (10).
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    /// JoinGroup (11).
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    /// Heartbeat (12).
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    /// SyncGroup (14).
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
    /// InitProducerId (22).
    public static let initProducerID = KafkaAPIKey(rawValue: 22)
}
