/// The offset to store for each partition of a set of processed messages: the highest offset + 1.
///
/// Batches arrive in runs of one partition, so the dictionary is touched once per run rather than
/// once per message (this matters at hundreds of thousands of messages per second).
struct ProcessedOffsets {
    private(set) var next: [TopicPartition: Int64] = [:]

    init(_ messages: some Sequence<KafkaMessage>) {
        var run: (topic: String, partition: Int32, next: Int64)?
        for message in messages {
            if let current = run, current.partition == message.partition, current.topic == message.topic {
                run = (current.topic, current.partition, max(current.next, message.offset + 1))
            } else {
                if let current = run { record(current) }
                run = (message.topic, message.partition, message.offset + 1)
            }
        }
        if let current = run { record(current) }
    }

    private mutating func record(_ run: (topic: String, partition: Int32, next: Int64)) {
        let key = TopicPartition(topic: run.topic, partition: run.partition)
        next[key] = max(next[key] ?? 0, run.next)
    }
}
