/// A statement and its parameters, written as one string literal whose interpolated values are
/// **bound**, never spliced into the SQL text:
///
/// ```swift
/// try connection.query("SELECT title FROM action_items WHERE action_item_id = \(id)::uuid AND status = ANY(\(statuses))")
/// // sent as: SELECT title FROM action_items WHERE action_item_id = $1::uuid AND status = ANY($2)  with binds [id, statuses]
/// ```
///
/// Each interpolated ``PostgresEncodable`` becomes the next `$n` with its value beside it, so a
/// value can never change the statement, and placeholders cannot drift from their values.
/// Trusted SQL text (a column list, a table name the code chose) goes in with
/// `\(unescaped: text)`, and a query fragment (a condition built elsewhere, with its own binds)
/// with `\(fragment)`: its placeholders are renumbered to follow the ones before it.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    /// A piece of the statement: SQL text, or the index of a bind.
    fileprivate enum Part: Sendable {
        case text(String)
        case bind(Int)
    }

    private var parts: [Part]
    /// The values of `$1…$n`, in order.
    public private(set) var binds: [any PostgresEncodable]

    /// The statement text with `$1…$n` placeholders, as sent to the server.
    public var sql: String {
        var sql = ""
        for part in parts {
            switch part {
            case .text(let text): sql += text
            case .bind(let index): sql += "$\(index + 1)"
            }
        }
        return sql
    }

    /// A statement without interpolated values.
    public init(stringLiteral value: String) {
        parts = [.text(value)]
        binds = []
    }

    /// A statement built by interpolation.
    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
        binds = stringInterpolation.binds
    }

    /// A statement whose text already holds `$1…$n` placeholders for `binds` (SQL assembled at
    /// run time, e.g. by tests or by PostgreSQL's `format()`). The text is sent as it is.
    public init(unsafeSQL sql: String, binds: [any PostgresEncodable] = []) {
        parts = [.text(sql)]
        self.binds = binds
    }

    /// Collects the literal segments and the bound values of an interpolated statement.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        fileprivate var parts: [Part] = []
        fileprivate var binds: [any PostgresEncodable] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.text(literal))
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            parts.append(.bind(binds.count))
            binds.append(value)
        }

        /// Binds `value` as the next parameter; nil binds SQL `NULL` (typed like `Value`).
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            parts.append(.bind(binds.count))
            binds.append(value)
        }

        /// Inserts `text` into the statement as SQL. Only for text the program chose, never input.
        public mutating func appendInterpolation(unescaped text: String) {
            parts.append(.text(text))
        }

        /// Inserts a query fragment with its binds, renumbered to follow the ones before it.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            let offset = binds.count
            for part in fragment.parts {
                switch part {
                case .text: parts.append(part)
                case .bind(let index): parts.append(.bind(index + offset))
                }
            }
            binds += fragment.binds
        }
    }
}

extension PostgresQuery: CustomStringConvertible {
    /// The SQL text and the number of binds (never the values: they may be secrets).
    public var description: String { "\(sql) [\(binds.count) binds]" }
}
