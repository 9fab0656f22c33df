internal import CRdKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`), kept as its raw value so no C type leaks.
///
/// Negative values are client-local errors (e.g. ``messageTimedOut``); positive values are
/// Kafka protocol errors returned by a broker.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric `rd_kafka_resp_err_t` value.
    public let rawValue: Int32

    /// Wraps a raw `rd_kafka_resp_err_t` value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    init(_ code: rd_kafka_resp_err_t) { self.rawValue = code.rawValue }

    var native: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

    /// librdkafka's symbolic name, e.g. `_MSG_TIMED_OUT`.
    public var name: String { String(cString: rd_kafka_err2name(native)) }

    /// librdkafka's human-readable description.
    public var description: String { String(cString: rd_kafka_err2str(native)) }

    /// No error.
    public static let noError = KafkaErrorCode(RD_KAFKA_RESP_ERR_NO_ERROR)
    /// A produced message was not delivered within `message.timeout.ms`.
    public static let messageTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    /// Broker connection failure.
    public static let transport = KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT)
    /// All brokers are down.
    public static let allBrokersDown = KafkaErrorCode(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    /// The local producer queue is full.
    public static let queueFull = KafkaErrorCode(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    /// The partition does not exist (client-local).
    public static let unknownPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    /// The topic does not exist (client-local).
    public static let unknownTopic = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    /// Invalid argument or configuration.
    public static let invalidArgument = KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_ARG)
    /// Operation not allowed in the current state (e.g. storing an offset for an unassigned partition).
    public static let state = KafkaErrorCode(RD_KAFKA_RESP_ERR__STATE)
    /// A fatal error: the client instance is unusable, see ``KafkaError/Kind/fatal``.
    public static let fatal = KafkaErrorCode(RD_KAFKA_RESP_ERR__FATAL)
    /// The message was purged before delivery (client closed).
    public static let purgedQueue = KafkaErrorCode(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
    /// The message is larger than the producer's `message.max.bytes` or the topic's limit.
    public static let messageSizeTooLarge = KafkaErrorCode(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    /// Broker: request timed out.
    public static let requestTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
    /// Broker: not leader for partition.
    public static let notLeaderForPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    /// Broker: coordinator not available.
    public static let coordinatorNotAvailable = KafkaErrorCode(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
    /// Broker: not coordinator.
    public static let notCoordinator = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
    /// Broker: unknown topic or partition.
    public static let unknownTopicOrPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
}

/// An error raised by the Kafka client.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// A configuration property was rejected; ``KafkaError/property`` names it.
        case configuration
        /// A non-fatal client or broker error; the client keeps working (and retrying).
        case client
        /// A fatal error: the client instance must be closed and recreated.
        case fatal
        /// A produced message could not be delivered.
        case delivery
        /// The client was already closed.
        case closed
    }

    /// The kind of failure.
    public let kind: Kind
    /// The librdkafka error code, ``KafkaErrorCode/noError`` where none applies.
    public let code: KafkaErrorCode
    /// Human-readable detail.
    public let message: String
    /// The configuration property at fault, for ``Kind/configuration`` errors.
    public let property: String?

    /// Creates an error.
    public init(kind: Kind, code: KafkaErrorCode = .noError, message: String, property: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.property = property
    }

    init(kind: Kind, _ code: rd_kafka_resp_err_t, context: String) {
        self.init(kind: kind, code: KafkaErrorCode(code), message: "\(context): \(KafkaErrorCode(code))")
    }

    /// Thrown by operations on a closed client.
    public static let closed = KafkaError(kind: .closed, message: "client is closed")

    /// A one-line description including kind, code name and message.
    public var description: String {
        var text = "KafkaError.\(kind)"
        if code != .noError { text += " [\(code.name)]" }
        return text + ": " + message
    }
}
