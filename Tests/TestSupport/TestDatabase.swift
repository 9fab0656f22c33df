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
}
