import Synchronization

/// An awaited operation of a test that did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` naming `what` once
/// `timeout` has passed, whether or not `operation` notices cancellation: a blocked libpq call,
/// a delivery report that never comes or a continuation never resumed fails the test instead of
/// hanging the run. On timeout the operation is cancelled and left to finish on its own.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ what: @autoclosure () -> String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let message = "\(what()) did not finish within \(timeout)"
    let first = FirstResult<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            first.start(continuation)
            let work = Task { _ = first.finish(await Result(awaiting: operation)) }
            first.setWork(work)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if first.finish(.failure(DeadlineExceeded(message))) { work.cancel() }
            }
            first.setTimer(timer)
        }
    } onCancel: {
        first.cancel()
    }
}

/// Whichever of the operation and its timer finishes first resumes the waiter, once.
private final class FirstResult<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let cancelled = state.withLock { state in
            state.continuation = continuation
            return state.cancelled
        }
        if cancelled { finish(.failure(CancellationError())) }
    }

    func setWork(_ task: Task<Void, Never>) {
        if !state.withLock({ state in
            state.work = task
            return state.continuation != nil
        }) {
            task.cancel()
        }
    }

    func setTimer(_ task: Task<Void, Never>) {
        if !state.withLock({ state in
            state.timer = task
            return state.continuation != nil
        }) {
            task.cancel()
        }
    }

    /// Resumes the waiter with `result` unless it was resumed before; true if this call did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        guard let continuation else { return false }
        timer?.cancel()
        continuation.resume(with: result)
        return true
    }

    /// The waiting task was cancelled: stop the operation and resume with `CancellationError`.
    func cancel() {
        let work = state.withLock { state in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
        finish(.failure(CancellationError()))
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing `body`.
    fileprivate init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
