internal import CRdKafka
import Synchronization

/// Collects the delivery results of a batch of produced messages and wakes the awaiting sender
/// when the last one is known.
final class DeliveryBatch: Sendable {
    typealias Outcome = Result<DeliveryReport, KafkaError>

    private struct State {
        var results: [Outcome?]
        var remaining: Int
        var waiter: CheckedContinuation<[Outcome], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    /// Records the outcome of message `index`.
    func complete(_ index: Int, _ outcome: Outcome) {
        let finished: (CheckedContinuation<[Outcome], Never>, [Outcome])? = state.withLock { state in
            guard state.results[index] == nil else { return nil }
            state.results[index] = outcome
            state.remaining -= 1
            guard state.remaining == 0, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.results.map { $0! })
        }
        if let (waiter, results) = finished { waiter.resume(returning: results) }
    }

    /// Waits for every outcome, in submission order.
    func outcomes() async -> [Outcome] {
        await withCheckedContinuation { continuation in
            let ready: [Outcome]? = state.withLock { state in
                guard state.remaining == 0 else {
                    state.waiter = continuation
                    return nil
                }
                return state.results.map { $0! }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// The per-message opaque passed to librdkafka: which batch, which slot.
final class DeliveryTicket: Sendable {
    let batch: DeliveryBatch
    let index: Int

    init(batch: DeliveryBatch, index: Int) {
        self.batch = batch
        self.index = index
    }

    /// Registers the delivery-report callback that completes tickets.
    static func install(on conf: borrowing NativeConfig) {
        rd_kafka_conf_set_dr_msg_cb(conf.pointer) { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let ticket = Unmanaged<DeliveryTicket>.fromOpaque(opaque).takeRetainedValue()
            ticket.batch.complete(ticket.index, DeliveryTicket.outcome(of: message))
        }
    }

    fileprivate static func outcome(of message: UnsafePointer<rd_kafka_message_t>) -> DeliveryBatch.Outcome {
        let raw = message.pointee
        let topic = raw.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        guard raw.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(
                KafkaError(
                    kind: .delivery, code: KafkaErrorCode(raw.err),
                    message: "delivery to \(topic)[\(raw.partition)] failed: \(KafkaErrorCode(raw.err))"))
        }
        return .success(DeliveryReport(topic: topic, partition: raw.partition, offset: raw.offset))
    }
}
