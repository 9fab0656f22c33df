internal import CRdKafka

/// An owned `rd_kafka_topic_partition_list_t`.
struct NativePartitionList: ~Copyable {
    /// One element of the list.
    struct Entry {
        var topicPartition: TopicPartition
        var offset: Int64
        var error: KafkaErrorCode
    }

    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// A list holding `entries` (offsets as given, `RD_KAFKA_OFFSET_INVALID` if nil).
    init(_ entries: [(TopicPartition, Int64?)]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(entries.count))
        for (topicPartition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(pointer, topicPartition.topic, topicPartition.partition)
            element?.pointee.offset = offset ?? Int64(RD_KAFKA_OFFSET_INVALID)
        }
    }

    /// Takes ownership of a list returned by librdkafka.
    init(taking pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    /// The elements of `list` (not owned).
    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        guard let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elements[index]
            return Entry(
                topicPartition: TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset, error: KafkaErrorCode(element.err))
        }
    }

    /// The elements of this list.
    var entries: [Entry] { Self.entries(of: pointer) }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }
}
