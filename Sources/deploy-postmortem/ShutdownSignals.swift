import Logging
import ServiceLifecycle

/// SIGTERM and SIGINT trapped before a command does anything a supervisor can see.
///
/// A supervisor (Kubernetes, systemd, a test) may send SIGTERM the moment a process prints its
/// first line or answers its first probe. Trapping the signals only when the service group starts
/// leaves a window in which that SIGTERM kills the process (exit status 15) instead of stopping
/// it. ``run(logger:_:)`` registers the signal handlers first and only then starts `work`, as the
/// one service of a group: a signal at any later moment, even during start-up, is a graceful
/// shutdown of `work`, and a nested `ServiceGroup` started inside `work` inherits it.
enum ShutdownSignals {
    /// Runs `work` with SIGTERM and SIGINT already trapped; returns when `work` returns, and
    /// rethrows what it throws.
    static func run(logger: Logger, _ work: @escaping @Sendable () async throws -> Void) async throws {
        // ServiceGroup awaits the registration of its signal sources before it starts a service.
        // `work` returning ends the group: it is the only service.
        let configuration = ServiceGroupConfiguration(
            services: [.init(service: ClosureService(work), successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await ServiceGroup(configuration: configuration).run()
    }
}
