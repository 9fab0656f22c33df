internal import CRdKafka

/// Enqueues one record with `rd_kafka_produceva` (the non-variadic `producev`), copying its
/// bytes; `opaque` comes back in the delivery report.
enum NativeProduce {
    static func enqueue(_ client: OpaquePointer, _ record: KafkaRecord, opaque: UnsafeMutableRawPointer)
        -> KafkaErrorCode
    {
        let headers = makeHeaders(record.headers)
        let code: KafkaErrorCode = record.topic.withCString { topic in
            record.value.withUnsafeBytes { value in
                withOptionalBytes(record.key) { key in
                    var fields: [rd_kafka_vu_t] = [
                        field(RD_KAFKA_VTYPE_TOPIC) { $0.cstr = topic },
                        field(RD_KAFKA_VTYPE_VALUE) {
                            $0.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                            $0.mem.size = value.count
                        },
                        field(RD_KAFKA_VTYPE_MSGFLAGS) { $0.i = RD_KAFKA_MSG_F_COPY },
                        field(RD_KAFKA_VTYPE_OPAQUE) { $0.ptr = opaque },
                    ]
                    if let key {
                        fields.append(
                            field(RD_KAFKA_VTYPE_KEY) {
                                $0.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                                $0.mem.size = key.count
                            })
                    }
                    if let partition = record.partition {
                        fields.append(field(RD_KAFKA_VTYPE_PARTITION) { $0.i32 = partition })
                    }
                    if let headers {
                        fields.append(field(RD_KAFKA_VTYPE_HEADERS) { $0.headers = headers })
                    }
                    guard let error = rd_kafka_produceva(client, &fields, fields.count) else { return .noError }
                    defer { rd_kafka_error_destroy(error) }
                    return KafkaErrorCode(rd_kafka_error_code(error))
                }
            }
        }
        if code != .noError, let headers { rd_kafka_headers_destroy(headers) }
        return code
    }

    private static func field(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void)
        -> rd_kafka_vu_t
    {
        var value = rd_kafka_vu_t()
        value.vtype = type
        set(&value.u)
        return value
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let native = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            withOptionalBytes(header.value) { value in
                _ = rd_kafka_header_add(native, header.name, -1, value?.baseAddress, value?.count ?? 0)
            }
        }
        return native
    }

    private static func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }
}
