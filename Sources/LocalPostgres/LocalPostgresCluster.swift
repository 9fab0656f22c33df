import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server: `initdb` into a temporary directory, its own TCP port on
/// 127.0.0.1 and its own Unix socket directory, stopped and deleted by ``stop()``.
///
/// PostgreSQL refuses to run as root, so when the process is root the server runs as the
/// `postgres` system user (via `runuser`). Authentication is `trust` except for the role
/// ``passwordRole``, which needs its password over TCP (for authentication tests).
/// Clusters left behind by a crashed process are removed the next time one starts.
public final class LocalPostgresCluster: Sendable {
    /// The cluster's root directory (data, socket and log live below it).
    public let directory: URL
    /// The TCP port the server listens on, on 127.0.0.1.
    public let port: Int
    /// A role that must authenticate with ``passwordRolePassword`` over TCP.
    public static let passwordRole = "app_with_password"
    /// The password of ``passwordRole``.
    public static let passwordRolePassword = "correct horse battery staple"

    private static let directoryPrefix = "deploy-postmortem-pg-"
    private let binDirectory: URL

    private init(directory: URL, port: Int, binDirectory: URL) {
        self.directory = directory
        self.port = port
        self.binDirectory = binDirectory
    }

    /// A libpq URL for `database` as the superuser `postgres`, over TCP.
    public func url(database: String = "postgres") -> String {
        "postgresql://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// The server's log file, useful when a test fails.
    public var logFile: URL { directory.appendingPathComponent("server.log") }

    private var dataDirectory: URL { directory.appendingPathComponent("data") }
    private var socketDirectory: URL { directory.appendingPathComponent("socket") }

    /// Creates and starts a cluster. Server settings favour speed over durability.
    public static func start(extraSettings: [String: String] = [:]) throws -> LocalPostgresCluster {
        removeAbandonedClusters()
        let binDirectory = try findBinDirectory()
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent(directoryPrefix + UUID().uuidString.prefix(8).lowercased())
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("socket"), withIntermediateDirectories: true)
        try "\(getpid())".write(to: directory.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        try ServerUser.current.takeOwnership(of: directory)

        let cluster = LocalPostgresCluster(directory: directory, port: try freePort(), binDirectory: binDirectory)
        try cluster.initialize(extraSettings: extraSettings)
        try cluster.startServer()
        return cluster
    }

    private func initialize(extraSettings: [String: String]) throws {
        try run(
            "initdb",
            ["-D", dataDirectory.path, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        var settings = [
            "listen_addresses": "'127.0.0.1'",
            "port": "\(port)",
            "unix_socket_directories": "'\(socketDirectory.path)'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "256MB",
            "max_wal_size": "4GB",
            "log_min_messages": "warning",
        ]
        settings.merge(extraSettings) { $1 }
        let config = settings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
        try append(config + "\n", toFile: "postgresql.conf")
        let hba = """
            host all \(Self.passwordRole) 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust
            local all all trust

            """
        try ServerUser.current.write(hba, to: dataDirectory.appendingPathComponent("pg_hba.conf"))
    }

    private func startServer() throws {
        try run("pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "start"])
        try psql("CREATE ROLE \(Self.passwordRole) LOGIN PASSWORD '\(Self.passwordRolePassword)'")
    }

    /// Stops the server (terminating every session, as an outage would) without deleting
    /// anything; ``resume()`` starts it again on the same port with the same data.
    public func pause() throws {
        try run("pg_ctl", ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
    }

    /// Starts a server stopped by ``pause()``.
    public func resume() throws {
        try run("pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "start"])
    }

    /// Stops the server and deletes the cluster. Safe to call twice.
    public func stop() {
        _ = try? run("pg_ctl", ["-D", dataDirectory.path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Creates a database and returns its URL.
    public func createDatabase(_ name: String) throws -> String {
        try psql("CREATE DATABASE \"\(name)\"")
        return url(database: name)
    }

    /// Runs one SQL command through `psql` as the superuser (for setup, not for tests' subject).
    public func psql(_ sql: String, database: String = "postgres") throws {
        try run(
            "psql",
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory.path, "-p", "\(port)", "-U", "postgres",
                "-d", database, "-c", sql,
            ])
    }

    /// Runs a PostgreSQL client or server program from the cluster's bin directory
    /// (as the server user), returning its standard output.
    @discardableResult
    public func run(_ program: String, _ arguments: [String]) throws -> String {
        try ServerUser.current.run(binDirectory.appendingPathComponent(program).path, arguments)
    }

    private func append(_ text: String, toFile name: String) throws {
        let file = dataDirectory.appendingPathComponent(name)
        let existing = try String(contentsOf: file, encoding: .utf8)
        try ServerUser.current.write(existing + "\n" + text, to: file)
    }

    // MARK: Discovery and cleanup

    private static func findBinDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["PG_BINDIR"] { candidates.append(explicit) }
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate + "/initdb") {
            return URL(fileURLWithPath: candidate)
        }
        throw LocalPostgresError(
            "initdb not found (looked in PG_BINDIR, /usr/lib/postgresql/*/bin and PATH); install postgresql")
    }

    /// Stops and deletes clusters whose owning process no longer exists.
    private static func removeAbandonedClusters() {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory())
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix(directoryPrefix) {
            let directory = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: directory.appendingPathComponent("owner.pid"), encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            let postmasterPID = directory.appendingPathComponent("data/postmaster.pid")
            if let line = try? String(contentsOf: postmasterPID, encoding: .utf8).split(separator: "\n").first,
                let serverPID = pid_t(line)
            {
                kill(serverPID, SIGQUIT)
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Asks the kernel for a free TCP port on 127.0.0.1.
    static func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw LocalPostgresError("socket() failed: errno \(errno)") }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else { throw LocalPostgresError("cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A failure to set up or drive a local cluster, with the program's output.
public struct LocalPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
