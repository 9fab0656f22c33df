import CLibPQ
import Foundation
import Logging

/// Server notices (`NOTICE`, `WARNING` outside errors) are logged at debug level here
/// instead of being written to standard error by libpq.
private let noticeLogger = Logger(label: "postgres.notice")

/// One libpq connection. Every call runs on the connection's own dedicated thread (see
/// ``BlockingExecutor``), so blocking network I/O never occupies Swift's cooperative pool.
///
/// Use it directly for a long-lived session (a listener, the migrator's advisory lock), or
/// borrow one from a ``PostgresPool``. Isolated closures (`transaction`, `run`) execute
/// synchronously on the connection's thread, so a transaction cannot interleave with other work.
public actor PostgresConnection {
    private let executor: BlockingExecutor
    nonisolated public var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The `PGconn*`; nil once closed.
    var handle: OpaquePointer?
    /// Where this connection points, without secrets (for logs and errors).
    public nonisolated let target: String
    let logger: Logger
    /// Commands that succeeded since the pool handed this connection out; a failure before the
    /// first one means nothing ran and the work may safely be retried on a fresh connection.
    var successfulCommands = 0

    private init(target: String, logger: Logger) {
        self.executor = BlockingExecutor(name: "postgres")
        self.target = target
        self.logger = logger
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
        executor.shutdown()
    }

    /// Opens a connection, failing within the configured connect timeout.
    public static func connect(
        _ configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres")
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(target: try configuration.redacted(), logger: logger)
        try await connection.open(configuration)
        return connection
    }

    private func open(_ configuration: PostgresConfiguration) throws(PostgresError) {
        let parameters = try configuration.connectParameters()
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer { for string in keywords + values { free(string) } }
        let connection = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keywordPointers in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connection, "could not connect to PostgreSQL at \(target): out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.errorMessage(of: connection)
            PQfinish(connection)
            throw PostgresError(.connection, "could not connect to PostgreSQL at \(target): \(reason)")
        }
        PQsetNoticeProcessor(
            connection,
            { _, message in
                guard let message else { return }
                noticeLogger.debug("\(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))")
            }, nil)
        handle = connection
    }

    /// Closes the connection. Later calls fail with `connectionLost`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The server's version number, e.g. 150018 for 15.18.
    public func serverVersion() throws(PostgresError) -> Int {
        Int(PQserverVersion(try liveHandle()))
    }

    /// The server process serving this connection (`pg_backend_pid()`).
    public func backendPID() throws(PostgresError) -> Int32 {
        PQbackendPID(try liveHandle())
    }

    // MARK: Statements

    /// Runs one statement, its interpolated values sent as parameters separately from the SQL
    /// text (see ``PostgresQuery``), returning its rows, if any.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        try execute(query.sql, query.binds)
    }

    /// Runs SQL text that already holds `$1…$n` placeholders with their `parameters` (SQL
    /// assembled at run time, e.g. in tests). Code that writes its statements uses
    /// ``query(_:)`` with interpolation instead, which cannot misnumber a parameter.
    @_disfavoredOverload
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws(PostgresError) -> PostgresRows {
        try execute(sql, parameters)
    }

    private func execute(_ sql: String, _ parameters: [any PostgresEncodable]) throws(PostgresError) -> PostgresRows {
        let handle = try liveHandle()
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        offsets.reserveCapacity(parameters.count)
        for parameter in parameters {
            let start = buffer.count
            if parameter.encodePostgresText(into: &buffer) {
                buffer.append(0)
                offsets.append(start)
            } else {
                offsets.append(nil)
            }
        }
        let types = parameters.map { type(of: $0).postgresType.rawValue }
        let result = buffer.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.flatMap { base?.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(handle, sql, Int32(parameters.count), types, values, nil, nil, 0)
        }
        return try checked(result)
    }

    /// Runs `sql`, which may hold several statements separated by semicolons and no
    /// parameters (migrations, DDL). Returns the last statement's result.
    @discardableResult
    public func execute(script sql: String) throws(PostgresError) -> PostgresRows {
        try checked(PQexec(try liveHandle(), sql))
    }

    /// Runs `body` inside `BEGIN … COMMIT`. A thrown error rolls the transaction back and is
    /// rethrown; so is a failed `COMMIT`.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        let handle = try liveHandle()
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else {
            throw PostgresError(.client, "transaction() called while a transaction is already open")
        }
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            if let live = self.handle, PQtransactionStatus(live) != PQTRANS_IDLE {
                _ = try? query("ROLLBACK")
            }
            throw error
        }
    }

    /// Runs `body` on the connection's thread with synchronous access to it.
    @discardableResult
    public func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    // MARK: Health

    /// Reads whatever the server sent while the connection sat idle and reports whether it is
    /// still usable: open, not in a transaction, not terminated by the server.
    func isHealthy() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        guard PQconsumeInput(handle) == 1 else { return false }
        return PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    func resetCommandCount() { successfulCommands = 0 }

    // MARK: Internals

    func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(.connectionLost, "connection to \(target) is closed") }
        return handle
    }

    /// Turns a `PGresult` into rows, or into an error carrying the server's fields.
    func checked(_ result: OpaquePointer?) throws(PostgresError) -> PostgresRows {
        guard let result else { throw connectionError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            successfulCommands += 1
            return PostgresRows(result)
        default:
            let error = serverError(result)
            PQclear(result)
            throw error
        }
    }

    func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        guard let sqlState = field("C") else { return connectionError() }
        if let handle, PQstatus(handle) != CONNECTION_OK {
            var error = connectionError()
            error.sqlState = sqlState
            return error
        }
        return PostgresError(
            .server, field("M") ?? "unknown error", sqlState: sqlState,
            detail: field("D"), hint: field("H"), constraint: field("n"))
    }

    func connectionError() -> PostgresError {
        let reason = handle.map(Self.errorMessage(of:)) ?? "connection closed"
        return PostgresError(.connectionLost, "connection to \(target) failed: \(reason)")
    }

    static func errorMessage(of handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown error" : text.replacingOccurrences(of: "\n", with: "; ")
    }
}
