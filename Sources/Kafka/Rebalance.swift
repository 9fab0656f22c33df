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
        var logger = CallbackContext.of(client)?.logger
        logger?[metadataKey: "kafka.client"] = "\(String(cString: rd_kafka_name(client)))"
        let cooperative = rd_kafka_rebalance_protocol(client).map { String(cString: $0) } == "COOPERATIVE"
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
