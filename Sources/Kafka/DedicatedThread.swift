import Foundation

/// One OS thread that runs submitted jobs in order, so blocking librdkafka calls never run on
/// Swift's cooperative thread pool. When no job is queued the thread runs `idle` (e.g. a
/// producer's `rd_kafka_poll`) or sleeps until a job arrives.
final class DedicatedThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var accepting = true
    private let idle: (@Sendable () -> Void)?

    /// Starts the thread.
    /// - Parameter idle: run repeatedly while no job is queued; must return within ~100 ms.
    init(name: String, idle: (@Sendable () -> Void)? = nil) {
        self.idle = idle
        let thread = Thread { [self] in
            Thread.current.name = name  // set from inside: on Linux a new thread inherits its creator's name
            loop()
        }
        thread.start()
    }

    /// Runs `body` on the thread and returns its result; throws ``KafkaError/closed`` after ``stop()``.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let accepted = submit { continuation.resume(with: Result { try body() }) }
            if !accepted { continuation.resume(throwing: KafkaError.closed) }
        }
    }

    /// Queues `job`; returns false once the thread is stopping.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Refuses new jobs; the thread exits after running the ones already queued.
    func stop() {
        condition.lock()
        accepting = false
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while let job = nextJob() { job() }
    }

    /// The next job, `nil` when stopped and drained; runs `idle` while waiting.
    private func nextJob() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty {
            guard accepting else { return nil }
            if let idle {
                condition.unlock()
                idle()
                condition.lock()
            } else {
                condition.wait()
            }
        }
        return jobs.removeFirst()
    }
}
