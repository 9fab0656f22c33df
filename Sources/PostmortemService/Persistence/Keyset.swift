import Foundation

/// One page of a keyset-paginated listing and the cursor of the next one.
struct Page<Item: Sendable>: Sendable {
    /// The items, in listing order.
    var items: [Item]
    /// Where the next page starts; nil on the last page.
    var next: PageCursor?

    /// Keeps the first `limit` of `rows` (fetched with one extra row to know whether more
    /// follow) and takes the next cursor from the last kept row.
    init(rows: [(item: Item, cursor: PageCursor)], limit: Int) {
        items = rows.prefix(limit).map(\.item)
        next = rows.count > limit ? rows[limit - 1].cursor : nil
    }
}

/// The position after a listed row: its sort time (microseconds since 1970, as PostgreSQL
/// stores it) and its UUID as tie-breaker. Opaque to clients (base64url text).
struct PageCursor: Sendable, Hashable {
    /// Sort key in microseconds since the Unix epoch.
    var microseconds: Int64
    /// Tie-breaking row ID (a UUID).
    var id: String

    /// The cursor as clients see it.
    var token: String {
        Data("\(microseconds)/\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Parses a cursor from a previous page; nil when it is not one.
    init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.count <= 128, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let microseconds = Int64(parts[0]), UUID(uuidString: String(parts[1])) != nil else { return nil }
        self.init(microseconds: microseconds, id: String(parts[1]))
    }

    init(microseconds: Int64, id: String) {
        self.microseconds = microseconds
        self.id = id
    }
}
