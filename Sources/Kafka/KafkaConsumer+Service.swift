import ServiceLifecycle

extension KafkaConsumer: Service {
    /// Runs until graceful shutdown (or cancellation), then ``close()``s: stored offsets are
    /// committed and the group is left. Place it before its users in a `ServiceGroup` so they
    /// stop polling first.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
