import Foundation
import Postgres

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
    var token: String { Base64URL.encode("\(microseconds)/\(id)".utf8) }

    /// Parses a cursor from a previous page; nil when it is not one.
    init?(token: String) {
        guard token.count <= 128, let bytes = Base64URL.decode(token),
            let text = String(validating: bytes, as: UTF8.self)
        else { return nil }
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let microseconds = Int64(parts[0]), UUID(uuidString: String(parts[1])) != nil else {
            return nil
        }
        self.init(microseconds: microseconds, id: String(parts[1]))
    }

    init(microseconds: Int64, id: String) {
        self.microseconds = microseconds
        self.id = id
    }
}

/// Keyset pagination over a time column and a UUID column, the one way listings page: the
/// condition that starts after a cursor, the order, the limit, and the page built from the
/// rows. A page reads `limit + 1` rows along an index on (time, id), whatever the page's depth.
struct Keyset: Sendable {
    /// The sort time column, as SQL (e.g. `a.due_at`).
    let time: String
    /// The tie-breaking UUID column, as SQL (e.g. `a.action_item_id`).
    let id: String
    /// Newest first when true.
    let descending: Bool

    /// The select-list item of a row's cursor time (`sort_key`, microseconds since 1970).
    var sortKey: PostgresQuery { "(extract(epoch FROM \(unescaped: time)) * 1000000)::bigint AS sort_key" }

    /// The condition of rows after `cursor` (TRUE without one).
    func after(_ cursor: PageCursor?) -> PostgresQuery {
        guard let cursor else { return "TRUE" }
        return """
            (\(unescaped: time), \(unescaped: id)) \(unescaped: descending ? "<" : ">") \
            (to_timestamp(0) + \(cursor.microseconds) * interval '1 microsecond', \(cursor.id)::uuid)
            """
    }

    /// `ORDER BY` of the listing.
    var order: PostgresQuery {
        let direction = descending ? "DESC" : "ASC"
        return "ORDER BY \(unescaped: time) \(unescaped: direction), \(unescaped: id) \(unescaped: direction)"
    }

    /// ``order`` and the `LIMIT` of a page of `limit` rows, plus one that tells whether more follow.
    func orderAndLimit(_ limit: Int) -> PostgresQuery {
        "\(order) LIMIT \(limit + 1)"
    }

    /// The page of `rows` (selected with ``sortKey``), each decoded with its ID by `decode`.
    func page<Item: Sendable>(
        _ rows: PostgresRows, limit: Int, _ decode: (PostgresRow) throws -> (item: Item, id: String)
    ) throws -> Page<Item> {
        Page(
            rows: try rows.map { row in
                let (item, id) = try decode(row)
                return (item, PageCursor(microseconds: try row.decode(named: "sort_key"), id: id))
            }, limit: limit)
    }
}
