import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway Prometheus server (Debian's `prometheus` package) on a free port of 127.0.0.1,
/// its TSDB loaded with known history by `promtool tsdb create-blocks-from openmetrics`: for the
/// Prometheus metric source's tests and the demo. It scrapes nothing.
public final class LocalPrometheus: @unchecked Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:39123`.
    public let url: String
    private let port: Int
    private let directory: URL
    private let binaries: (prometheus: String, promtool: String)
    private var pid: pid_t?

    /// The `prometheus` and `promtool` programs on PATH, or nil when the package is not installed.
    public static var binaries: (prometheus: String, promtool: String)? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        func find(_ name: String) -> String? {
            path.split(separator: ":").map { "\($0)/\(name)" }.first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
        }
        guard let prometheus = find("prometheus"), let promtool = find("promtool") else { return nil }
        return (prometheus, promtool)
    }

    /// Loads `openMetrics` (an OpenMetrics text ending in `# EOF`, timestamps in seconds, in the
    /// past) into a fresh TSDB; call ``start()`` to serve it. `port` reserves an address (nil: a free one).
    public init(openMetrics: String, port: Int? = nil) throws {
        guard let binaries = Self.binaries else {
            throw LocalPostgresError("prometheus is not installed (apt-get install prometheus)")
        }
        self.binaries = binaries
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "prometheus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let history = directory.appendingPathComponent("history.om")
        try Data(openMetrics.utf8).write(to: history)
        try Data("global:\n  scrape_interval: 1m\n".utf8).write(to: directory.appendingPathComponent("prometheus.yml"))
        _ = try ChildProcess.run([
            binaries.promtool, "tsdb", "create-blocks-from", "openmetrics", history.path,
            directory.appendingPathComponent("data").path,
        ])
        self.port = try port ?? LocalPostgresCluster.freePort()
        url = "http://127.0.0.1:\(self.port)"
    }

    /// A free port for a server started later (to test a source that is down at first).
    public static func reservePort() throws -> Int { try LocalPostgresCluster.freePort() }

    /// Starts the server and waits until it answers queries (at most 60 s).
    public func start() throws {
        guard pid == nil else { return }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let log = directory.appendingPathComponent("prometheus.log").path
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = [
            binaries.prometheus, "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)", "--storage.tsdb.retention.time=30d",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw LocalPostgresError("cannot start prometheus: errno \(spawned)") }
        pid = child
        let deadline = Date().addingTimeInterval(60)
        while (try? ChildProcess.run([binaries.promtool, "query", "instant", url, "vector(1)"])) == nil {
            guard Date() < deadline else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                stop()
                throw LocalPostgresError("prometheus did not become ready: \(output.suffix(2000))")
            }
            usleep(200_000)
        }
    }

    /// Stops the server (the data stays for a later ``start()``).
    public func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        self.pid = nil
    }

    /// Stops the server and removes its data.
    public func remove() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// One series of a gauge: its labels and a value per time.
    public typealias Series = (labels: [String: String], points: [(at: Date, value: Double)])

    /// OpenMetrics text of gauges (name → series), timestamps in whole seconds, ending in `# EOF`.
    public static func openMetrics(gauges: [String: [Series]]) -> String {
        var lines: [String] = []
        for name in gauges.keys.sorted() {
            lines.append("# TYPE \(name) gauge")
            for series in gauges[name]! {
                let labelText = series.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(
                    separator: ",")
                for point in series.points.sorted(by: { $0.at < $1.at }) {
                    lines.append("\(name){\(labelText)} \(point.value) \(Int(point.at.timeIntervalSince1970))")
                }
            }
        }
        return (lines + ["# EOF"]).joined(separator: "\n") + "\n"
    }
}
