import Foundation

extension BuiltProducts {
    /// ``runDeployPostmortem(_:environment:input:)`` for async tests: the process is run and
    /// waited for on a thread of its own, so the cooperative pool stays free meanwhile (the
    /// in-process server the command talks to needs it).
    public static func deployPostmortem(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil
    ) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result { try runDeployPostmortem(arguments, environment: environment, input: input) })
            }.start()
        }
    }
}
