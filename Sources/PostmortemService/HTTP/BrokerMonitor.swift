import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// Whether a Kafka broker answers, checked every ``interval`` with a Metadata request through
/// the service's producer (``KafkaProducer/brokerCount(timeout:)``): the same with any Kafka,
/// and true only when a broker actually answered. Feeds `/readyz` and
/// `deploy_postmortem_kafka_broker_reachable`; logs each change with librdkafka's reason.
final class BrokerMonitor: Service, Sendable {
    /// What the last check found.
    enum State: Sendable, Equatable {
        /// No check has finished yet.
        case unknown
        /// A broker answered.
        case reachable
        /// No broker answered within the timeout.
        case unreachable
    }

    private let producer: KafkaProducer
    private let interval: Duration
    private let timeout: Duration
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let current = Mutex(State.unknown)

    init(
        producer: KafkaProducer, interval: Duration = .seconds(5), timeout: Duration = .seconds(2),
        metrics: ServiceMetrics, logger: Logger
    ) {
        self.producer = producer
        self.interval = interval
        self.timeout = timeout
        self.metrics = metrics
        self.logger = logger
    }

    /// The outcome of the last check.
    var state: State { current.withLock { $0 } }

    /// Checks until graceful shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Checks once and records the outcome.
    func check() async {
        do {
            _ = try await producer.brokerCount(timeout: timeout)
            record(.reachable, error: nil)
        } catch let error as KafkaError where error.kind == .closed {
            return  // shutting down
        } catch {
            record(.unreachable, error: error)
        }
    }

    private func record(_ state: State, error: (any Error)?) {
        let previous = current.withLock { current in
            defer { current = state }
            return current
        }
        metrics.kafkaBrokerReachable.set(to: state == .reachable ? 1 : 0)
        guard state != previous else { return }
        if let error {
            logger.warning("Kafka unreachable: no broker answered a metadata request", metadata: ["error": "\(error)"])
        } else if previous == .unreachable {
            logger.info("Kafka reachable again")
        }
    }
}
