import Foundation

/// A strict RFC 8259 JSON parser that enforces a maximum nesting depth and rejects duplicate keys.
struct JSONParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var index = 0

    /// Parses `bytes` as one JSON document.
    static func parse(_ bytes: [UInt8], maxDepth: Int) throws(DecodingError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected trailing characters") }
        return value
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func failure(_ reason: String) -> DecodingError {
        DecodingError(path: "$", reason: "invalid JSON at byte \(index): \(reason)")
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: String, _ value: JSONValue) throws(DecodingError) -> JSONValue {
        let utf8 = Array(literal.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            throw failure("unexpected character")
        }
        index += utf8.count
        return value
    }

    private mutating func parseValue(depth: Int) throws(DecodingError) -> JSONValue {
        guard let c = current else { throw failure("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        default: return .number(try parseNumber())
        }
    }

    private mutating func enter(depth: Int) throws(DecodingError) {
        guard depth <= maxDepth else {
            throw DecodingError(path: "$", reason: "JSON nesting deeper than the limit of \(maxDepth)")
        }
        index += 1
        skipWhitespace()
    }

    private mutating func parseObject(depth: Int) throws(DecodingError) -> JSONValue {
        try enter(depth: depth)
        var fields: [String: JSONValue] = [:]
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            guard fields.updateValue(value, forKey: key) == nil else { throw failure("duplicate key \"\(key)\"") }
            skipWhitespace()
            if try endOfContainer(closing: "}") { return .object(fields) }
        }
    }

    private mutating func parseArray(depth: Int) throws(DecodingError) -> JSONValue {
        try enter(depth: depth)
        var items: [JSONValue] = []
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if try endOfContainer(closing: "]") { return .array(items) }
        }
    }

    /// Consumes `,` (returns false) or the closing bracket (returns true).
    private mutating func endOfContainer(closing: Unicode.Scalar) throws(DecodingError) -> Bool {
        if current == UInt8(ascii: ",") {
            index += 1
            skipWhitespace()
            return false
        }
        guard current == UInt8(ascii: closing) else { throw failure("expected ',' or '\(closing)'") }
        index += 1
        return true
    }

    private mutating func parseString() throws(DecodingError) -> String {
        index += 1
        // Fast path: most strings hold no escape, so they are one slice of the input.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20
        { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let text = String(validating: bytes[index..<end], as: UTF8.self) else {
                throw failure("invalid UTF-8 in string")
            }
            index = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() throws(DecodingError) {
            // Invalid bytes are refused, never repaired: a repaired ID could collide with another.
            guard let text = String(validating: run, as: UTF8.self) else { throw failure("invalid UTF-8 in string") }
            scalars.append(contentsOf: text.unicodeScalars)
            run.removeAll()
        }
        while let c = current {
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                try flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush()
                scalars.append(try parseEscape())
            case 0..<0x20:
                throw failure("control character in string")
            default:
                run.append(c)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseEscape() throws(DecodingError) -> Unicode.Scalar {
        guard let c = current else { throw failure("unterminated escape") }
        index += 1
        switch c {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            if (0xD800..<0xDC00).contains(high) {
                guard current == UInt8(ascii: "\\") else { throw failure("unpaired surrogate") }
                index += 1
                guard current == UInt8(ascii: "u") else { throw failure("unpaired surrogate") }
                index += 1
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw failure("unpaired surrogate") }
            return scalar
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func parseHex4() throws(DecodingError) -> UInt32 {
        guard index + 4 <= bytes.count,
            let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { throw failure("invalid \\u escape") }
        index += 4
        return v
    }

    private mutating func parseNumber() throws(DecodingError) -> Double {
        let start = index
        // RFC 8259: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        func skipDigits() -> Bool {
            guard isDigit(current) else { return false }
            while isDigit(current) { index += 1 }
            return true
        }
        var valid = true
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            valid = skipDigits()
        }
        if valid, current == UInt8(ascii: ".") {
            index += 1
            valid = skipDigits()
        }
        if valid, current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            valid = skipDigits()
        }
        // A number runs to the next structural character; anything else glued to it is an error.
        while let c = current,
            isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        {
            valid = false
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard valid, !text.isEmpty, let value = Double(text), value.isFinite else {
            index = start
            throw failure(text.isEmpty ? "unexpected character" : "invalid number \(text)")
        }
        return value
    }
}

extension JSONValue {
    /// Parses one JSON document strictly: RFC 8259, duplicate keys rejected, at most `maxDepth` levels.
    public init(parsing bytes: [UInt8], maxDepth: Int = 32) throws(DecodingError) {
        self = try JSONParser.parse(bytes, maxDepth: maxDepth)
    }
}
