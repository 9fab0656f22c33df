import Foundation
import Postgres
import PostmortemCore

/// Reads postmortems back as domain values (for rendering): the deploy's stored events and
/// metrics analyzed again, with the stored lifecycle of the action items.
public struct PostmortemReader: Sendable {
    private let pool: PostgresPool
    private let events: DeployEventStore
    private let metrics: MetricStore
    private let postmortems: PostmortemStore
    private let analyzer: PostmortemAnalyzer

    init(pool: PostgresPool, events: DeployEventStore, metrics: MetricStore, postmortems: PostmortemStore, analyzer: PostmortemAnalyzer) {
        self.pool = pool
        self.events = events
        self.metrics = metrics
        self.postmortems = postmortems
        self.analyzer = analyzer
    }

    /// Deploy IDs of every postmortem, oldest first.
    public func deployIDs() async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("SELECT deploy_id FROM postmortems ORDER BY opened_at, deploy_id").map { try $0.decode(String.self, at: 0) }
        }
    }

    /// The postmortem of `deployId`, or nil when the deploy has none.
    public func postmortem(ofDeploy deployId: String) async throws -> Postmortem? {
        try await pool.withConnection { [self] connection in try postmortem(ofDeploy: deployId, on: connection) }
    }

    /// The postmortem of `deployId` read on `connection` (inside the caller's transaction).
    func postmortem(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws -> Postmortem? {
        guard try !connection.query("SELECT 1 FROM postmortems WHERE deploy_id = $1", [deployId]).isEmpty else { return nil }
        let timeline = try events.timeline(of: deployId, on: connection)
        guard let analysis = analyzer.analyze(timeline, metrics: try metrics.series(around: timeline, on: connection)) else { return nil }
        return try postmortems.current(analysis, on: connection)
    }
}

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
    var status: PostmortemStatus?
    var deployId: String?
    /// Opened at or after.
    var since: Date?
    var limit = 50
    var after: PageCursor?
}

/// A postmortem as it stands, with its bookkeeping times.
struct PostmortemRecord: Sendable {
    var postmortem: Postmortem
    var openedAt: Date
    var updatedAt: Date
    var closedAt: Date?
}

extension PostmortemReader {
    /// One page of postmortems, newest first.
    func summaries(_ filter: PostmortemFilter) async throws -> Page<PostmortemSummary> {
        let rows = try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT p.postmortem_id::text AS id, p.deploy_id, p.service, p.environment, p.severity, p.status,
                       array_to_string(p.triggers, ',') AS triggers, p.opened_at, p.updated_at, p.closed_at, p.rolled_back_at,
                       count(a.*) FILTER (WHERE a.status IN ('open', 'in_progress')) AS open_items, count(a.*) AS items,
                       (extract(epoch FROM p.opened_at) * 1000000)::bigint AS sort_key
                FROM postmortems p LEFT JOIN action_items a USING (postmortem_id)
                WHERE ($1::text IS NULL OR p.service = $1) AND ($2::text IS NULL OR p.environment = $2)
                  AND ($3::text IS NULL OR p.status = $3) AND ($4::text IS NULL OR p.deploy_id = $4)
                  AND ($5::timestamptz IS NULL OR p.opened_at >= $5)
                  AND ($6::bigint IS NULL OR (p.opened_at, p.postmortem_id) < (to_timestamp(0) + $6 * interval '1 microsecond', $7::uuid))
                GROUP BY p.postmortem_id
                ORDER BY p.opened_at DESC, p.postmortem_id DESC
                LIMIT $8
                """,
                [filter.service, filter.environment, filter.status?.rawValue, filter.deployId, filter.since,
                 filter.after?.microseconds, filter.after?.id, filter.limit + 1]
            ).map { row in
                let summary = PostmortemSummary(
                    id: try row.decode(named: "id"), deployId: try row.decode(named: "deploy_id"), service: try row.decode(named: "service"),
                    environment: try row.decode(named: "environment"), severity: try row.decode(named: "severity"),
                    status: try row.decode(named: "status"),
                    triggers: try row.decode(String.self, named: "triggers").split(separator: ",").map(String.init),
                    openedAt: try row.decode(named: "opened_at"), updatedAt: try row.decode(named: "updated_at"),
                    closedAt: try row.decode(named: "closed_at"), rolledBackAt: try row.decode(named: "rolled_back_at"),
                    openActionItems: try row.decode(named: "open_items"), totalActionItems: try row.decode(named: "items"))
                return (summary, PageCursor(microseconds: try row.decode(named: "sort_key"), id: summary.id))
            }
        }
        return Page(rows: rows, limit: filter.limit)
    }

    /// The postmortem with ID `id` as it stands, or nil.
    func record(id: String) async throws -> PostmortemRecord? {
        try await pool.withConnection { [self] connection in
            guard let row = try connection.query(
                "SELECT deploy_id, opened_at, updated_at, closed_at FROM postmortems WHERE postmortem_id = $1::uuid", [id]
            ).first, let postmortem = try postmortem(ofDeploy: try row.decode(named: "deploy_id"), on: connection)
            else { return nil }
            return PostmortemRecord(
                postmortem: postmortem, openedAt: try row.decode(named: "opened_at"), updatedAt: try row.decode(named: "updated_at"),
                closedAt: try row.decode(named: "closed_at"))
        }
    }
}
