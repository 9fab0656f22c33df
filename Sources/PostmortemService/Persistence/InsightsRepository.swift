import Foundation
import Postgres
import PostmortemCore

/// Which deploys the delivery figures count (all filters optional) over `[from, to)`.
struct DeliveryFilter: Sendable, Hashable {
    var service: String?
    var environment: String?
    var team: String?
    var from: Date
    var to: Date
}

/// The reads behind `/v1/insights`: deploys with their postmortems' triggers, and the findings
/// of stored postmortems. Read-only joins of `deploys` and `postmortems` (whose writes stay in
/// ``DeployRepository`` and ``PostmortemRepository``).
struct InsightsRepository: Sendable {
    /// The deploys of `filter` that started in `[start, end)` (the caller widens the window by
    /// the rules' context), each with its postmortem's triggers and earliest rollback.
    /// Deploys whose start, service or environment is unknown yet are not deploys to count.
    func deployRecords(_ filter: DeliveryFilter, start: Date, end: Date, on connection: isolated PostgresConnection)
        throws -> [DeployRecord]
    {
        try connection.query(
            """
            SELECT d.deploy_id, d.service, d.environment, d.team, d.started_at, d.finished_at, d.outcome,
                   p.triggers, p.rolled_back_at
            FROM deploys d LEFT JOIN postmortems p ON p.deploy_id = d.deploy_id AND p.status <> 'withdrawn'
            WHERE d.started_at >= \(start) AND d.started_at < \(end)
              AND d.service IS NOT NULL AND d.environment IS NOT NULL
              AND (\(filter.service)::text IS NULL OR d.service = \(filter.service))
              AND (\(filter.environment)::text IS NULL OR d.environment = \(filter.environment))
              AND (\(filter.team)::text IS NULL OR d.team = \(filter.team))
            """
        ).map { row -> DeployRecord in
            let outcome: String? = try row.decode(at: 6)
            return DeployRecord(
                deployId: try row.decode(at: 0), service: try row.decode(at: 1), environment: try row.decode(at: 2),
                team: try row.decode(at: 3), startedAt: try row.decode(at: 4), finishedAt: try row.decode(at: 5),
                outcome: try outcome.map { text -> DeployOutcome in
                    guard let parsed = DeployOutcome(rawValue: text) else {
                        throw PostgresError(.decoding, "deploys.outcome: unknown value \(text)")
                    }
                    return parsed
                },
                triggers: try row.decode([String]?.self, at: 7) ?? [], rolledBackAt: try row.decode(at: 8))
        }
    }

    /// Every finding of the postmortems opened in `[from, to)`, with its postmortem. Findings of
    /// a kind or gate this version does not know are left out.
    func gapOccurrences(from: Date, to: Date, on connection: isolated PostgresConnection) throws -> [GapOccurrence] {
        try connection.query(
            """
            SELECT p.postmortem_id::text, p.deploy_id, p.service, p.environment, p.opened_at,
                   f->>'gate', f->>'kind', f->>'metric'
            FROM postmortems p CROSS JOIN LATERAL jsonb_array_elements(
                CASE WHEN jsonb_typeof(p.findings) = 'array' THEN p.findings ELSE '[]'::jsonb END) AS f
            WHERE p.opened_at >= \(from) AND p.opened_at < \(to) AND p.status <> 'withdrawn'
            """
        ).compactMap { row -> GapOccurrence? in
            guard let gate = FindingArea(rawValue: try row.decode(String?.self, at: 5) ?? ""),
                let kind = FindingKind(rawValue: try row.decode(String?.self, at: 6) ?? "")
            else { return nil }
            return GapOccurrence(
                postmortemId: try row.decode(at: 0), deployId: try row.decode(at: 1), service: try row.decode(at: 2),
                environment: try row.decode(at: 3), openedAt: try row.decode(at: 4), gate: gate, kind: kind,
                metric: try row.decode(at: 7))
        }
    }

    /// Up to `limit` deploys of `service` in `environment` that started after `after` and may
    /// show a regression (they did not succeed, or have a postmortem), oldest first, each with
    /// the findings of its postmortem (none without one).
    func regressionCandidates(
        service: String, environment: String, after: Date, limit: Int, on connection: isolated PostgresConnection
    ) throws -> [(deployId: String, findings: [FindingFacts])] {
        try connection.query(
            """
            SELECT d.deploy_id, coalesce(p.findings, '[]'::jsonb)::text
            FROM deploys d LEFT JOIN postmortems p ON p.deploy_id = d.deploy_id AND p.status <> 'withdrawn'
            WHERE d.service = \(service) AND d.environment = \(environment) AND d.started_at > \(after)
              AND (p.deploy_id IS NOT NULL OR d.outcome IS NULL OR d.outcome = 'failed')
            ORDER BY d.started_at, d.deploy_id LIMIT \(limit)
            """
        ).map { row -> (deployId: String, findings: [FindingFacts]) in
            let deployId: String = try row.decode(at: 0)
            let text: String = try row.decode(at: 1)
            let document: JSONValue
            do {
                document = try JSONValue(parsing: Array(text.utf8), maxDepth: 64)
            } catch {
                throw PostgresError(.decoding, "postmortems.findings of \(deployId): \(error)")
            }
            guard case .array(let elements) = document else { return (deployId, []) }
            var findings: [FindingFacts] = []
            for element in elements {
                guard case .object(let fields) = element, case .string(let gateName)? = fields["gate"],
                    case .string(let kindName)? = fields["kind"], let area = FindingArea(rawValue: gateName),
                    let kind = FindingKind(rawValue: kindName)
                else { continue }
                var metric: String?
                if case .string(let name)? = fields["metric"] { metric = name }
                findings.append((area, kind, metric))
            }
            return (deployId, findings)
        }
    }
}
