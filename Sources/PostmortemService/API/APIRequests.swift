import Foundation
import Hummingbird
import PostmortemCore

/// Strict reading of query parameters: unknown names, repeated names and malformed values are
/// 400s that say what was expected.
struct QueryReader {
    private let values: [String: String]

    /// Reads `request`'s query, accepting only `allowed` names. The raw query is decoded here,
    /// not by the framework (which turns bytes that are not UTF-8 into U+FFFD and keeps
    /// malformed escapes as they are): either is a 400, as is a NUL.
    ///
    /// An HTML form's query (`form`, the UI's filters): a field left empty is absent and `+` is a space.
    init(_ request: Request, allowed: Set<String>, form: Bool = false) throws {
        var values: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            var (rawName, rawValue) =
                pair.firstIndex(of: "=").map { (pair[..<$0], pair[pair.index(after: $0)...]) } ?? (pair, "")
            if form {
                if rawValue.isEmpty { continue }
                rawValue = Substring(rawValue.replacingOccurrences(of: "+", with: " "))
            }
            let name = try Self.percentDecoded(rawName, naming: "query parameter name")
            guard allowed.contains(name) else {
                throw APIError.badRequest(
                    "unknown query parameter \(name); expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            guard values[name] == nil else { throw APIError.badRequest("query parameter \(name) given twice") }
            values[name] = try Self.percentDecoded(rawValue, naming: name)
        }
        self.values = values
    }

    /// `component` with its `%XX` escapes decoded; 400 for a malformed escape, bytes that are not
    /// UTF-8, or a NUL. (`+` stays `+`: this is a URI query, not a form.)
    static func percentDecoded(_ component: Substring, naming name: String) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.utf8.count)
        var input = component.utf8.makeIterator()
        while let byte = input.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = input.next().flatMap(Self.hexValue), let low = input.next().flatMap(Self.hexValue) else {
                throw APIError.badRequest("\(name): malformed percent-encoding; escape a literal % as %25")
            }
            bytes.append(high << 4 | low)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw APIError.badRequest("\(name): not valid UTF-8 once percent-decoded")
        }
        try rejectNUL(text, naming: name)
        return text
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func string(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty, value.count <= maxLength else {
            throw APIError.badRequest("\(name): expected 1 to \(maxLength) characters")
        }
        return value
    }

    func value<T: RawRepresentable & CaseIterable>(_ name: String, as: T.Type) throws -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let value = T(rawValue: text) else {
            throw APIError.badRequest(
                "\(name): expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = values[name] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("\(name): expected true or false, got \(text)")
        }
    }

    func time(_ name: String) throws -> Date? {
        try values[name].map { try apiTime($0, naming: name) }
    }

    func uuid(_ name: String) throws -> String? {
        guard let text = values[name] else { return nil }
        guard let uuid = canonicalUUID(text) else { throw APIError.badRequest("\(name): expected a UUID, got \(text)") }
        return uuid
    }

    /// `name` as an integer in `range`; nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(
                "\(name): expected an integer in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }

    /// Rows per page when the request gives no `limit`.
    static let defaultLimit = 50

    /// `limit` in 1...200, default ``defaultLimit``.
    func limit() throws -> Int {
        try givenLimit() ?? Self.defaultLimit
    }

    /// `limit` in 1...200 when the request gives one.
    func givenLimit() throws -> Int? {
        try integer("limit", in: 1...200)
    }

    /// The `cursor` of a previous page. Its position must be a time the API can hold: a
    /// tampered one would otherwise reach PostgreSQL as an out-of-range timestamp.
    func cursor() throws -> PageCursor? {
        guard let text = values["cursor"] else { return nil }
        guard let cursor = PageCursor(token: text), apiTimeMicroseconds.contains(cursor.microseconds) else {
            throw APIError.badRequest("cursor: not a cursor this API returned")
        }
        return cursor
    }
}

/// Times the API accepts: years 0001 to 9999, which RFC 3339 can write and PostgreSQL can store.
let apiTimeRange = Date(timeIntervalSince1970: -62_135_596_800)..<Date(timeIntervalSince1970: 253_402_300_800)

/// ``apiTimeRange`` in microseconds since 1970 (page cursors).
private let apiTimeMicroseconds: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

/// `text` as an RFC 3339 time within ``apiTimeRange``; 400 naming `name` otherwise.
func apiTime(_ text: String, naming name: String) throws -> Date {
    guard let date = RFC3339.parse(text), apiTimeRange.contains(date) else {
        throw APIError.badRequest("\(name): expected an RFC 3339 time between 0001-01-01 and 9999-12-31, got \(text)")
    }
    return date
}

/// 400 when `text` holds U+0000, which PostgreSQL text cannot store.
func rejectNUL(_ text: String, naming name: String) throws {
    guard !text.utf8.contains(0) else {
        throw APIError.badRequest("\(name): must not contain the NUL character (U+0000)")
    }
}

/// `text` as the database spells a UUID (lower case), or nil when it is not one.
func canonicalUUID(_ text: String) -> String? {
    UUID(uuidString: text)?.uuidString.lowercased()
}

/// Parsing of the body of `PATCH /v1/action-items/{id}`.
enum ActionItemPatchBody {
    static let members: Set<String> = ["owner", "status", "dueAt", "evidenceUrl"]

    /// The patch in `body` (a JSON object of at least one of ``members``, in UTF-8).
    static func parse(_ body: [UInt8]) throws -> ActionItemPatch {
        if let offset = firstInvalidUTF8(body) {
            throw APIError.badRequest("request body is not valid UTF-8 (at byte \(offset))")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body, maxDepth: 4)
        } catch {
            throw APIError.badRequest(error.reason)
        }
        guard case .object(let fields) = document else {
            throw APIError.badRequest("expected a JSON object, got \(document.typeName)")
        }
        if let unknown = fields.keys.sorted().first(where: { !members.contains($0) }) {
            throw APIError.badRequest("unknown member \(unknown); expected \(members.sorted().joined(separator: ", "))")
        }
        guard !fields.isEmpty else {
            throw APIError.badRequest(
                "nothing to change; give at least one of \(members.sorted().joined(separator: ", "))")
        }
        var patch = ActionItemPatch()
        patch.owner = try string(fields, "owner").map { owner in
            guard (1...200).contains(owner.count), !owner.contains(where: \.isNewline),
                owner.trimmingCharacters(in: .whitespaces) == owner
            else {
                throw APIError.badRequest(
                    "owner: expected 1 to 200 characters without surrounding spaces or line breaks")
            }
            return owner
        }
        patch.status = try string(fields, "status").map { text in
            guard let status = ActionItemStatus(rawValue: text) else {
                throw APIError.badRequest(
                    "status: expected one of \(ActionItemStatus.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)"
                )
            }
            return status
        }
        patch.dueAt = try string(fields, "dueAt").map { try apiTime($0, naming: "dueAt") }
        patch.evidenceUrl = try string(fields, "evidenceUrl").map { text in
            guard text.utf8.count <= 2048, let url = URL(string: text),
                ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false
            else {
                throw APIError.badRequest("evidenceUrl: expected an http or https URL of at most 2048 bytes")
            }
            return text
        }
        return patch
    }

    private static func string(_ fields: [String: JSONValue], _ name: String) throws -> String? {
        switch fields[name] {
        case nil: return nil
        case .string(let text)?:
            try rejectNUL(text, naming: name)
            return text
        case let other?: throw APIError.badRequest("\(name): expected a string, got \(other.typeName)")
        }
    }

    /// Offset of the first byte of `bytes` that does not start a valid UTF-8 sequence, nil when
    /// all of it is valid.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// `If-Match` handling: `"<version>"` (or `W/"<version>"`) names the version the client read;
/// `*` or no header matches any.
enum EntityTag {
    /// The `ETag` value of a version.
    static func header(_ version: Int) -> String { "\"\(version)\"" }

    /// The version `If-Match` requires, nil for any; 412 when it names none.
    static func expectedVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else {
            return nil
        }
        var tag = Substring(header)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.count >= 3, tag.first == "\"", tag.last == "\"", let version = Int(tag.dropFirst().dropLast()) else {
            throw APIError.preconditionFailed(
                "If-Match \(header) names no version of this resource; send the ETag you read")
        }
        return version
    }
}
