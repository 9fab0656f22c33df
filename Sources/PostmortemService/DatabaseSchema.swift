import Foundation
import Postgres

/// The service's PostgreSQL schema: the ordered migrations shipped with the package.
public enum DatabaseSchema {
    /// Every migration, ordered by version, loaded from the package's `Migrations` resources.
    public static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ServiceError.incompleteInstallation(
                "the Migrations resource directory is missing from the installation")
        }
        return try Migration.load(from: directory)
    }

    /// Applies pending migrations to the database `configuration` points at.
    @discardableResult
    public static func migrate(_ configuration: PostgresConfiguration) async throws -> [Migration] {
        try await Migrator(migrations: try migrations()).migrate(configuration)
    }
}
