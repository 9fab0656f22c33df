import Foundation
import Hummingbird
import PostmortemCore

/// Strict reading of query parameters: unknown names, repeated names and malformed values are
/// 400s that say what was expected.
struct QueryReader {
    private let values: [String: String]

    /// Reads `request`'s query, accepting only `allowed` names.
    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                throw APIError.badRequest("unknown query parameter \(name); expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            guard values[name] == nil else { throw APIError.badRequest("query parameter \(name) given twice") }
            values[name] = String(value)
        }
        self.values = values
    }

    func string(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty, value.count <= maxLength else { throw APIError.badRequest("\(name): expected 1 to \(maxLength) characters") }
        return value
    }

    func value<T: RawRepresentable & CaseIterable>(_ name: String, as: T.Type) throws -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let value = T(rawValue: text) else {
            throw APIError.badRequest("\(name): expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
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
        guard let text = values[name] else { return nil }
        guard let date = RFC3339.parse(text) else { throw APIError.badRequest("\(name): expected an RFC 3339 time, got \(text)") }
        return date
    }

    func uuid(_ name: String) throws -> String? {
        guard let text = values[name] else { return nil }
        guard let uuid = canonicalUUID(text) else { throw APIError.badRequest("\(name): expected a UUID, got \(text)") }
        return uuid
    }

    /// `limit` in 1...200, default 50.
    func limit() throws -> Int {
        guard let text = values["limit"] else { return 50 }
        guard let limit = Int(text), (1...200).contains(limit) else { throw APIError.badRequest("limit: expected an integer in 1...200, got \(text)") }
        return limit
    }

    /// The `cursor` of a previous page.
    func cursor() throws -> PageCursor? {
        guard let text = values["cursor"] else { return nil }
        guard let cursor = PageCursor(token: text) else { throw APIError.badRequest("cursor: not a cursor this API returned") }
        return cursor
    }
}

/// `text` as the database spells a UUID (lower case), or nil when it is not one.
func canonicalUUID(_ text: String) -> String? {
    UUID(uuidString: text)?.uuidString.lowercased()
}

/// Parsing of the body of `PATCH /v1/action-items/{id}`.
enum ActionItemPatchBody {
    static let members: Set<String> = ["owner", "status", "dueAt", "evidenceUrl"]

    /// The patch in `body` (a JSON object of at least one of ``members``).
    static func parse(_ body: [UInt8]) throws -> ActionItemPatch {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body, maxDepth: 4)
        } catch {
            throw APIError.badRequest(error.reason)
        }
        guard case .object(let fields) = document else { throw APIError.badRequest("expected a JSON object, got \(document.typeName)") }
        if let unknown = fields.keys.sorted().first(where: { !members.contains($0) }) {
            throw APIError.badRequest("unknown member \(unknown); expected \(members.sorted().joined(separator: ", "))")
        }
        guard !fields.isEmpty else { throw APIError.badRequest("nothing to change; give at least one of \(members.sorted().joined(separator: ", "))") }
        var patch = ActionItemPatch()
        patch.owner = try string(fields, "owner").map { owner in
            guard (1...200).contains(owner.count), !owner.contains(where: \.isNewline),
                  owner.trimmingCharacters(in: .whitespaces) == owner else {
                throw APIError.badRequest("owner: expected 1 to 200 characters without surrounding spaces or line breaks")
            }
            return owner
        }
        patch.status = try string(fields, "status").map { text in
            guard let status = ActionItemStatus(rawValue: text) else {
                throw APIError.badRequest("status: expected one of \(ActionItemStatus.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
            }
            return status
        }
        patch.dueAt = try string(fields, "dueAt").map { text in
            guard let date = RFC3339.parse(text) else { throw APIError.badRequest("dueAt: expected an RFC 3339 time, got \(text)") }
            return date
        }
        patch.evidenceUrl = try string(fields, "evidenceUrl").map { text in
            guard text.utf8.count <= 2048, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false else {
                throw APIError.badRequest("evidenceUrl: expected an http or https URL of at most 2048 bytes")
            }
            return text
        }
        return patch
    }

    private static func string(_ fields: [String: JSONValue], _ name: String) throws -> String? {
        switch fields[name] {
        case nil: return nil
        case .string(let text)?: return text
        case let other?: throw APIError.badRequest("\(name): expected a string, got \(other.typeName)")
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
        guard let header = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return nil }
        var tag = Substring(header)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        guard tag.count >= 3, tag.first == "\"", tag.last == "\"", let version = Int(tag.dropFirst().dropLast()) else {
            throw APIError.preconditionFailed("If-Match \(header) names no version of this resource; send the ETag you read")
        }
        return version
    }
}
