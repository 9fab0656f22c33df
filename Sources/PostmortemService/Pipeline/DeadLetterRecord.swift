import Crypto
import Foundation
import Kafka

/// The record that carries a rejected input message to the dead-letter topic: its key, value
/// and headers with `dlq.*` headers saying why and where it came from. A value too large for
/// the topic is cut to its first bytes, with its full size and SHA-256 in headers, so the
/// record can always be written and the original can still be identified.
enum DeadLetterRecord {
    /// Bytes of the value kept when even the truncated record was refused as too large.
    static let excerptBytes = 1024

    /// The dead-letter record for `message`. A value over `maxValueBytes` is truncated;
    /// `keepHeaders: false` drops the message's own headers (for the excerpt of last resort).
    static func make(
        for message: KafkaMessage, error: String, topic: String, maxValueBytes: Int, keepHeaders: Bool
    ) -> KafkaRecord {
        var headers = keepHeaders ? message.headers : []
        headers += [
            KafkaHeader(name: "dlq.error", string: String(error.prefix(4096))),
            KafkaHeader(name: "dlq.topic", string: message.topic),
            KafkaHeader(name: "dlq.partition", string: String(message.partition)),
            KafkaHeader(name: "dlq.offset", string: String(message.offset)),
        ]
        var value = message.value
        if value.count > maxValueBytes {
            headers += [
                KafkaHeader(name: "dlq.truncated", string: "true"),
                KafkaHeader(name: "dlq.original-size", string: String(value.count)),
                KafkaHeader(
                    name: "dlq.original-sha256",
                    string: SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined()),
            ]
            value = Array(value.prefix(maxValueBytes))
        }
        if !keepHeaders {
            headers.append(KafkaHeader(name: "dlq.headers-dropped", string: String(message.headers.count)))
        }
        return KafkaRecord(topic: topic, key: message.key, value: value, headers: headers)
    }

}
