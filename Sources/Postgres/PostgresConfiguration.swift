import CLibPQ
import Foundation

/// Where and how to connect. The connection string is a libpq URL
/// (`postgresql://user@host:5432/db?sslmode=require`) or a conninfo string
/// (`host=db port=5432 dbname=app`); whatever it leaves out comes from the standard `PG*`
/// environment variables (`PGHOST`, `PGPASSWORD`, `PGSSLMODE`, …) and `~/.pgpass`, as libpq does.
public struct PostgresConfiguration: Sendable {
    /// A libpq URL or conninfo string; empty means "all from the environment".
    public var connectionString: String
    /// Upper bound on establishing a connection, used unless the connection string or
    /// `PGCONNECT_TIMEOUT` sets `connect_timeout`. libpq's own default waits forever.
    public var connectTimeoutSeconds: Int
    /// Reported to the server as `application_name` unless the connection string sets one.
    public var applicationName: String

    /// Creates a configuration.
    public init(connectionString: String, connectTimeoutSeconds: Int = 5, applicationName: String = "deploy-postmortem")
    {
        self.connectionString = connectionString
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }

    /// The connection's target without secrets, for logs and errors:
    /// `user@host:port/dbname`. Throws when the string is not a valid URL or conninfo.
    public func redacted() throws(PostgresError) -> String {
        let options = try parsedOptions()
        let host =
            options["host"] ?? options["hostaddr"] ?? ProcessInfo.processInfo.environment["PGHOST"] ?? "localhost"
        let port = options["port"] ?? ProcessInfo.processInfo.environment["PGPORT"] ?? "5432"
        let user = options["user"].map { "\($0)@" } ?? ""
        let database = options["dbname"].map { "/\($0)" } ?? ""
        return "\(user)\(host):\(port)\(database)"
    }

    /// The keyword/value pairs libpq reads from the connection string (never logged: may hold a password).
    func parsedOptions() throws(PostgresError) -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.connection, "invalid database URL or conninfo: \(reason ?? "out of memory")")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return result
    }

    /// Keyword/value pairs for `PQconnectdbParams`: defaults first, the connection string
    /// last (libpq lets later values override earlier ones, and expands the string).
    func connectParameters() throws(PostgresError) -> [(String, String)] {
        let options = try parsedOptions()
        var parameters: [(String, String)] = []
        if options["connect_timeout"] == nil, ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            parameters.append(("connect_timeout", String(connectTimeoutSeconds)))
        }
        parameters.append(("fallback_application_name", applicationName))
        parameters.append(("dbname", connectionString))
        return parameters
    }
}
