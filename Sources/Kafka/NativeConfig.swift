internal import CRdKafka
import Foundation

/// An owned `rd_kafka_conf_t` filled from a ``KafkaConfig``; consumed by `rd_kafka_new` or discarded.
struct NativeConfig: ~Copyable {
    private(set) var pointer: OpaquePointer?

    /// Sets every property; throws naming the first one librdkafka rejects (with its errstr).
    init(_ config: KafkaConfig) throws {
        let conf = rd_kafka_conf_new()
        pointer = conf
        for name in config.properties.keys.sorted() {
            try set(name, config.properties[name] ?? "")
        }
    }

    /// Sets one property, throwing a ``KafkaError`` of kind `.configuration` on rejection.
    func set(_ name: String, _ value: String) throws {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, name, value, &errstr, errstr.count)
        guard result == RD_KAFKA_CONF_OK else {
            var detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if KafkaConfig.isSecret(name), !value.isEmpty {
                detail = detail.replacingOccurrences(of: value, with: "***")
            }
            throw KafkaError(
                kind: .configuration, code: .invalidArgument,
                message: "invalid property '\(name)': \(detail)", property: name)
        }
    }

    /// Hands the configuration to `rd_kafka_new`, which takes ownership on success.
    consuming func createClient(_ type: rd_kafka_type_t) throws -> OpaquePointer {
        var errstr = [CChar](repeating: 0, count: 512)
        let conf = pointer
        pointer = nil
        guard let client = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            let detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(kind: .configuration, code: .invalidArgument, message: "cannot create client: \(detail)")
        }
        return client
    }

    /// Frees the configuration unused.
    consuming func discard() {}

    deinit {
        if let pointer { rd_kafka_conf_destroy(pointer) }
    }
}
