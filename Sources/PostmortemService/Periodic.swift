import Logging
import ServiceLifecycle

/// Runs `body` at once and then every `interval` until graceful shutdown or cancellation: the
/// loop of the periodic jobs every replica runs (overdue sweeps, database maintenance). A
/// failure is logged as a warning with `message` and the error, and `body` runs again after
/// `retry` (at most `interval`) instead.
func repeatUntilShutdown(
    every interval: Duration, retryingAfter retry: Duration? = nil, logger: Logger, failure message: Logger.Message,
    _ body: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            var pause = interval
            do {
                try await body()
            } catch {
                logger.warning(message, metadata: ["error": "\(error)"])
                pause = min(interval, retry ?? interval)
            }
            try? await Task.sleep(for: pause)
        }
    }
}
