import Logging

/// A small bounded pool of ``PostgresConnection``s.
///
/// Connections are opened lazily up to `maxConnections` and reused. A connection the server
/// dropped (restart, `pg_terminate_backend`, network loss) is detected when it is handed out
/// and replaced; if a borrowed connection turns out dead before any command succeeded on it,
/// the work is retried once on a fresh connection, so callers never see a stale connection.
public actor PostgresPool {
    private let configuration: PostgresConfiguration
    private let maxConnections: Int
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    /// Creates a pool; no connection is opened until one is needed.
    public init(
        configuration: PostgresConfiguration, maxConnections: Int = 8, logger: Logger = Logger(label: "postgres.pool")
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.logger = logger
    }

    /// Connections currently open (idle or borrowed).
    public var openConnections: Int { openCount }

    /// Borrows a connection for `body`, which runs synchronously on the connection's thread.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        var retried = false
        while true {
            let connection = try await acquire()
            do {
                let value = try await connection.run(body)
                release(connection)
                return value
            } catch let error as PostgresError where error.isConnectionFailure {
                let nothingRan = await connection.successfulCommands == 0
                release(connection)
                guard nothingRan, !retried else { throw error }
                retried = true
                logger.info("retrying on a fresh connection after a dead one", metadata: ["error": "\(error)"])
            } catch {
                release(connection)
                throw error
            }
        }
    }

    /// Runs `body` in a transaction on a borrowed connection (see ``PostgresConnection/transaction(_:)``).
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in try connection.transaction(body) }
    }

    /// Closes idle connections and refuses new work; borrowed ones close when returned.
    public func close() async {
        closed = true
        let connections = idle
        idle.removeAll()
        openCount -= connections.count
        for connection in connections { await connection.close() }
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    private func acquire() async throws -> PostgresConnection {
        while true {
            guard !closed else { throw PostgresError(.client, "the connection pool is closed") }
            if let connection = idle.popLast() {
                if await connection.isHealthy() {
                    await connection.resetCommandCount()
                    return connection
                }
                logger.info("replacing a dead pooled connection", metadata: ["target": "\(connection.target)"])
                await connection.close()
                openCount -= 1
                continue
            }
            if openCount < maxConnections {
                openCount += 1
                do {
                    return try await PostgresConnection.connect(configuration, logger: logger)
                } catch {
                    openCount -= 1
                    wakeOneWaiter()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func release(_ connection: PostgresConnection) {
        if closed {
            openCount -= 1
            Task { await connection.close() }
        } else {
            idle.append(connection)
        }
        wakeOneWaiter()
    }

    private func wakeOneWaiter() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
