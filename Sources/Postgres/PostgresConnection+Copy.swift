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

/// Appends rows to a running `COPY … FROM STDIN` in PostgreSQL's text format, escaping
/// fields and sending full chunks to the server. Write each field with ``field(_:)`` and end
/// each row with ``endRow()``.
public struct PostgresCopyWriter: ~Copyable {
    /// Bytes buffered before a chunk is sent.
    static let chunkSize = 256 * 1024

    // Only ever used inside `copyFrom`, on the connection's own thread.
    private let handle: OpaquePointer
    private let target: String
    private var buffer: [UInt8] = []
    private var fieldsInRow = 0

    init(handle: OpaquePointer, target: String) {
        self.handle = handle
        self.target = target
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    /// Appends one field of the current row; `nil` values are written as NULL.
    public mutating func field<Value: PostgresEncodable>(_ value: Value) {
        if fieldsInRow > 0 { buffer.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
        let start = buffer.count
        guard value.encodePostgresText(into: &buffer) else {
            buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        escapeField(from: start)
    }

    /// Ends the current row; sends the buffer when a chunk is full.
    public mutating func endRow() throws {
        buffer.append(UInt8(ascii: "\n"))
        fieldsInRow = 0
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// Appends a whole row of fields.
    public mutating func row(_ fields: [any PostgresEncodable]) throws {
        for value in fields { appendExistential(value) }
        try endRow()
    }

    private mutating func appendExistential(_ value: some PostgresEncodable) { field(value) }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let sent = buffer.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                PQputCopyData(handle, $0, Int32(bytes.count))
            }
        }
        guard sent == 1 else {
            let reason = PostgresConnection.errorMessage(of: handle)
            throw PostgresError(.connectionLost, "COPY to \(target) failed: \(reason)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Escapes backslash, newline, carriage return and tab in the field that starts at `start`.
    private mutating func escapeField(from start: Int) {
        var needsEscaping = false
        for index in start..<buffer.count where Self.isSpecial(buffer[index]) {
            needsEscaping = true
            break
        }
        guard needsEscaping else { return }
        let raw = Array(buffer[start...])
        buffer.removeSubrange(start...)
        for byte in raw {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default: buffer.append(byte)
            }
        }
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}
