import ServiceLifecycle

extension KafkaProducer: Service {
    /// Runs until graceful shutdown (or cancellation), then ``close(timeout:)``s, flushing
    /// queued messages. Place it before its users in a `ServiceGroup` so they stop sending first.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
