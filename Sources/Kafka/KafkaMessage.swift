/// A record header: a name and an optional binary value.
public struct KafkaHeader: Hashable, Sendable {
    /// Header name.
    public var name: String
    /// Header value; `nil` is a null value (distinct from empty).
    public var value: [UInt8]?

    /// Creates a header with a binary value.
    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// Creates a header with a UTF-8 string value.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

/// A message received by a ``KafkaConsumer``.
public struct KafkaMessage: Hashable, Sendable {
    /// Topic the message came from.
    public var topic: String
    /// Partition the message came from.
    public var partition: Int32
    /// Offset of the message in its partition.
    public var offset: Int64
    /// Key bytes; `nil` for a null key.
    public var key: [UInt8]?
    /// Value bytes (empty for a null value).
    public var value: [UInt8]
    /// Headers in wire order.
    public var headers: [KafkaHeader]
    /// Message timestamp in milliseconds since the Unix epoch, `nil` if not available.
    public var timestampMilliseconds: Int64?

    /// Creates a message (normally done by ``KafkaConsumer``).
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The message's topic and partition.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    /// The first header named `name`.
    public func header(_ name: String) -> KafkaHeader? { headers.first { $0.name == name } }
}
