import CLibPQ

extension PostgresConnection {
    /// Streams rows into a table with `COPY … FROM STDIN` in text format: the fastest way to
    /// load many rows. `statement` is the COPY command, e.g.
    /// `COPY metric_samples (service, ts, value) FROM STDIN`; `writeRows` appends the rows
    /// through the writer, which sends them in large chunks as it fills.
    /// A thrown error aborts the COPY (nothing is loaded) and is rethrown.
    /// Returns the number of rows the server loaded.
    @discardableResult
    public func copyFrom(_ statement: String, _ writeRows: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let handle = try liveHandle()
        let start = try checked(PQexec(handle, statement))
        withExtendedLifetime(start) {}
        var writer = PostgresCopyWriter(handle: handle, target: target)
        do {
            try writeRows(&writer)
            try writer.flush()
        } catch {
            if PQputCopyEnd(handle, "aborted by client") == 1 { drainResults() }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError() }
        return try finishCopy()
    }

    private func finishCopy() throws(PostgresError) -> Int {
        let handle = try liveHandle()
        var loaded = 0
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                loaded = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = serverError(result)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return loaded
    }

    private func drainResults() {
        guard let handle else { return }
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}

/// Rows in PostgreSQL's COPY text format: tab-separated fields, `\N` for NULL, backslash
/// escapes for tab, newline, carriage return and backslash, one line per row.
public struct PostgresCopyBuffer: Sendable {
    /// The encoded rows so far.
    public private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0

    /// Creates an empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends one field of the current row; `nil` values are written as NULL.
    public mutating func field<Value: PostgresEncodable>(_ value: Value) {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
        let start = bytes.count
        guard value.encodePostgresText(into: &bytes) else {
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        escapeField(from: start)
    }

    /// Appends every value of `fields` as the fields of the current row.
    public mutating func fields(_ fields: [any PostgresEncodable]) {
        for value in fields { field(value) }
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
    }

    /// Forgets the encoded bytes, keeping the allocation.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Escapes backslash, newline, carriage return and tab in the field that starts at `start`.
    private mutating func escapeField(from start: Int) {
        guard bytes[start...].contains(where: Self.isSpecial) else { return }
        let raw = Array(bytes[start...])
        bytes.removeSubrange(start...)
        for byte in raw {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default: bytes.append(byte)
            }
        }
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }
}

/// Feeds rows to a running `COPY … FROM STDIN`, sending the buffer to the server whenever a
/// chunk is full. Write each field with ``field(_:)`` and end each row with ``endRow()``.
public struct PostgresCopyWriter: ~Copyable {
    /// Bytes buffered before a chunk is sent.
    static let chunkSize = 256 * 1024

    // Only ever used inside `copyFrom`, on the connection's own thread.
    private let handle: OpaquePointer
    private let target: String
    private var buffer = PostgresCopyBuffer(capacity: PostgresCopyWriter.chunkSize + 4096)

    init(handle: OpaquePointer, target: String) {
        self.handle = handle
        self.target = target
    }

    /// Appends one field of the current row; `nil` values are written as NULL.
    public mutating func field<Value: PostgresEncodable>(_ value: Value) { buffer.field(value) }

    /// Ends the current row; sends the buffer when a chunk is full.
    public mutating func endRow() throws {
        buffer.endRow()
        if buffer.bytes.count >= Self.chunkSize { try flush() }
    }

    /// Appends a whole row of fields.
    public mutating func row(_ fields: [any PostgresEncodable]) throws {
        buffer.fields(fields)
        try endRow()
    }

    mutating func flush() throws {
        guard !buffer.bytes.isEmpty else { return }
        let sent = buffer.bytes.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                PQputCopyData(handle, $0, Int32(bytes.count))
            }
        }
        guard sent == 1 else {
            let reason = PostgresConnection.errorMessage(of: handle)
            throw PostgresError(.connectionLost, "COPY to \(target) failed: \(reason)")
        }
        buffer.removeAll()
    }
}
