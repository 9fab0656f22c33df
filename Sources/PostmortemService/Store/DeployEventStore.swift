import Foundation
import Postgres
import PostmortemCore

/// Stores input events exactly once (by CloudEvents source + id), keeps the `deploys` row of
/// each deploy current, and attributes events that carry no deploy ID.
struct DeployEventStore: Sendable {
    let decoder: EventDecoder
    let attributor: Attributor

    /// Where a message came from on the bus (kept for forensics).
    struct Origin: Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    /// What storing one event did.
    struct Insertion: Sendable {
        /// False when the event (source + id) was stored before: a redelivery or duplicate.
        var isNew: Bool
        /// The deploy the event belongs to, when known.
        var deployId: String?
    }

    /// Inserts `event`, attributed to its deploy when possible.
    func insert(
        _ event: DecodedEvent, raw: RawEvent, origin: Origin?, on connection: isolated PostgresConnection
    ) throws -> Insertion {
        var deployId = event.event.deployId
        if deployId == nil {
            switch attributor.attribute(event, candidates: try candidates(for: event, on: connection)) {
            case .deploy(let id, _): deployId = id
            case .none: deployId = nil
            }
        }
        let scope = event.event.serviceAndEnvironment
        let inserted = try connection.query(
            """
            INSERT INTO deploy_events (event_source, event_id, event_type, deploy_id, service, environment,
                                       occurred_at, payload, headers, attribution_keys, kafka_topic, kafka_partition, kafka_offset)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13)
            ON CONFLICT (event_source, event_id) DO NOTHING
            """,
            [
                event.key.source, event.key.id, event.type, deployId, scope?.service, scope?.environment, event.event.occurredAt,
                String(decoding: raw.value, as: UTF8.self), try Self.headersJSON(raw.headers), Self.attributionKeys(of: event),
                origin?.topic, origin?.partition, origin.map { Int64($0.offset) },
            ]
        ).affectedRows == 1
        guard inserted else { return Insertion(isNew: false, deployId: deployId) }
        if case .deployStarted(let started) = event.event {
            var timeline = DeployTimeline(deployId: started.deployId)
            timeline.apply(event)
            try recordTimeline(timeline, on: connection)
        }
        return Insertion(isNew: true, deployId: deployId)
    }

    /// Every stored event of `deployId`, decoded again from its original bytes.
    func events(of deployId: String, on connection: isolated PostgresConnection) throws -> [DecodedEvent] {
        try connection.query("SELECT payload::text, headers::text FROM deploy_events WHERE deploy_id = $1", [deployId]).map { row in
            let headers = try JSONSerialization.jsonObject(with: Data(try row.decode(String.self, at: 1).utf8)) as? [String: String] ?? [:]
            let raw = RawEvent(value: Array(try row.decode(String.self, at: 0).utf8), headers: headers.map { ($0.key, Array($0.value.utf8)) })
            // Stored events were validated on arrival; "now" only bounds future timestamps.
            return try decoder.decode(raw, now: .distantFuture)
        }
    }

    /// The deploy's timeline, folded from every stored event of it.
    func timeline(of deployId: String, on connection: isolated PostgresConnection) throws -> DeployTimeline {
        var timeline = DeployTimeline(deployId: deployId)
        for event in try events(of: deployId, on: connection) { timeline.apply(event) }
        return timeline
    }

    /// Keeps the deploy's row current with what its timeline knows (attribution reads it), and
    /// claims the unattributed events that belong to it: those sharing its artifact or CDEvents
    /// context, and those of its service and environment within the attribution window after
    /// its start. Returns how many events it claimed.
    @discardableResult
    func recordTimeline(_ timeline: DeployTimeline, on connection: isolated PostgresConnection) throws -> Int {
        guard let started = timeline.started, let candidate = timeline.candidate else { return 0 }
        try upsertDeploy(started, candidate: candidate, outcome: timeline.finished, on: connection)
        return try connection.query(
            """
            UPDATE deploy_events SET deploy_id = $1
            WHERE deploy_id IS NULL AND (
                attribution_keys && $5::text[]
                OR (service = $2 AND environment = $3
                    AND occurred_at >= $4 AND occurred_at <= $4 + make_interval(secs => $6)))
            """,
            [started.deployId, started.service, started.environment, started.startedAt,
             Array(candidate.artifactIds.union(candidate.contextIds)), attributor.window]
        ).affectedRows
    }

    private func upsertDeploy(
        _ started: DeployStarted, candidate: DeployCandidate, outcome: DeployFinished?, on connection: isolated PostgresConnection
    ) throws {
        let identifiers = try PostgresJSON(encoding: [
            "artifactIds": candidate.artifactIds.sorted(), "contextIds": candidate.contextIds.sorted(),
        ])
        try connection.query(
            """
            INSERT INTO deploys (deploy_id, service, environment, artifact_name, artifact_version, artifact_digest,
                                 artifact_purl, commit_sha, team, owner, pipeline_url, started_at, finished_at, outcome, timeline)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (deploy_id) DO UPDATE SET
                service = EXCLUDED.service, environment = EXCLUDED.environment,
                artifact_name = EXCLUDED.artifact_name, artifact_version = EXCLUDED.artifact_version,
                artifact_digest = EXCLUDED.artifact_digest, artifact_purl = EXCLUDED.artifact_purl,
                commit_sha = EXCLUDED.commit_sha, team = EXCLUDED.team, owner = EXCLUDED.owner,
                pipeline_url = EXCLUDED.pipeline_url, started_at = EXCLUDED.started_at,
                finished_at = coalesce(EXCLUDED.finished_at, deploys.finished_at),
                outcome = coalesce(EXCLUDED.outcome, deploys.outcome),
                timeline = EXCLUDED.timeline, updated_at = now()
            """,
            [
                started.deployId, started.service, started.environment, started.artifact?.name, started.artifact?.version,
                started.artifact?.digest, started.artifact?.purl, started.commit, started.team, started.owner,
                started.pipelineUrl, started.startedAt, outcome?.finishedAt, outcome?.outcome.rawValue, identifiers,
            ])
    }

    /// Deploys the event could belong to: same service and environment started within the
    /// attribution window before it, or sharing an artifact or CDEvents context with it.
    private func candidates(for event: DecodedEvent, on connection: isolated PostgresConnection) throws -> [DeployCandidate] {
        let scope = event.event.serviceAndEnvironment
        let keys = Self.attributionKeys(of: event)
        return try connection.query(
            """
            SELECT deploy_id, service, environment, started_at, timeline->'artifactIds', timeline->'contextIds'
            FROM deploys
            WHERE started_at IS NOT NULL AND (
                (service = $1 AND environment = $2
                 AND started_at BETWEEN $3 - make_interval(secs => $4) AND $3)
                OR (timeline->'artifactIds') ?| $5::text[] OR (timeline->'contextIds') ?| $5::text[])
            """,
            [scope?.service, scope?.environment, event.event.occurredAt, attributor.window, keys]
        ).map { row in
            DeployCandidate(
                deployId: try row.decode(String.self, at: 0), service: try row.decode(String.self, at: 1),
                environment: try row.decode(String.self, at: 2), startedAt: try row.decode(Date.self, at: 3),
                artifactIds: Set(try row.decode(PostgresJSON.self, at: 4).decode([String].self)),
                contextIds: Set(try row.decode(PostgresJSON.self, at: 5).decode([String].self)))
        }
    }

    /// The identifiers by which a deploy can claim `event`: its artifact, chain and linked contexts.
    static func attributionKeys(of event: DecodedEvent) -> [String] {
        [event.artifactId, event.chainId].compactMap { $0 } + event.linkedContextIds
    }

    /// Message headers as a JSON object of UTF-8 strings (the binary-mode `ce_*` attributes).
    static func headersJSON(_ headers: [RawEvent.Header]) throws -> PostgresJSON {
        var object: [String: String] = [:]
        for header in headers { object[header.key] = String(decoding: header.value, as: UTF8.self) }
        return try PostgresJSON(encoding: object)
    }
}
