import Logging
import Postgres
import Synchronization

/// The checks behind `/readyz`. Each says `ok` or one word for what is wrong — never error
/// text, which would show hosts, ports, user names and driver messages to anyone (the probe
/// needs no token). The details go to the log, once, when a check changes.
final class Readiness: Sendable {
    /// How long the database gets to answer `SELECT 1`.
    static let databaseTimeout: Duration = .seconds(2)

    private let pipeline: IngestPipeline
    private let relay: OutboxRelay
    private let brokers: BrokerMonitor
    private let logger: Logger
    /// Each check's last state, to log changes only.
    private let previous = Mutex<[String: String]>([:])
    /// The database check, run at most once a second however often `/readyz` is asked.
    private let databaseCheck: RefreshedValue<DatabaseCheck>

    init(pool: PostgresPool, pipeline: IngestPipeline, relay: OutboxRelay, brokers: BrokerMonitor, logger: Logger) {
        self.pipeline = pipeline
        self.relay = relay
        self.brokers = brokers
        self.logger = logger
        databaseCheck = RefreshedValue(every: .seconds(1)) { await Self.checkDatabase(pool) }
    }

    /// The database check's state and, when not ok, why.
    typealias DatabaseCheck = (state: String, detail: String?)

    /// Runs the checks: `database` (`ok`, `unreachable`, `timeout`), `kafka` (`ok`,
    /// `unreachable`, `unknown` before the first check), `pipeline` (`ok`, `retrying`) and
    /// `outbox_relay` (`ok`, `failing`).
    func evaluate() async -> [String: String] {
        let pipelineFailure = pipeline.health.currentFailure
        let relayStats = await relay.stats
        let kafka: (state: String, detail: String?) =
            switch brokers.state {
            case .reachable: ("ok", nil)
            case .unreachable: ("unreachable", "no broker answered a metadata request (see the earlier log line)")
            case .unknown: ("unknown", "not checked yet")
            }
        let results: [String: (state: String, detail: String?)] = [
            "database": await databaseCheck.value(),
            "kafka": kafka,
            "pipeline": pipelineFailure.map { ("retrying", $0) } ?? ("ok", nil),
            "outbox_relay": relayStats.consecutiveFailures >= 3 ? ("failing", relayStats.lastError) : ("ok", nil),
        ]
        logChanges(results)
        return results.mapValues(\.state)
    }

    private static func checkDatabase(_ pool: PostgresPool) async -> DatabaseCheck {
        let outcome = await withDeadline(Self.databaseTimeout) { () -> String? in
            do {
                try await pool.withConnection { try DatabaseHealth.ping(on: $0) }
                return nil
            } catch {
                return "\(error)"
            }
        }
        switch outcome {
        case .some(nil): return ("ok", nil)
        case .some(let error?): return ("unreachable", error)
        case nil: return ("timeout", "no answer to SELECT 1 within \(Self.databaseTimeout)")
        }
    }

    private func logChanges(_ results: [String: (state: String, detail: String?)]) {
        let changed = previous.withLock { previous in
            defer { previous = results.mapValues(\.state) }
            return results.filter { previous[$0.key, default: "ok"] != $0.value.state }
        }
        for (check, result) in changed.sorted(by: { $0.key < $1.key }) {
            if result.state == "ok" {
                logger.info("readiness: \(check) ok again")
            } else {
                logger.warning(
                    "readiness: \(check) \(result.state)", metadata: result.detail.map { ["error": "\($0)"] } ?? [:])
            }
        }
    }
}

/// The result of `operation`, or nil when it takes longer than `timeout`. Unlike a task group,
/// this returns at the deadline even when `operation` ignores cancellation (a blocked libpq
/// call); the operation then finishes in the background and its result is dropped.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async -> T) async -> T? {
    await withCheckedContinuation { continuation in
        let outcome = FirstOutcome(continuation)
        let timer = Task {
            try? await Task.sleep(for: timeout)
            outcome.resume(nil)
        }
        Task {
            outcome.resume(await operation())
            timer.cancel()
        }
    }
}

/// Resumes a continuation with whichever outcome comes first.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ value: T) {
        let waiting = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
