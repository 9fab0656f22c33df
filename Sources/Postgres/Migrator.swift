import Foundation
import Logging

/// One schema change: a version, a name and the SQL that applies it.
public struct Migration: Sendable, Hashable {
    /// Position in the order of application; unique.
    public var version: Int
    /// A short name, from the file name after the version (`0001_initial.sql` → `initial`).
    public var name: String
    /// The SQL, possibly several statements. It runs inside one transaction.
    public var sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A fingerprint of the SQL, recorded when applied, to detect edited migrations.
    public var checksum: String {
        // FNV-1a 64: stable across processes and platforms, unlike `Hasher`.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Loads every `NNNN_name.sql` file in `directory`, ordered by version.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        let migrations = try files.map { file in
            let stem = file.dropLast(4)
            guard let separator = stem.firstIndex(of: "_"), let version = Int(stem[..<separator]) else {
                throw PostgresError(.client, "migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(stem[stem.index(after: separator)...]), sql: sql)
        }.sorted { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw PostgresError(.client, "two migrations have version \(next.version): \(previous.name), \(next.name)")
        }
        return migrations
    }
}

/// Applies ordered migrations exactly once each, recording them in `schema_migrations`.
///
/// Replicas that start together are serialized by a PostgreSQL session advisory lock: one
/// applies what is pending while the others wait, then find nothing left to do. The lock is
/// released when the migrator finishes, or by the server if its connection dies.
public struct Migrator: Sendable {
    /// The advisory lock key that serializes migrators (arbitrary, fixed for this product).
    public static let defaultLockKey: Int64 = 0x6470_6d5f_6d69_6772  // "dpm_migr"

    private let migrations: [Migration]
    private let lockKey: Int64
    private let logger: Logger

    /// Creates a migrator for `migrations` (any order; they are applied by version).
    public init(
        migrations: [Migration], lockKey: Int64 = Migrator.defaultLockKey, logger: Logger = Logger(label: "migrator")
    ) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.lockKey = lockKey
        self.logger = logger
    }

    /// Applies the pending migrations on a dedicated connection and returns those it applied.
    /// Fails, applying nothing, if an already-applied migration's SQL has changed.
    @discardableResult
    public func migrate(_ configuration: PostgresConfiguration) async throws -> [Migration] {
        let connection = try await PostgresConnection.connect(configuration, logger: logger)
        do {
            let applied = try await connection.run { connection in try apply(on: connection) }
            await connection.close()
            return applied
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Applies the pending migrations on `connection`, holding the advisory lock meanwhile.
    public func apply(on connection: isolated PostgresConnection) throws -> [Migration] {
        try connection.query("SELECT pg_advisory_lock(\(lockKey))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(lockKey))") }

        try connection.execute(
            script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    bigint PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations") {
            applied[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        for migration in migrations {
            if let checksum = applied[migration.version], checksum != migration.checksum {
                throw PostgresError(
                    .client,
                    "migration \(migration.version)_\(migration.name) was changed after it was applied (checksum \(checksum) → \(migration.checksum)); add a new migration instead"
                )
            }
        }
        let pending = migrations.filter { applied[$0.version] == nil }
        for migration in pending {
            logger.info(
                "applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            try connection.transaction { connection in
                try connection.execute(script: migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))"
                )
            }
        }
        return pending
    }
}
