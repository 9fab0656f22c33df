import Foundation

/// Waiting on a started child process from async tests, off the cooperative pool.
public enum ChildProcess {
    /// Reads `handle` up to its first newline (or its end) and returns that line without it.
    public static func firstLine(of handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while !bytes.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                let line = bytes.split(separator: UInt8(ascii: "\n")).first.map { String(decoding: $0, as: UTF8.self) }
                continuation.resume(returning: line ?? "")
            }
        }
    }

    /// Waits for `process` to end; how it ended (exit or uncaught signal) and its status.
    public static func exit(of process: Process) async -> (reason: Process.TerminationReason, status: Int32) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationReason, process.terminationStatus))
            }
        }
    }
}
