internal import CRdKafka

extension KafkaMessage {
    /// Copies a successfully consumed `rd_kafka_message_t`; `topicName` resolves its topic.
    init(copying message: UnsafeMutablePointer<rd_kafka_message_t>, topicName: String) {
        let raw = message.pointee
        var headers: [KafkaHeader] = []
        var nativeHeaders: OpaquePointer?
        if rd_kafka_message_headers(message, &nativeHeaders) == RD_KAFKA_RESP_ERR_NO_ERROR, let nativeHeaders {
            headers = Self.headers(nativeHeaders)
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        self.init(
            topic: topicName, partition: raw.partition, offset: raw.offset,
            key: Self.bytes(raw.key, raw.key_len),
            value: Self.bytes(raw.payload, raw.len) ?? [],
            headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    private static func bytes(_ pointer: UnsafeRawPointer?, _ count: Int) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func headers(_ native: OpaquePointer) -> [KafkaHeader] {
        var result: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(native, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            result.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes(value, size)))
            index += 1
        }
        return result
    }
}
