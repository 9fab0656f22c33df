import CLibPQ

/// The rows of one statement's result. Immutable; safe to pass between tasks.
public final class PostgresRows: @unchecked Sendable, RandomAccessCollection {
    // PGresult is immutable once returned by libpq, and libpq documents it as usable from
    // any thread, which is what makes @unchecked Sendable sound here.
    private let result: OpaquePointer
    /// Each column's index by exact name (the first of equal names, as `PQfnumber` finds it):
    /// a listing decodes dozens of columns by name per row.
    private let columnIndexes: [String: Int32]

    init(_ result: OpaquePointer) {
        self.result = result
        // A COPY result has columns without names.
        columnIndexes = Dictionary(
            (0..<PQnfields(result)).compactMap { column in PQfname(result, column).map { (String(cString: $0), column) }
            },
            uniquingKeysWith: { first, _ in first })
    }
    deinit { PQclear(result) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(PQntuples(result)) }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: Int32(position)) }

    /// Rows affected by an `INSERT`/`UPDATE`/`DELETE`/`COPY`, 0 for other statements.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    /// The result's column names, in order (a COPY result's columns have none: `#1`, `#2`, …).
    public var columnNames: [String] { (0..<PQnfields(result)).map(columnName) }

    /// The name of `column`, or `#n` (1-based) for a column without one.
    private func columnName(_ column: Int32) -> String {
        PQfname(result, column).map { String(cString: $0) } ?? "#\(column + 1)"
    }

    @usableFromInline
    func columnIndex(named name: String) throws(PostgresError) -> Int32 {
        guard let index = columnIndexes[name] else {
            throw PostgresError(.client, "no column named \"\(name)\" in result")
        }
        return index
    }

    /// Decodes the value at `row`, `column` as `T`. Inlinable, so that callers decode with
    /// their concrete types rather than looking up generic metadata per value.
    @inlinable
    func decode<T: PostgresDecodable>(_: T.Type, row: Int32, column: Int32) throws(PostgresError) -> T {
        try withExtendedLifetime(self) { () throws(PostgresError) -> T in
            guard let value = try value(row: row, column: column) else { return try T.decodeNull() }
            do throws(PostgresError) {
                return try T(postgresBytes: value.bytes, type: value.type)
            } catch {
                throw decodingError(error, column: column)
            }
        }
    }

    /// The text of the value at `row`, `column` with its column's type, nil for NULL. The bytes
    /// stay in the PGresult this object owns: valid while it lives.
    @usableFromInline
    func value(row: Int32, column: Int32) throws(PostgresError) -> (
        bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID
    )? {
        guard column >= 0, column < PQnfields(result) else {
            throw PostgresError(.client, "column index \(column) out of range (\(PQnfields(result)) columns)")
        }
        if PQgetisnull(result, row, column) == 1 { return nil }
        let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
        return (
            UnsafeBufferPointer(start: bytes, count: Int(PQgetlength(result, row, column))),
            PostgresTypeOID(rawValue: PQftype(result, column))
        )
    }

    /// `error` of decoding a value, naming its column.
    @usableFromInline
    func decodingError(_ error: PostgresError, column: Int32) -> PostgresError {
        PostgresError(.decoding, "column \"\(columnName(column))\": \(error.message)")
    }
}

/// One row of a ``PostgresRows``.
public struct PostgresRow: Sendable {
    @usableFromInline let rows: PostgresRows
    @usableFromInline let index: Int32

    /// Decodes column `column` (0-based) as `T`; NULL decodes only into optionals.
    @inlinable
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws(PostgresError) -> T {
        try rows.decode(type, row: index, column: Int32(column))
    }

    /// Decodes the column named `name` as `T`.
    @inlinable
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, named name: String) throws(PostgresError) -> T {
        try rows.decode(type, row: index, column: try rows.columnIndex(named: name))
    }
}
