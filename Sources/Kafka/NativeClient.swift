internal import CRdKafka
import Logging
import Synchronization

/// An owned `rd_kafka_t` with its callback context; librdkafka handles are thread-safe.
final class NativeClient: @unchecked Sendable {
    let pointer: OpaquePointer
    let context: CallbackContext
    private let retainedContext: Unmanaged<CallbackContext>
    private let destroyed = Atomic(false)

    /// Creates a client from `config`; `customize` may set more properties and callbacks.
    init(
        config: KafkaConfig, type: rd_kafka_type_t, context: CallbackContext,
        customize: (borrowing NativeConfig) throws -> Void = { _ in }
    ) throws {
        let native = try NativeConfig(config)
        try customize(native)
        let retained = Unmanaged.passRetained(context)
        CallbackContext.install(on: native.pointer, context: retained.toOpaque())
        do {
            pointer = try native.createClient(type)
        } catch {
            retained.release()
            throw error
        }
        self.context = context
        retainedContext = retained
    }

    /// The client's name (`rdkafka#consumer-1`).
    var name: String { String(cString: rd_kafka_name(pointer)) }

    /// Destroys the handle (blocking: joins librdkafka's threads). Call it on a dedicated
    /// thread; `deinit` does it only if it was never called.
    func destroy() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_destroy(pointer)
        retainedContext.release()
        context.errors.finish()
    }

    deinit { destroy() }
}
