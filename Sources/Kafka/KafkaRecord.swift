/// A message to produce.
public struct KafkaRecord: Hashable, Sendable {
    /// Destination topic.
    public var topic: String
    /// Destination partition; `nil` lets the partitioner choose (by key hash when there is a key).
    public var partition: Int32?
    /// Key bytes; `nil` for a null key.
    public var key: [UInt8]?
    /// Value bytes.
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [KafkaHeader]

    /// Creates a record.
    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Where a produced message was written.
public struct DeliveryReport: Hashable, Sendable {
    /// Topic written to.
    public var topic: String
    /// Partition written to.
    public var partition: Int32
    /// Offset assigned by the broker.
    public var offset: Int64

    /// Creates a report.
    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}
