import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`, capturing its output.
///
/// Foundation's `Process.waitUntilExit` can hang on Linux when the child starts a daemon
/// (as `pg_ctl start` does), so the cluster's programs are run with this instead.
enum ChildProcess {
    /// Runs `arguments[0]` with the rest as its arguments, standard input from /dev/null.
    /// Returns standard output and error combined; throws when the exit status is not 0.
    static func run(_ arguments: [String]) throws -> String {
        var pipeDescriptors: [Int32] = [0, 0]
        guard pipe(&pipeDescriptors) == 0 else { throw LocalPostgresError("pipe() failed: errno \(errno)") }
        let (readEnd, writeEnd) = (pipeDescriptors[0], pipeDescriptors[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw LocalPostgresError("cannot start \(arguments[0]): errno \(spawned)")
        }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readEnd, &chunk, chunk.count)
            if count > 0 {
                output.append(contentsOf: chunk[..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(readEnd)

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        let exited = status & 0x7f == 0
        let exitCode = (status >> 8) & 0xff
        guard exited && exitCode == 0 else {
            let program = URL(fileURLWithPath: arguments.last { $0.hasPrefix("/") } ?? arguments[0]).lastPathComponent
            let outcome = exited ? "exited \(exitCode)" : "was killed by signal \(status & 0x7f)"
            throw LocalPostgresError("\(program) \(outcome): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
