/// How far a consumer is behind on one assigned partition.
public struct PartitionLag: Hashable, Sendable {
    /// The partition.
    public var topicPartition: TopicPartition
    /// Next offset the consumer will read (last consumed + 1, else the committed offset), if known.
    public var position: Int64?
    /// The partition's high watermark (offset of the next message to be written), if known.
    public var highWatermark: Int64?

    /// Creates a lag entry.
    public init(topicPartition: TopicPartition, position: Int64?, highWatermark: Int64?) {
        self.topicPartition = topicPartition
        self.position = position
        self.highWatermark = highWatermark
    }

    /// Messages not yet consumed: `highWatermark - position`, `nil` if either is unknown.
    public var lag: Int64? {
        guard let position, let highWatermark else { return nil }
        return max(0, highWatermark - position)
    }
}
