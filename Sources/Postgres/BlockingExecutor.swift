import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// libpq calls block (network round trips, `connect_timeout`, `poll`). An actor whose
/// `unownedExecutor` is a `BlockingExecutor` runs all of its isolated code on that thread,
/// so blocking there never starves Swift's cooperative thread pool.
final class BlockingExecutor: SerialExecutor, Sendable {
    private struct State: ~Copyable {
        var jobs: [UnownedJob] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the thread. It lives until ``shutdown()``.
    init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        state.withLock { $0.jobs.append(unowned) }
        wakeUp.signal()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued, then exit.
    func shutdown() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }

    private func runLoop() {
        while true {
            wakeUp.wait()
            let (batch, stopping) = state.withLock { state in
                let batch = state.jobs
                state.jobs.removeAll(keepingCapacity: true)
                return (batch, state.stopping)
            }
            for job in batch {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            if stopping && state.withLock({ $0.jobs.isEmpty }) { return }
        }
    }
}
