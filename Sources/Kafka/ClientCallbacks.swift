internal import CRdKafka
import Logging

/// What librdkafka's C callbacks need from Swift, reached through the configuration opaque.
final class CallbackContext: Sendable {
    let logger: Logger
    let errors: AsyncStream<KafkaError>.Continuation
    /// Whether a consumer's group rebalances incrementally (cooperative) rather than eagerly,
    /// known from its configuration (see ``Rebalance/isCooperative(_:)``).
    let cooperativeRebalance: Bool

    init(logger: Logger, errors: AsyncStream<KafkaError>.Continuation, cooperativeRebalance: Bool = false) {
        self.logger = logger
        self.errors = errors
        self.cooperativeRebalance = cooperativeRebalance
    }

    /// The context registered on `client` with `rd_kafka_conf_set_opaque`.
    static func of(_ client: OpaquePointer?) -> CallbackContext? {
        guard let opaque = rd_kafka_opaque(client) else { return nil }
        return Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Routes librdkafka's log lines and error events into `logger` and the `errors` stream.
    static func install(on conf: OpaquePointer?, context: UnsafeMutableRawPointer) {
        rd_kafka_conf_set_opaque(conf, context)
        rd_kafka_conf_set_log_cb(conf) { client, level, facility, line in
            guard let context = CallbackContext.of(client) else { return }
            let text = line.map { String(cString: $0) } ?? ""
            let facilityName = facility.map { String(cString: $0) } ?? ""
            context.logger.log(
                level: Logger.Level(syslog: level), "\(text)", metadata: ["rdkafka.facility": "\(facilityName)"])
        }
        rd_kafka_conf_set_error_cb(conf) { client, code, reason, _ in
            guard let context = CallbackContext.of(client) else { return }
            let error = KafkaError.event(client: client, code: code, reason: reason.map { String(cString: $0) } ?? "")
            context.logger.log(level: error.kind == .fatal ? .error : .warning, "\(error)")
            context.errors.yield(error)
        }
    }
}

extension KafkaError {
    /// An error event from `error_cb`, resolving `_FATAL` to the underlying fatal error.
    static func event(client: OpaquePointer?, code: Int32, reason: String) -> KafkaError {
        if code == KafkaErrorCode.fatal.rawValue, let fatal = fatal(of: client) { return fatal }
        return KafkaError(kind: .client, code: KafkaErrorCode(rawValue: code), message: reason)
    }

    /// The client's fatal error, if one was raised (`rd_kafka_fatal_error`).
    static func fatal(of client: OpaquePointer?) -> KafkaError? {
        var errstr = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(client, &errstr, errstr.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return KafkaError(kind: .fatal, code: KafkaErrorCode(code), message: detail)
    }
}

extension Logger.Level {
    /// Maps a syslog level (librdkafka's log levels) to a swift-log level.
    init(syslog level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
