import Foundation
import Postgres
import PostmortemCore

/// One accepted input message: the decoded event, its original bytes, and where it came from.
struct AcceptedEvent: Sendable {
    var event: DecodedEvent
    var raw: RawEvent
    var origin: DeployRepository.Origin?
}

/// The `deploys` and `deploy_events` tables: every statement that reads or writes them. Stores
/// input events exactly once (by CloudEvents source + id), keeps the `deploys` row of each
/// deploy current, and attributes events that carry no deploy ID.
struct DeployRepository: Sendable {
    let decoder: EventDecoder
    let attributor: Attributor

    /// Where a message came from on the bus (kept for forensics).
    struct Origin: Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    /// What storing a batch of deploy-side events did.
    struct Insertion: Sendable {
        /// The events written now, by key: new ones, and copies that replaced a stored copy of
        /// their identity with a larger content digest.
        var written: [EventKey: DecodedEvent] = [:]
        /// Deploys that lost an event to a replacing copy naming another deploy (or none).
        var deploysLosingEvents: Set<String> = []
        /// Identities seen with different contents (in the batch or against the stored copy).
        var conflicts: [ConflictingDuplicate] = []
        /// Headers the contract does not read that were not kept, over ``StoredHeaders``' caps.
        var headersDropped = 0
    }

    /// Stores `events` in one statement, each under the deploy it names; an event without a
    /// deploy ID is stored unattributed and pending, for the analysis step to attribute. An
    /// event stored before with the same content (also twice within `events`) is skipped. Of
    /// copies of one identity with different contents, the one with the smallest content digest
    /// is kept, the stored one replaced if need be: the same rule as `analyze`, whatever the
    /// order they arrive in. Rows go in key order, so concurrent inserts of overlapping batches
    /// cannot deadlock.
    func insert(_ events: [AcceptedEvent], on connection: isolated PostgresConnection) throws -> Insertion {
        guard !events.isEmpty else { return Insertion() }
        let (kept, batchConflicts) = ConflictingDuplicate.resolve(events) { $0.event }
        var e = EventColumns(capacity: kept.count)
        for accepted in kept { try e.append(accepted) }
        // The upsert records the deploy a replaced copy belonged to in the row it rewrites
        // (`replaced_deploy_id`): read in the same statement, so no concurrent writer can slip
        // between. `s` reads the statement's snapshot, i.e. the copies as they were before
        // it: their digests are only reported. It is a lateral lookup by primary key per event:
        // as a join, the planner could not size the batch and scanned the whole table per batch.
        let rows = try connection.query(
            """
            WITH batch AS (
                SELECT * FROM unnest(\(e.sources)::text[], \(e.ids)::text[], \(e.types)::text[], \(e.deployIds)::text[],
                                     \(e.services)::text[], \(e.environments)::text[], \(e.occurredAt)::timestamptz[],
                                     \(e.payloads)::text[], \(e.headers)::text[], \(e.keys)::text[], \(e.topics)::text[],
                                     \(e.partitions)::int4[], \(e.offsets)::int8[], \(e.digests)::text[],
                                     \(e.traceParents)::text[])
                    AS e(source, id, type, deploy_id, service, environment, occurred_at, payload, headers, keys, topic, partition,
                         "offset", digest, traceparent)
            ), written AS (
                INSERT INTO deploy_events (event_source, event_id, event_type, deploy_id, attribution_pending, movable, service,
                                           environment, occurred_at, payload, headers, attribution_keys, kafka_topic,
                                           kafka_partition, kafka_offset, content_digest, traceparent)
                SELECT source, id, type, deploy_id, deploy_id IS NULL, deploy_id IS NULL, service, environment, occurred_at, payload::jsonb,
                       headers::jsonb, ARRAY(SELECT jsonb_array_elements_text(keys::jsonb)), topic, partition, "offset", digest,
                       traceparent
                FROM batch
                ON CONFLICT (event_source, event_id) DO UPDATE SET
                    event_type = EXCLUDED.event_type, deploy_id = EXCLUDED.deploy_id,
                    attribution_pending = EXCLUDED.attribution_pending, movable = EXCLUDED.movable, service = EXCLUDED.service,
                    environment = EXCLUDED.environment, occurred_at = EXCLUDED.occurred_at, received_at = now(),
                    payload = EXCLUDED.payload, headers = EXCLUDED.headers, attribution_keys = EXCLUDED.attribution_keys,
                    kafka_topic = EXCLUDED.kafka_topic, kafka_partition = EXCLUDED.kafka_partition,
                    kafka_offset = EXCLUDED.kafka_offset, content_digest = EXCLUDED.content_digest,
                    traceparent = EXCLUDED.traceparent, replaced_deploy_id = deploy_events.deploy_id
                WHERE EXCLUDED.content_digest < deploy_events.content_digest
                RETURNING event_source, event_id, xmax <> 0 AS replaced, replaced_deploy_id
            )
            SELECT b.source, b.id, w.event_id IS NOT NULL, coalesce(w.replaced, false), w.replaced_deploy_id, s.content_digest
            FROM batch b
            LEFT JOIN written w ON w.event_source = b.source AND w.event_id = b.id
            LEFT JOIN LATERAL (
                SELECT content_digest FROM deploy_events s WHERE s.event_source = b.source AND s.event_id = b.id
            ) s ON true
            """)
        let byKey = Dictionary(kept.map { ($0.event.key, $0.event) }, uniquingKeysWith: { first, _ in first })
        var insertion = Insertion()
        var digests = Dictionary(grouping: batchConflicts, by: \.key).mapValues { Set($0[0].others + [$0[0].kept]) }
        for row in rows {
            let key = EventKey(source: try row.decode(String.self, at: 0), id: try row.decode(String.self, at: 1))
            guard let event = byKey[key] else { continue }
            if try row.decode(Bool.self, at: 2) {
                insertion.written[key] = event
                if try row.decode(Bool.self, at: 3), let lost = try row.decode(String?.self, at: 4),
                    lost != event.event.deployId
                {
                    insertion.deploysLosingEvents.insert(lost)
                }
            }
            // A copy stored before the digest was kept (NULL) cannot be compared: it stays. (A
            // copy another replica committed during this statement is outside its snapshot: it is
            // still resolved by the rule, only not reported.)
            if let storedDigest = try row.decode(String?.self, at: 5), storedDigest != event.contentDigest {
                digests[key, default: [event.contentDigest]].insert(storedDigest)
            }
        }
        insertion.conflicts = digests.sorted { $0.key < $1.key }.map { key, contents in
            let sorted = contents.sorted()
            return ConflictingDuplicate(
                key: key, kept: sorted[0], others: Array(sorted.dropFirst()), resolution: .smallestDigestKept)
        }
        insertion.headersDropped = e.headersDropped
        return insertion
    }

    /// The events awaiting attribution, locked, decoded again from their stored bytes.
    func pendingAttribution(on connection: isolated PostgresConnection) throws -> [DecodedEvent] {
        try connection.query(
            "SELECT payload::text, headers::text FROM deploy_events WHERE attribution_pending ORDER BY event_source, event_id FOR UPDATE"
        ).map {
            try decodeStored(payload: try $0.decode(String.self, at: 0), headers: try $0.decode(String.self, at: 1))
        }
    }

    /// Attributes each pending event among the stored deploys and the `fresh` ones (folded
    /// from their events just now; they stand in for their `deploys` rows, which may not be
    /// written yet or be stale) and clears its pending mark, in one statement. An event no
    /// deploy fits stays unattributed (a deploy that appears later takes it, see
    /// ``reattribute(around:on:)``). Returns the events attributed, by deploy, and the failure
    /// events no deploy fits, with why (for a log line and a metric: a failure is never
    /// silently dropped).
    func attribute(
        _ pending: [DecodedEvent], fresh: [DeployCandidate] = [], on connection: isolated PostgresConnection
    ) throws -> (attributed: [String: [DecodedEvent]], unattributedFailures: [UnattributedEvent]) {
        guard !pending.isEmpty else { return ([:], []) }
        var attributed: [String: [DecodedEvent]] = [:]
        var failures: [UnattributedEvent] = []
        let assigned = try assign(pending, fresh: fresh, on: connection)
        for (event, attribution) in zip(pending, assigned) {
            switch attribution {
            case .deploy(let id, _): attributed[id, default: []].append(event)
            case .none(let reason):
                if event.event.reportsFailure {
                    failures.append(UnattributedEvent(key: event.key, reason: reason, kind: event.event.kind))
                }
            }
        }
        try setDeploys(of: pending.map(\.key), to: assigned.map(\.deployId), on: connection)
        return (attributed, failures)
    }

    /// One event whose deploy the attribution rules now read differently.
    struct AttributionMove: Sendable, Hashable {
        var key: EventKey
        /// The deploy it belonged to, nil when unattributed.
        var from: String?
        /// The deploy it belongs to now, nil when no deploy fits it any more.
        var to: String?
        /// Whether the event reports a failure (a rollback, impact, intervention, failed gate or
        /// deploy): only such a move can take a deploy's trigger.
        var reportsFailure: Bool
    }

    /// Re-derives which deploy each event without a deploy ID of its own belongs to, for the
    /// events that the deploys of `touched` (folded just now; they stand in for their `deploys`
    /// rows) may take or give up: those of each one's service and environment within the
    /// attribution window after its start, those attributed to it, and unattributed ones that
    /// share its artifact or CDEvents context. SQL only selects them, locked; ``Attributor``
    /// decides, with the same rules as `analyze`, so a deploy that appears after the events
    /// it owns (a hotfix whose start arrives after the rollback) takes them from the one that
    /// held them. Moves those whose deploy changed, in one statement, and returns the moves.
    func reattribute(around touched: [DeployCandidate], on connection: isolated PostgresConnection) throws
        -> [AttributionMove]
    {
        guard !touched.isEmpty else { return [] }
        let identifiers = Array(Set(touched.flatMap { $0.artifactIds.union($0.contextIds) }))
        let rows = try connection.query(
            """
            SELECT e.deploy_id, e.payload::text, e.headers::text FROM deploy_events e
            WHERE e.movable AND NOT e.attribution_pending AND (e.event_source, e.event_id) IN (
                SELECT x.event_source, x.event_id FROM deploy_events x
                WHERE x.movable AND x.deploy_id = ANY(\(touched.map(\.deployId))::text[])
                UNION ALL
                SELECT x.event_source, x.event_id
                FROM unnest(\(touched.map(\.service))::text[], \(touched.map(\.environment))::text[],
                            \(touched.map(\.startedAt))::timestamptz[]) AS t(service, environment, started_at)
                JOIN deploy_events x ON x.movable AND x.service = t.service AND x.environment = t.environment
                    AND x.occurred_at BETWEEN t.started_at AND t.started_at + make_interval(secs => \(attributor.window))
                UNION ALL
                SELECT x.event_source, x.event_id FROM deploy_events x
                WHERE x.deploy_id IS NULL AND x.movable AND x.attribution_keys && \(identifiers)::text[])
            ORDER BY e.event_source, e.event_id FOR UPDATE OF e
            """)
        var events: [DecodedEvent] = []
        var current: [String?] = []
        for row in rows {
            let event = try decodeStored(
                payload: try row.decode(String.self, at: 1), headers: try row.decode(String.self, at: 2))
            // Rows stored before the `movable` mark may name their own deploy: theirs stands.
            guard event.event.deployId == nil else { continue }
            events.append(event)
            current.append(try row.decode(String?.self, at: 0))
        }
        guard !events.isEmpty else { return [] }
        var moves: [AttributionMove] = []
        let assigned = try assign(events, fresh: touched, on: connection)
        for ((event, from), attribution) in zip(zip(events, current), assigned) where from != attribution.deployId {
            moves.append(
                AttributionMove(
                    key: event.key, from: from, to: attribution.deployId, reportsFailure: event.event.reportsFailure))
        }
        try setDeploys(of: moves.map(\.key), to: moves.map(\.to), on: connection)
        return moves
    }

    /// The attribution of each of `events` among the stored deploys that could own it and the
    /// `fresh` ones, which stand in for their stored rows.
    private func assign(_ events: [DecodedEvent], fresh: [DeployCandidate], on connection: isolated PostgresConnection)
        throws -> [Attribution]
    {
        let freshIds = Set(fresh.map(\.deployId))
        return try events.map { event in
            let stored = try candidates(for: event, on: connection).filter { !freshIds.contains($0.deployId) }
            return attributor.attribute(event, candidates: stored + fresh)
        }
    }

    /// Sets the deploy of each event of `keys` (nil: unattributed) and clears its pending mark.
    private func setDeploys(of keys: [EventKey], to deployIds: [String?], on connection: isolated PostgresConnection)
        throws
    {
        guard !keys.isEmpty else { return }
        try connection.query(
            """
            UPDATE deploy_events e SET deploy_id = a.deploy_id, attribution_pending = false
            FROM unnest(\(keys.map(\.source))::text[], \(keys.map(\.id))::text[], \(deployIds)::text[]) AS a(source, id, deploy_id)
            WHERE e.event_source = a.source AND e.event_id = a.id
            """)
    }

    /// The columns of a multi-row event insert, as arrays.
    private struct EventColumns {
        var sources: [String] = [], ids: [String] = [], types: [String] = [], deployIds: [String?] = []
        var services: [String?] = [], environments: [String?] = [], occurredAt: [Date] = []
        var payloads: [String] = [], headers: [String] = [], keys: [String] = []
        var topics: [String?] = [], partitions: [Int32?] = [], offsets: [Int64?] = [], digests: [String] = []
        var traceParents: [String?] = []
        /// Headers not kept, over ``StoredHeaders``' caps.
        var headersDropped = 0

        init(capacity: Int) {
            sources.reserveCapacity(capacity)
            payloads.reserveCapacity(capacity)
        }

        mutating func append(_ accepted: AcceptedEvent) throws {
            let event = accepted.event
            let scope = event.event.serviceAndEnvironment
            sources.append(event.key.source)
            ids.append(event.key.id)
            types.append(event.type)
            deployIds.append(event.event.deployId)
            services.append(scope?.service)
            environments.append(scope?.environment)
            occurredAt.append(event.event.occurredAt)
            payloads.append(String(decoding: accepted.raw.value, as: UTF8.self))
            let stored = StoredHeaders(accepted.raw.headers)
            headers.append(stored.json.serialized)
            headersDropped += stored.dropped
            keys.append(try PostgresJSON(encoding: DeployRepository.attributionKeys(of: event)).text)
            topics.append(accepted.origin?.topic)
            partitions.append(accepted.origin?.partition)
            offsets.append(accepted.origin.map(\.offset))
            digests.append(event.contentDigest)
            traceParents.append(event.traceParent?.description)
        }
    }

    /// The timelines of `deployIds`, folded from every stored event of each (one query). Events
    /// in `known` (decoded moments ago) are not decoded again while they are the stored copy.
    func timelines(
        of deployIds: [String], known: [EventKey: DecodedEvent] = [:], on connection: isolated PostgresConnection
    ) throws -> [String: DeployTimeline] {
        guard !deployIds.isEmpty else { return [:] }
        var events: [String: [DecodedEvent]] = [:]
        let rows = try connection.query(
            """
            SELECT deploy_id, event_source, event_id, payload::text, headers::text, content_digest FROM deploy_events
            WHERE deploy_id = ANY(\(deployIds)::text[])
            """)
        for row in rows {
            let key = EventKey(source: try row.decode(String.self, at: 1), id: try row.decode(String.self, at: 2))
            // What this replica decoded is used only while it is still the stored copy: another
            // replica may have replaced it by a conflicting copy with a smaller digest since.
            let stillStored = try known[key].flatMap {
                $0.contentDigest == (try row.decode(String?.self, at: 5)) ? $0 : nil
            }
            let event =
                try stillStored
                ?? decodeStored(
                    payload: try row.decode(String.self, at: 3), headers: try row.decode(String.self, at: 4))
            events[try row.decode(String.self, at: 0), default: []].append(event)
        }
        return Dictionary(
            uniqueKeysWithValues: deployIds.map { deployId in
                var timeline = DeployTimeline(deployId: deployId)
                timeline.apply(contentsOf: events[deployId] ?? [])
                return (deployId, timeline)
            })
    }

    /// A stored event decoded again from its original bytes.
    private func decodeStored(payload: String, headers headersJSON: String) throws -> DecodedEvent {
        let raw = RawEvent(value: Array(payload.utf8), headers: try StoredHeaders.headers(fromStored: headersJSON))
        // Stored events were validated on arrival; "now" only bounds future timestamps.
        return try decoder.decode(raw, now: .distantFuture)
    }

    /// Keeps the `deploys` row of every started deploy among `timelines` current with what its
    /// timeline knows (attribution reads them), in one statement: the only statement that
    /// writes `deploys` (the analysis step runs it once per step, with its final timelines).
    func recordDeploys(_ timelines: some Sequence<DeployTimeline>, on connection: isolated PostgresConnection) throws {
        var d = DeployColumns()
        for timeline in timelines {
            guard let started = timeline.started, let candidate = timeline.candidate else { continue }
            try d.append(started, candidate: candidate, outcome: timeline.finished)
        }
        guard !d.deployIds.isEmpty else { return }
        try connection.query(
            """
            INSERT INTO deploys (deploy_id, service, environment, artifact_name, artifact_version, artifact_digest,
                                 artifact_purl, commit_sha, team, owner, pipeline_url, started_at, finished_at, outcome, timeline)
            SELECT deploy_id, service, environment, artifact_name, artifact_version, artifact_digest, artifact_purl, commit_sha,
                   team, owner, pipeline_url, started_at, finished_at, outcome, timeline::jsonb
            FROM unnest(\(d.deployIds)::text[], \(d.services)::text[], \(d.environments)::text[], \(d.artifactNames)::text[],
                        \(d.artifactVersions)::text[], \(d.artifactDigests)::text[], \(d.artifactPurls)::text[],
                        \(d.commits)::text[], \(d.teams)::text[], \(d.owners)::text[], \(d.pipelineUrls)::text[],
                        \(d.startedAt)::timestamptz[], \(d.finishedAt)::timestamptz[], \(d.outcomes)::text[], \(d.identifiers)::text[])
                AS d(deploy_id, service, environment, artifact_name, artifact_version, artifact_digest, artifact_purl, commit_sha,
                     team, owner, pipeline_url, started_at, finished_at, outcome, timeline)
            ON CONFLICT (deploy_id) DO UPDATE SET
                service = EXCLUDED.service, environment = EXCLUDED.environment,
                artifact_name = EXCLUDED.artifact_name, artifact_version = EXCLUDED.artifact_version,
                artifact_digest = EXCLUDED.artifact_digest, artifact_purl = EXCLUDED.artifact_purl,
                commit_sha = EXCLUDED.commit_sha, team = EXCLUDED.team, owner = EXCLUDED.owner,
                pipeline_url = EXCLUDED.pipeline_url, started_at = EXCLUDED.started_at,
                finished_at = coalesce(EXCLUDED.finished_at, deploys.finished_at),
                outcome = coalesce(EXCLUDED.outcome, deploys.outcome),
                timeline = EXCLUDED.timeline, updated_at = now()
            """)
    }

    /// The columns of a multi-row `deploys` upsert, as arrays.
    private struct DeployColumns {
        var deployIds: [String] = [], services: [String] = [], environments: [String] = []
        var artifactNames: [String?] = [], artifactVersions: [String?] = [], artifactDigests: [String?] = []
        var artifactPurls: [String?] = [], commits: [String?] = [], teams: [String?] = [], owners: [String?] = []
        var pipelineUrls: [String?] = [], startedAt: [Date] = [], finishedAt: [Date?] = [], outcomes: [String?] = []
        var identifiers: [String] = []

        mutating func append(_ started: DeployStarted, candidate: DeployCandidate, outcome: DeployFinished?) throws {
            deployIds.append(started.deployId)
            services.append(started.service)
            environments.append(started.environment)
            artifactNames.append(started.artifact?.name)
            artifactVersions.append(started.artifact?.version)
            artifactDigests.append(started.artifact?.digest)
            artifactPurls.append(started.artifact?.purl)
            commits.append(started.commit)
            teams.append(started.team)
            owners.append(started.owner)
            pipelineUrls.append(started.pipelineUrl)
            startedAt.append(started.startedAt)
            finishedAt.append(outcome?.finishedAt)
            outcomes.append(outcome?.outcome.rawValue)
            identifiers.append(
                try PostgresJSON(encoding: [
                    "artifactIds": candidate.artifactIds.sorted(), "contextIds": candidate.contextIds.sorted(),
                ]).text)
        }
    }

    /// Deploys the event could belong to: same service and environment started within the
    /// attribution window before it, or sharing an artifact or CDEvents context with it; never
    /// of another service or environment than the event names.
    private func candidates(for event: DecodedEvent, on connection: isolated PostgresConnection) throws
        -> [DeployCandidate]
    {
        let (service, environment) = (
            event.event.serviceAndEnvironment?.service, event.event.serviceAndEnvironment?.environment
        )
        let (keys, at) = (Self.attributionKeys(of: event), event.event.occurredAt)
        return try connection.query(
            """
            SELECT deploy_id, service, environment, started_at, timeline->'artifactIds', timeline->'contextIds'
            FROM deploys
            WHERE started_at IS NOT NULL AND (\(service)::text IS NULL OR (service = \(service) AND environment = \(environment))) AND (
                (service = \(service) AND environment = \(environment)
                 AND started_at BETWEEN \(at) - make_interval(secs => \(attributor.window)) AND \(at))
                OR (timeline->'artifactIds') ?| \(keys)::text[] OR (timeline->'contextIds') ?| \(keys)::text[])
            """
        ).map { row in
            DeployCandidate(
                deployId: try row.decode(String.self, at: 0), service: try row.decode(String.self, at: 1),
                environment: try row.decode(String.self, at: 2), startedAt: try row.decode(Date.self, at: 3),
                artifactIds: Set(try row.decode(PostgresJSON.self, at: 4).decode([String].self)),
                contextIds: Set(try row.decode(PostgresJSON.self, at: 5).decode([String].self)))
        }
    }

    /// The identifiers by which a deploy can claim `event` (``DecodedEvent/attributionKeys``),
    /// plus, for a rollback to an artifact, ``rolledBackToKey(_:)`` of it, which keeps the
    /// deploy of that artifact from claiming the rollback.
    static func attributionKeys(of event: DecodedEvent) -> [String] {
        event.attributionKeys + [event.rolledBackToArtifact.map(rolledBackToKey)].compactMap { $0 }
    }

    /// The trace context output events of `deployId` continue: that of its latest event (by
    /// occurrence, then source and ID, so every replica picks the same) that carried one.
    static func traceParent(ofDeploy deployId: String, on connection: isolated PostgresConnection) throws
        -> TraceParent?
    {
        try connection.query(
            """
            SELECT traceparent FROM deploy_events WHERE deploy_id = \(deployId) AND traceparent IS NOT NULL
            ORDER BY occurred_at DESC, event_source DESC, event_id DESC LIMIT 1
            """
        ).first.flatMap { TraceParent(try $0.decode(String.self, at: 0)) }
    }

    /// The stored attribution key that marks a rollback to `artifact`.
    static func rolledBackToKey(_ artifact: String) -> String { "rolled-back-to:" + artifact }

}
