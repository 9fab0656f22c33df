internal import CRdKafka
import Logging

/// The consumer's rebalance callback: commits stored offsets synchronously before partitions are
/// revoked, and applies assignments with the protocol's API (eager: `rd_kafka_assign`,
/// cooperative: `rd_kafka_incremental_assign`/`_unassign`).
enum Rebalance {
    /// Registers the callback on a consumer configuration.
    static func install(on conf: borrowing NativeConfig) {
        rd_kafka_conf_set_rebalance_cb(conf.pointer) { client, code, partitions, _ in
            Rebalance.handle(client: client, code: code, partitions: partitions)
        }
    }

    private static func handle(
        client: OpaquePointer?, code: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let context = CallbackContext.of(client)
        var logger = context?.logger
        logger?[metadataKey: "kafka.client"] = "\(String(cString: rd_kafka_name(client)))"
        // Not rd_kafka_rebalance_protocol(): called from this callback while the consumer closes,
        // it can wait forever (librdkafka #4041, unfixed in 2.0.2), and `serve` then never exits
        // on SIGTERM. The protocol follows from the configured assignors.
        let cooperative = context?.cooperativeRebalance ?? false
        let names = partitions.map { NativePartitionList.entries(of: $0).map(\.topicPartition.description) } ?? []
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger?.info("partitions assigned", metadata: ["partitions": "\(names)", "cooperative": "\(cooperative)"])
            if cooperative {
                check(rd_kafka_incremental_assign(client, partitions), logger: logger)
            } else {
                rd_kafka_assign(client, partitions)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(client) != 0
            logger?.info("partitions revoked", metadata: ["partitions": "\(names)", "lost": "\(lost)"])
            if !lost, let error = commitStoredOffsets(client) {
                logger?.warning("commit on revoke failed", metadata: ["error": "\(error)"])
            }
            if cooperative {
                check(rd_kafka_incremental_unassign(client, partitions), logger: logger)
            } else {
                rd_kafka_assign(client, nil)
            }
        default:
            logger?.error("rebalance failed", metadata: ["error": "\(KafkaErrorCode(code).name)"])
            rd_kafka_assign(client, nil)
        }
    }

    /// Whether a consumer configured with `config` rebalances cooperatively: librdkafka requires
    /// every assignor of `partition.assignment.strategy` to use one protocol, and of its
    /// assignors only `cooperative-sticky` is cooperative (the default, `range,roundrobin`, is
    /// eager).
    static func isCooperative(_ config: KafkaConfig) -> Bool {
        let assignors = (config["partition.assignment.strategy"] ?? "range,roundrobin").split(separator: ",")
        return assignors.contains { $0.filter { !$0.isWhitespace }.lowercased() == "cooperative-sticky" }
    }

    /// Commits the stored offsets of the current assignment synchronously (blocking).
    /// - Returns: the failure, or `nil` on success or when nothing was stored.
    static func commitStoredOffsets(_ client: OpaquePointer?) -> KafkaError? {
        let code = rd_kafka_commit(client, nil, 0)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR, code != RD_KAFKA_RESP_ERR__NO_OFFSET else { return nil }
        return KafkaError(kind: .client, code, context: "commit failed")
    }

    private static func check(_ error: OpaquePointer?, logger: Logger?) {
        guard let error else { return }
        logger?.error(
            "incremental (un)assign failed", metadata: ["error": "\(String(cString: rd_kafka_error_string(error)))"])
        rd_kafka_error_destroy(error)
    }
}
