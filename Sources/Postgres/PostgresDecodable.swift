import Foundation

/// A Swift type that can be read from a PostgreSQL result value in text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value. `type` is the column's type OID.
    init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError)

    /// Decodes a non-NULL value from its text's UTF-8 bytes, valid only during the call. Rows are
    /// decoded through this one; the default makes a `String` for ``init(postgresText:type:)``,
    /// and the scalar types parse the bytes in place (a listing decodes thousands of values).
    init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError)

    /// Decodes SQL `NULL`. Only optionals accept it; the default throws.
    static func decodeNull() throws(PostgresError) -> Self
}

extension PostgresDecodable {
    /// Makes a `String` of the bytes for ``init(postgresText:type:)``: the types without a
    /// parser of their own (the scalars below have one).
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self), type: type)
    }

    public static func decodeNull() throws(PostgresError) -> Self {
        throw PostgresError(.decoding, "unexpected NULL for non-optional \(Self.self)")
    }

    /// Parses the text with `parse` in place.
    init(postgresText text: String, type: PostgresTypeOID, parse: (UnsafeBufferPointer<UInt8>) -> Self?)
        throws(PostgresError)
    {
        var text = text
        guard let value = text.withUTF8(parse) else { throw Self.mismatch(text, type) }
        self = value
    }

    /// Parses the bytes with `parse`.
    init(
        postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID,
        parse: (UnsafeBufferPointer<UInt8>) -> Self?
    )
        throws(PostgresError)
    {
        guard let value = parse(bytes) else { throw Self.mismatch(String(decoding: bytes, as: UTF8.self), type) }
        self = value
    }

    static func mismatch(_ text: String, _ type: PostgresTypeOID) -> PostgresError {
        let sample = text.count > 64 ? text.prefix(64) + "…" : Substring(text)
        return PostgresError(.decoding, "cannot decode \(Self.self) from \"\(sample)\" (type oid \(type.rawValue))")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        self = .some(try Wrapped(postgresText: text, type: type))
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError) {
        self = .some(try Wrapped(postgresBytes: bytes, type: type))
    }
    public static func decodeNull() throws(PostgresError) -> Self { .none }
}

extension String: PostgresDecodable {
    /// Any column reads as its text representation.
    public init(postgresText text: String, type: PostgresTypeOID) { self = text }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) {
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Bool: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresText: text, type: type, parse: Self.parse)
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresBytes: bytes, type: type, parse: Self.parse)
    }
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        if bytes.elementsEqual("t".utf8) || bytes.elementsEqual("true".utf8) { return true }
        if bytes.elementsEqual("f".utf8) || bytes.elementsEqual("false".utf8) { return false }
        return nil
    }
}

extension Int: PostgresDecodable {}
extension Int64: PostgresDecodable {}
extension Int32: PostgresDecodable {}

extension PostgresDecodable where Self: FixedWidthInteger & SignedInteger {
    /// Reads `int2`/`int4`/`int8` (and any text) as ``PostgresInteger`` parses it.
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresText: text, type: type, parse: PostgresInteger.parse)
    }
    /// ``init(postgresText:type:)`` from the bytes, without a `String`.
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresBytes: bytes, type: type, parse: PostgresInteger.parse)
    }
}

/// Decimal integers as `int2`/`int4`/`int8` print them: an optional sign and digits.
enum PostgresInteger {
    static func parse<T: FixedWidthInteger & SignedInteger>(_ bytes: UnsafeBufferPointer<UInt8>) -> T? {
        let negative = bytes.first == UInt8(ascii: "-")
        var index = negative || bytes.first == UInt8(ascii: "+") ? 1 : 0
        guard index < bytes.count else { return nil }
        var value: T = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            // Accumulated on the sign's side, so `T.min` parses.
            let (next, carried) =
                negative ? shifted.subtractingReportingOverflow(T(digit)) : shifted.addingReportingOverflow(T(digit))
            guard !overflowed, !carried else { return nil }
            value = next
            index += 1
        }
        return value
    }
}

extension Double: PostgresDecodable {
    /// Reads `float4`, `float8` and `numeric`, including `NaN` and `±Infinity`.
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw Self.mismatch(text, type) }
            self = value
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` (any offset) and `timestamp` (as UTC) in the ISO `DateStyle`.
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresText: text, type: type, parse: PostgresTimestamp.parse)
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>, type: PostgresTypeOID) throws(PostgresError) {
        try self.init(postgresBytes: bytes, type: type, parse: PostgresTimestamp.parse)
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        guard let uuid = UUID(uuidString: text) else { throw Self.mismatch(text, type) }
        self = uuid
    }
}

extension PostgresJSON: PostgresDecodable {
    public init(postgresText text: String, type: PostgresTypeOID) { self.init(rawJSON: text) }

    /// Decodes the document into `type` with `JSONDecoder` (ISO 8601 dates).
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(text.utf8))
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal such as `{1,2,NULL}` or `{"a b","c\"d"}`.
    public init(postgresText text: String, type: PostgresTypeOID) throws(PostgresError) {
        guard let elements = PostgresArrayLiteral.parse(text) else { throw Self.mismatch(text, type) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            if let element {
                result.append(try Element(postgresText: element, type: .unknown))
            } else {
                result.append(try Element.decodeNull())
            }
        }
        self = result
    }
}

/// Parser for PostgreSQL's one-dimensional array text format.
enum PostgresArrayLiteral {
    /// Returns the elements (nil for an unquoted NULL), or nil when `text` is not an array literal.
    static func parse(_ text: String) -> [String?]? {
        var bytes = Array(text.utf8)[...]
        // An explicit lower bound, e.g. "[0:1]={1,2}", precedes the braces.
        if bytes.first == UInt8(ascii: "["), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            bytes = bytes[(equals + 1)...]
        }
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        let body = bytes.dropFirst().dropLast()
        if body.isEmpty { return [] }
        if body.contains(UInt8(ascii: "{")) && body.first == UInt8(ascii: "{") { return nil }  // multi-dimensional

        var elements: [String?] = []
        var current: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var escaped = false
        for byte in body {
            if escaped {
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
                quoted = true
            } else if byte == UInt8(ascii: ","), !inQuotes {
                elements.append(element(current, quoted: quoted))
                current.removeAll(keepingCapacity: true)
                quoted = false
            } else {
                current.append(byte)
            }
        }
        guard !inQuotes, !escaped else { return nil }
        elements.append(element(current, quoted: quoted))
        return elements
    }

    private static func element(_ bytes: [UInt8], quoted: Bool) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return !quoted && text.uppercased() == "NULL" ? nil : text
    }
}
