/// An error from the PostgreSQL client: a failed connection, a failed statement, or a value
/// that could not be decoded. It carries the server's SQLSTATE and fields when there are any.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public enum Kind: String, Sendable {
        /// The connection could not be established (bad URL, refused, timeout, authentication).
        case connection
        /// The connection was lost, or is unusable, while a command ran.
        case connectionLost
        /// The server rejected a statement.
        case server
        /// A result value could not be decoded into the requested Swift type.
        case decoding
        /// The client was used wrongly (for example a missing column name).
        case client
    }

    /// What failed.
    public var kind: Kind
    /// A one-line description of the failure.
    public var message: String
    /// The five-character SQLSTATE code, for server errors (`23505` is `unique_violation`).
    public var sqlState: String?
    /// The server's DETAIL field.
    public var detail: String?
    /// The server's HINT field.
    public var hint: String?
    /// The constraint a server error names, if any.
    public var constraint: String?

    /// Creates an error.
    public init(
        _ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    /// True when the failure means the connection is gone and a new one may succeed.
    public var isConnectionFailure: Bool { kind == .connection || kind == .connectionLost }

    /// True for `unique_violation` (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
