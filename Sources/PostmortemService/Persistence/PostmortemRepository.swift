import Foundation
import Postgres
import PostmortemCore

/// A row of the postmortem listing.
struct PostmortemSummary: Sendable {
    var id: String
    var deployId: String
    var service: String
    var environment: String
    var severity: String
    var status: String
    var triggers: [String]
    var openedAt: Date
    var updatedAt: Date
    var closedAt: Date?
    var rolledBackAt: Date?
    /// Items open or in progress.
    var openActionItems: Int
    var totalActionItems: Int
}

/// Which postmortems to list (all filters optional), `limit` per page.
struct PostmortemFilter: Sendable {
    var service: String?
    var environment: String?
    /// Nil lists open and closed ones: withdrawn postmortems are listed only when asked for.
    var status: PostmortemStatus?
    var deployId: String?
    /// Opened at or after.
    var since: Date?
    var limit = 50
    var after: PageCursor?
}

/// A postmortem as stored: the document last published (the `data` of its latest
/// `postmortem.*` event) with its bookkeeping.
struct PostmortemRecord: Sendable {
    var id: String
    var deployId: String
    var status: PostmortemStatus
    /// The postmortem's JSON (``Postmortem/json``) as last saved.
    var document: JSONValue
    var openedAt: Date
    var updatedAt: Date
    var closedAt: Date?
}

/// The `postmortems` table: every statement that reads or writes it.
struct PostmortemRepository: Sendable {
    /// Listings page newest first, by opening time then ID.
    private static let keyset = Keyset(time: "p.opened_at", id: "p.postmortem_id", descending: true)

    /// Inserts `postmortem` unless its deploy has one; true when inserted now.
    func insertIfNew(_ postmortem: Postmortem, digest: String, now: Date, on connection: isolated PostgresConnection)
        throws -> Bool
    {
        let row = try Row(postmortem)
        return try connection.query(
            """
            INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, artifact, triggers, severity, status,
                                     rolled_back_at, contributing_metrics, findings, document, analysis_digest,
                                     opened_at, updated_at)
            SELECT \(postmortem.id)::uuid, \(postmortem.deployId), \(postmortem.service), \(postmortem.environment),
                   \(row.artifact), \(row.triggers), \(postmortem.severity.rawValue), \(row.status), \(postmortem.rolledBackAt),
                   doc.d->'contributingMetrics', doc.d->'findings', doc.d, \(digest), \(now), \(now)
            FROM (SELECT \(row.document)::jsonb AS d) AS doc
            ON CONFLICT (deploy_id) DO NOTHING
            """
        ).affectedRows == 1
    }

    /// The analysis digest stored for the deploy's postmortem, its row locked until the
    /// transaction ends; nil when it has none.
    func digestForUpdate(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws -> String? {
        try connection.query("SELECT analysis_digest FROM postmortems WHERE deploy_id = \(deployId) FOR UPDATE")
            .first?.decode(String.self, at: 0)
    }

    /// Replaces the stored analysis of `postmortem`'s deploy with it.
    func update(_ postmortem: Postmortem, digest: String, now: Date, on connection: isolated PostgresConnection) throws
    {
        let row = try Row(postmortem)
        try connection.query(
            """
            UPDATE postmortems SET artifact = \(row.artifact), triggers = \(row.triggers), severity = \(postmortem.severity.rawValue),
                status = \(row.status), rolled_back_at = \(postmortem.rolledBackAt),
                contributing_metrics = doc.d->'contributingMetrics', findings = doc.d->'findings',
                document = doc.d, analysis_digest = \(digest), updated_at = \(now), version = version + 1,
                closed_at = CASE WHEN \(row.status) = 'closed' THEN coalesce(closed_at, \(now)) END
            FROM (SELECT \(row.document)::jsonb AS d) AS doc
            WHERE postmortem_id = \(postmortem.id)::uuid AND deploy_id = \(postmortem.deployId)
              AND service = \(postmortem.service) AND environment = \(postmortem.environment)
            """)
    }

    /// Stores a new status with its document and digest (closed: `closed_at` is now).
    func updateStatus(
        of postmortemId: String, to status: PostmortemStatus, document: JSONValue, digest: String, now: Date,
        on connection: isolated PostgresConnection
    ) throws {
        let documentJSON = PostgresJSON(rawJSON: document.serialized)
        try connection.query(
            """
            UPDATE postmortems SET status = \(status.rawValue), closed_at = CASE WHEN \(status.rawValue) = 'closed' THEN \(now) END,
                updated_at = \(now), version = version + 1, analysis_digest = \(digest), document = \(documentJSON)
            WHERE postmortem_id = \(postmortemId)::uuid
            """)
    }

    /// Which of `deployIds` have a postmortem that is not withdrawn (one query).
    func deploysWithLivePostmortems(_ deployIds: [String], on connection: isolated PostgresConnection) throws
        -> Set<String>
    {
        guard !deployIds.isEmpty else { return [] }
        return Set(
            try connection.query(
                "SELECT deploy_id FROM postmortems WHERE deploy_id = ANY(\(deployIds)::text[]) AND status <> 'withdrawn'"
            ).map { try $0.decode(String.self, at: 0) })
    }

    /// The postmortem with ID `id` as stored, or nil.
    func record(id: String, on connection: isolated PostgresConnection) throws -> PostmortemRecord? {
        try record(where: "postmortem_id = \(id)::uuid", on: connection)
    }

    /// The postmortem of the deploy `deployId` as stored, or nil.
    func record(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws -> PostmortemRecord? {
        try record(where: "deploy_id = \(deployId)", on: connection)
    }

    /// The postmortem matching `condition` (one that names one row) as stored, or nil.
    private func record(where condition: PostgresQuery, on connection: isolated PostgresConnection) throws
        -> PostmortemRecord?
    {
        guard
            let row = try connection.query(
                """
                SELECT postmortem_id::text, deploy_id, status, document::text, opened_at, updated_at, closed_at
                FROM postmortems WHERE \(condition)
                """
            ).first
        else { return nil }
        let status: String = try row.decode(at: 2)
        guard let parsed = PostmortemStatus(rawValue: status) else {
            throw PostgresError(.decoding, "postmortems.status: unknown value \(status)")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: Array(try row.decode(String.self, at: 3).utf8), maxDepth: 64)
        } catch {
            throw PostgresError(.decoding, "postmortems.document: \(error)")
        }
        return PostmortemRecord(
            id: try row.decode(at: 0), deployId: try row.decode(at: 1), status: parsed, document: document,
            openedAt: try row.decode(at: 4), updatedAt: try row.decode(at: 5), closedAt: try row.decode(at: 6))
    }

    /// Deploy IDs of every postmortem, oldest first.
    func deployIDs(on connection: isolated PostgresConnection) throws -> [String] {
        try connection.query("SELECT deploy_id FROM postmortems ORDER BY opened_at, deploy_id").map {
            try $0.decode(String.self, at: 0)
        }
    }

    /// One page of postmortems matching `filter`, newest first, with their item counts. The
    /// page is chosen first (along the index on opening time), then only its items are counted.
    func summaries(_ filter: PostmortemFilter, on connection: isolated PostgresConnection) throws -> Page<
        PostmortemSummary
    > {
        let active = ActionItemStatus.active.map(\.rawValue)
        let rows = try connection.query(
            """
            SELECT p.postmortem_id::text AS id, p.deploy_id, p.service, p.environment, p.severity, p.status,
                   array_to_string(p.triggers, ',') AS triggers, p.opened_at, p.updated_at, p.closed_at, p.rolled_back_at,
                   items.open_items, items.items, \(Self.keyset.sortKey)
            FROM (
                SELECT * FROM postmortems p
                WHERE (\(filter.service)::text IS NULL OR p.service = \(filter.service))
                  AND (\(filter.environment)::text IS NULL OR p.environment = \(filter.environment))
                  AND ((\(filter.status?.rawValue)::text IS NULL AND p.status <> 'withdrawn') OR p.status = \(filter.status?.rawValue))
                  AND (\(filter.deployId)::text IS NULL OR p.deploy_id = \(filter.deployId))
                  AND (\(filter.since)::timestamptz IS NULL OR p.opened_at >= \(filter.since))
                  AND \(Self.keyset.after(filter.after))
                \(Self.keyset.orderAndLimit(filter.limit))
            ) p
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE a.status = ANY(\(active)::text[])) AS open_items, count(*) AS items
                FROM action_items a WHERE a.postmortem_id = p.postmortem_id
            ) items
            \(Self.keyset.order)
            """)
        return try Self.keyset.page(rows, limit: filter.limit) { row in
            let summary = PostmortemSummary(
                id: try row.decode(named: "id"), deployId: try row.decode(named: "deploy_id"),
                service: try row.decode(named: "service"),
                environment: try row.decode(named: "environment"), severity: try row.decode(named: "severity"),
                status: try row.decode(named: "status"),
                triggers: try row.decode(String.self, named: "triggers").split(separator: ",").map(String.init),
                openedAt: try row.decode(named: "opened_at"), updatedAt: try row.decode(named: "updated_at"),
                closedAt: try row.decode(named: "closed_at"), rolledBackAt: try row.decode(named: "rolled_back_at"),
                openActionItems: try row.decode(named: "open_items"), totalActionItems: try row.decode(named: "items"))
            return (summary, summary.id)
        }
    }

    /// The column values of a postmortem row.
    private struct Row {
        var artifact: PostgresJSON
        var triggers: [String]
        var status: String
        var document: PostgresJSON

        init(_ postmortem: Postmortem) throws {
            artifact = PostgresJSON(rawJSON: postmortem.artifact?.json.serialized ?? "{}")
            triggers = postmortem.triggers.map(\.trigger.description)
            status = postmortem.status == .closed ? "closed" : "open"
            document = PostgresJSON(rawJSON: postmortem.json.serialized)
        }
    }
}
