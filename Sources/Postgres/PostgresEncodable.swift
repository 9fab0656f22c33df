import Foundation

/// A Swift value that can be sent to PostgreSQL as a query parameter or a COPY field,
/// in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    /// The type the server should read the parameter as; `.unknown` lets it infer.
    static var postgresType: PostgresTypeOID { get }

    /// Appends the value's text representation to `buffer`.
    /// Returns `false`, appending nothing, when the value is SQL `NULL`.
    func encodePostgresText(into buffer: inout [UInt8]) -> Bool
}

extension PostgresEncodable {
    /// The value's text representation, or `nil` for SQL `NULL`.
    public var postgresText: String? {
        var buffer: [UInt8] = []
        guard encodePostgresText(into: &buffer) else { return nil }
        return String(decoding: buffer, as: UTF8.self)
    }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .unknown }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: utf8)
        return true
    }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .unknown }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: utf8)
        return true
    }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .bool }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(self ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        return true
    }
}

extension FixedWidthInteger where Self: PostgresEncodable {
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        appendDecimal(Int64(self), to: &buffer)
        return true
    }
}

extension Int: PostgresEncodable { public static var postgresType: PostgresTypeOID { .int8 } }
extension Int64: PostgresEncodable { public static var postgresType: PostgresTypeOID { .int8 } }
extension Int32: PostgresEncodable { public static var postgresType: PostgresTypeOID { .int4 } }
extension Int16: PostgresEncodable { public static var postgresType: PostgresTypeOID { .int2 } }

extension Double: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .float8 }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        if isNaN {
            buffer.append(contentsOf: "NaN".utf8)
        } else if isInfinite {
            buffer.append(contentsOf: (self < 0 ? "-Infinity" : "Infinity").utf8)
        } else if self == rounded(.towardZero) && Swift.abs(self) < 1e15 {
            appendDecimal(Int64(self), to: &buffer)
        } else {
            // Swift's shortest round-trip representation; PostgreSQL reads it exactly.
            buffer.append(contentsOf: description.utf8)
        }
        return true
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .timestamptz }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        PostgresTimestamp.append(self, to: &buffer)
        return true
    }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { .uuid }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: uuidString.lowercased().utf8)
        return true
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { Wrapped.postgresType }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        guard let self else { return false }
        return self.encodePostgresText(into: &buffer)
    }
}

/// A JSON document sent as `jsonb`. Build it from raw JSON text or from any `Encodable`.
public struct PostgresJSON: PostgresEncodable, Hashable {
    /// The JSON text.
    public var text: String

    /// Wraps JSON text as it is; the server validates it.
    public init(rawJSON text: String) { self.text = text }

    /// Encodes `value` with `JSONEncoder` (keys sorted, so equal values give equal text).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static var postgresType: PostgresTypeOID { .jsonb }
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: text.utf8)
        return true
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: PostgresTypeOID { Element.postgresType.arrayType }

    /// Encodes a one-dimensional array literal, quoting every element: `{"a","b",NULL}`.
    public func encodePostgresText(into buffer: inout [UInt8]) -> Bool {
        buffer.append(UInt8(ascii: "{"))
        var element: [UInt8] = []
        for (index, value) in enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            element.removeAll(keepingCapacity: true)
            guard value.encodePostgresText(into: &element) else {
                buffer.append(contentsOf: "NULL".utf8)
                continue
            }
            buffer.append(UInt8(ascii: "\""))
            for byte in element {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    buffer.append(UInt8(ascii: "\\"))
                }
                buffer.append(byte)
            }
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "}"))
        return true
    }
}

/// Appends the decimal digits of `value` without allocating a `String`.
@inlinable
func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
    if value == 0 {
        buffer.append(UInt8(ascii: "0"))
        return
    }
    var magnitude = value.magnitude
    if value < 0 { buffer.append(UInt8(ascii: "-")) }
    let start = buffer.count
    while magnitude > 0 {
        buffer.append(UInt8(ascii: "0") &+ UInt8(magnitude % 10))
        magnitude /= 10
    }
    buffer[start...].reverse()
}
