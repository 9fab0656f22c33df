internal import CRdKafka

extension KafkaConsumer {
    /// The partitions currently assigned to this consumer, sorted.
    public func assignment() async throws -> [TopicPartition] {
        try await onThread { handles in try Self.assignment(of: handles.client.pointer).map(\.topicPartition).sorted() }
    }

    /// Stops fetching from `partitions` (they stay assigned); keep calling ``poll(maxMessages:maxWait:)``.
    public func pause(_ partitions: [TopicPartition]) async throws {
        try await onThread { handles in
            let list = NativePartitionList(partitions.map { ($0, nil) })
            try Self.check(rd_kafka_pause_partitions(handles.client.pointer, list.pointer), "pause \(partitions)")
        }
    }

    /// Resumes fetching from paused `partitions`.
    public func resume(_ partitions: [TopicPartition]) async throws {
        try await onThread { handles in
            let list = NativePartitionList(partitions.map { ($0, nil) })
            try Self.check(rd_kafka_resume_partitions(handles.client.pointer, list.pointer), "resume \(partitions)")
        }
    }

    /// Lag of every assigned partition, sorted. Uses cached watermarks where librdkafka has them
    /// and asks the broker otherwise (up to `timeout` per question).
    public func lag(timeout: Duration = .seconds(5)) async throws -> [PartitionLag] {
        let milliseconds = timeout.milliseconds
        return try await onThread { handles in
            let client = handles.client.pointer
            let assigned = try Self.assignment(of: client)
            let positions = NativePartitionList(assigned.map { ($0.topicPartition, nil) })
            rd_kafka_position(client, positions.pointer)
            var committed: [TopicPartition: Int64] = [:]
            if positions.entries.contains(where: { $0.offset < 0 }) {
                let list = NativePartitionList(assigned.map { ($0.topicPartition, nil) })
                rd_kafka_committed(client, list.pointer, milliseconds)
                for entry in list.entries where entry.offset >= 0 { committed[entry.topicPartition] = entry.offset }
            }
            return positions.entries.map { entry in
                PartitionLag(
                    topicPartition: entry.topicPartition,
                    position: entry.offset >= 0 ? entry.offset : committed[entry.topicPartition],
                    highWatermark: Self.highWatermark(client, entry.topicPartition, timeoutMilliseconds: milliseconds))
            }.sorted { $0.topicPartition < $1.topicPartition }
        }
    }

    private static func assignment(of client: OpaquePointer) throws -> [NativePartitionList.Entry] {
        var raw: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try check(rd_kafka_assignment(client, &raw), "assignment")
        guard let raw else { return [] }
        return NativePartitionList(taking: raw).entries
    }

    private static func highWatermark(_ client: OpaquePointer, _ partition: TopicPartition, timeoutMilliseconds: Int32)
        -> Int64?
    {
        var low: Int64 = -1
        var high: Int64 = -1
        if rd_kafka_get_watermark_offsets(client, partition.topic, partition.partition, &low, &high)
            == RD_KAFKA_RESP_ERR_NO_ERROR,
            high >= 0
        {
            return high
        }
        let code = rd_kafka_query_watermark_offsets(
            client, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
        return code == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    private static func check(_ code: rd_kafka_resp_err_t, _ operation: String) throws {
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(kind: .client, code, context: "\(operation) failed")
        }
    }
}
