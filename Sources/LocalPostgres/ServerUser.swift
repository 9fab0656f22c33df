import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who runs the server's programs: the current user, or `postgres` when we are root
/// (PostgreSQL will not run as root).
struct ServerUser: Sendable {
    /// `postgres` when running as root, otherwise nil (run as ourselves).
    let name: String?

    static let current = ServerUser(name: geteuid() == 0 ? "postgres" : nil)

    /// Makes `directory` owned by the server user (a no-op when not root).
    func takeOwnership(of directory: URL) throws {
        guard let name else { return }
        guard let account = getpwnam(name) else {
            throw LocalPostgresError(
                "running as root but there is no '\(name)' user to run PostgreSQL as; install postgresql")
        }
        let uid = account.pointee.pw_uid
        let gid = account.pointee.pw_gid
        let paths =
            [directory.path]
            + (FileManager.default.subpaths(atPath: directory.path) ?? []).map { directory.path + "/" + $0 }
        for path in paths where chown(path, uid, gid) != 0 {
            throw LocalPostgresError("chown \(path) failed: errno \(errno)")
        }
    }

    /// Writes a file the server user owns.
    func write(_ text: String, to file: URL) throws {
        try text.write(to: file, atomically: false, encoding: .utf8)
        try takeOwnership(of: file)
    }

    /// Runs `executable` as this user; throws with its output when it exits non-zero.
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let command = name.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        return try ChildProcess.run(command + arguments)
    }
}
