import Foundation
import LocalPostgres
import Postgres
import Synchronization

/// The throwaway PostgreSQL cluster shared by the whole test process: started on first use,
/// stopped and deleted when the process exits. Each test takes a database of its own, so tests
/// can run in parallel without seeing each other's rows.
public enum TestDatabase {
    private static let counter = Atomic<Int>(0)

    /// The shared cluster (started on first access).
    public static let cluster: LocalPostgresCluster = {
        do {
            let cluster = try LocalPostgresCluster.start()
            atexit { TestDatabase.cluster.stop() }
            return cluster
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
    }()

    /// Creates an empty database and returns a configuration pointing at it.
    public static func fresh(_ label: String = "test") throws -> PostgresConfiguration {
        let number = counter.add(1, ordering: .relaxed).newValue
        let name = "\(label)_\(getpid())_\(number)".lowercased()
        return PostgresConfiguration(connectionString: try cluster.createDatabase(name))
    }

    /// Opens a connection to a fresh database.
    public static func connection(_ label: String = "test") async throws -> PostgresConnection {
        try await PostgresConnection.connect(try fresh(label))
    }
}

/// Locates the package's built executables (the tests run them as real processes).
public enum BuiltProducts {
    /// The directory holding the test bundle and the executables (`.build/debug`).
    public static var directory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("deploy-postmortem").path) {
                return url
            }
        }
        return Bundle.main.bundleURL.deletingLastPathComponent()
    }

    /// The path of executable product `name`.
    public static func executable(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    /// What a finished process left: its exit status, standard output and standard error.
    public struct Outcome: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// Both streams, output first.
        public var combined: String { standardOutput + standardError }
    }

    /// Runs `deploy-postmortem` with `arguments` to completion, optionally feeding `input`.
    /// `environment` is added to this process's environment, or is the whole environment when
    /// `inheriting` is false.
    public static func runDeployPostmortem(
        _ arguments: [String], environment: [String: String] = [:], inheriting: Bool = true, input: String? = nil
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = executable("deploy-postmortem")
        process.arguments = arguments
        process.environment = inheriting ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        let output = Pipe()
        let error = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so neither can fill up and block the child.
        let errorData = Mutex(Data())
        let errorRead = DispatchSemaphore(value: 0)
        Thread {
            errorData.withLock { $0 = error.fileHandleForReading.readDataToEndOfFile() }
            errorRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }
}
