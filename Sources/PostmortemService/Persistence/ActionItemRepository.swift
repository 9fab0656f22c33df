import Foundation
import Postgres
import PostmortemCore

/// An action item as stored, with the bookkeeping the API exposes.
struct StoredActionItem: Sendable {
    /// The item with its current lifecycle state.
    var item: ActionItem
    /// Optimistic-concurrency version: the `ETag`.
    var version: Int
    /// When it was planned.
    var createdAt: Date
    /// When it last changed.
    var updatedAt: Date
    /// Cancelled by re-analysis because its finding no longer applies (reopened if it returns).
    var superseded = false
    /// An owner set its due date (a `rescheduled` change): re-analysis no longer moves it.
    /// Read by ``ActionItemRepository/items(ofPostmortem:on:)`` only.
    var rescheduled = false
    /// Its follow-up verdict (pending for an item no deploy judged, or whose fix changes no gate).
    var followUp = FollowUpState.pending
    /// When the current verdict was published (nil before the first).
    var followUpJudgedAt: Date? = nil
    /// When its follow-up was last judged (nil before the first judgement).
    var followUpCheckedAt: Date? = nil
}

/// A done item whose gate change is to be judged (again) by the regressions of its metric.
struct PendingFollowUp: Sendable {
    /// The item as read (its version guards the verdict's write against a concurrent edit).
    var stored: StoredActionItem
    /// What the item changed, and when it was done.
    var change: GateChange
    /// The count of input changes of its service and environment this judgement sees.
    var inputs: Int
}

/// Which action items to list (all filters optional), `limit` per page.
struct ActionItemFilter: Sendable {
    var owner: String?
    var status: ActionItemStatus?
    /// true: open or in progress and past due; false: the others.
    var overdue: Bool?
    var postmortemId: String?
    var limit = 50
    var after: PageCursor?
}

/// The `action_items` table: every statement that reads or writes it. A change is recorded
/// with its history entry and its lifecycle events in the outbox, in the caller's transaction;
/// each event is numbered with the item's next event version and continues the trace of the
/// deploy's input events.
struct ActionItemRepository: Sendable {
    /// Source, schema base and links of every event.
    let encoder: OutputEventEncoder
    let outbox: OutboxRepository

    /// The select list (and `FROM`) of a ``StoredActionItem``.
    private static let columns: PostgresQuery = """
        a.action_item_id::text AS id, a.postmortem_id::text AS postmortem_id, p.deploy_id, a.finding_key, a.kind, a.gate,
        a.title, a.description, a.owner, a.due_at, a.status, a.evidence_url, a.overdue_reported_for, a.version,
        a.created_at, a.updated_at, a.superseded, a.proposal::text AS proposal, a.follow_up, a.follow_up_deploy_id,
        a.follow_up_deploy_started_at, a.follow_up_observed, a.follow_up_threshold, a.follow_up_missed_as,
        a.follow_up_revision, a.follow_up_judged_at, a.follow_up_checked_at
        FROM action_items a JOIN postmortems p USING (postmortem_id)
        """

    /// Listings page by due date, then ID.
    private static let keyset = Keyset(time: "a.due_at", id: "a.action_item_id", descending: false)

    /// The condition "open or in progress and past due at `now`" (``ActionItem/isOverdue(at:)``).
    private static func overdue(at now: Date, alias: String = "a.") -> PostgresQuery {
        "(\(unescaped: alias)status = ANY(\(ActionItemStatus.active.map(\.rawValue))::text[]) AND \(unescaped: alias)due_at < \(now))"
    }

    /// The items of a postmortem as stored, by ID, each marked when its owner rescheduled it
    /// (what re-analysis needs; the other reads leave ``StoredActionItem/rescheduled`` false).
    func items(ofPostmortem postmortemId: String, on connection: isolated PostgresConnection) throws -> [String:
        StoredActionItem]
    {
        var items: [String: StoredActionItem] = [:]
        for row in try connection.query("SELECT \(Self.columns) WHERE a.postmortem_id = \(postmortemId)::uuid") {
            let item = try Self.decode(row)
            items[item.item.id] = item
        }
        let rescheduled = try connection.query(
            """
            SELECT action_item_id::text FROM action_items
            WHERE postmortem_id = \(postmortemId)::uuid AND history @> '[{"type": "rescheduled"}]'::jsonb
            """)
        for row in rescheduled { items[try row.decode(String.self, at: 0)]?.rescheduled = true }
        return items
    }

    /// The items of a postmortem, by due date then ID.
    func sortedItems(ofPostmortem postmortemId: String, on connection: isolated PostgresConnection) throws
        -> [StoredActionItem]
    {
        try connection.query(
            "SELECT \(Self.columns) WHERE a.postmortem_id = \(postmortemId)::uuid ORDER BY a.due_at, a.action_item_id"
        )
        .map(Self.decode)
    }

    /// The item with `id`, or nil; `forUpdate` locks its row until the transaction ends.
    func item(_ id: String, forUpdate: Bool = false, on connection: isolated PostgresConnection) throws
        -> StoredActionItem?
    {
        try connection.query(
            "SELECT \(Self.columns) WHERE a.action_item_id = \(id)::uuid \(unescaped: forUpdate ? "FOR UPDATE OF a" : "")"
        )
        .first.map(Self.decode)
    }

    /// The deploy whose postmortem item `id` belongs to, or nil when there is no such item.
    func deployId(ofItem id: String, on connection: isolated PostgresConnection) throws -> String? {
        try connection.query(
            "SELECT p.deploy_id FROM action_items a JOIN postmortems p USING (postmortem_id) WHERE a.action_item_id = \(id)::uuid"
        ).first?.decode(String.self, at: 0)
    }

    /// One page of items matching `filter`, by due date then ID.
    func list(_ filter: ActionItemFilter, now: Date, on connection: isolated PostgresConnection) throws -> Page<
        StoredActionItem
    > {
        let rows = try connection.query(
            """
            SELECT \(Self.keyset.sortKey), \(Self.columns)
            WHERE (\(filter.owner)::text IS NULL OR a.owner = \(filter.owner))
              AND (\(filter.status?.rawValue)::text IS NULL OR a.status = \(filter.status?.rawValue))
              AND (\(filter.overdue)::boolean IS NULL OR \(Self.overdue(at: now)) = \(filter.overdue))
              AND (\(filter.postmortemId)::text IS NULL OR a.postmortem_id = \(filter.postmortemId)::uuid)
              AND \(Self.keyset.after(filter.after))
            \(Self.keyset.orderAndLimit(filter.limit))
            """)
        return try Self.keyset.page(rows, limit: filter.limit) { row in
            let item = try Self.decode(row)
            return (item, item.item.id)
        }
    }

    /// Item counts by status, and how many are overdue at `now` (for `/metrics`).
    func counts(now: Date, on connection: isolated PostgresConnection) throws -> (byStatus: [String: Int], overdue: Int)
    {
        var counts: (byStatus: [String: Int], overdue: Int) = ([:], 0)
        for row in try connection.query(
            "SELECT status, count(*), count(*) FILTER (WHERE \(Self.overdue(at: now, alias: ""))) FROM action_items GROUP BY status"
        ) {
            counts.byStatus[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
            counts.overdue += try row.decode(Int.self, at: 2)
        }
        return counts
    }

    /// Up to `limit` items overdue at `now` whose overdue state was not announced for their
    /// current due date, with their deploys, most overdue first.
    func unannouncedOverdue(at now: Date, limit: Int, on connection: isolated PostgresConnection) throws -> [(
        itemId: String, deployId: String
    )] {
        try connection.query(
            """
            SELECT a.action_item_id::text, p.deploy_id FROM action_items a JOIN postmortems p USING (postmortem_id)
            WHERE \(Self.overdue(at: now)) AND a.overdue_reported_for IS DISTINCT FROM a.due_at
            ORDER BY a.due_at LIMIT \(limit)
            """
        ).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
    }

    /// Records that `change` (an `action_item.overdue`) was announced: the due date it was for,
    /// and its event in the outbox. Neither the version nor the history moves: nobody edited it.
    func recordOverdue(_ change: ActionItemChange, now: Date, on connection: isolated PostgresConnection) throws {
        try announce(change, on: connection)
        try connection.query(
            """
            UPDATE action_items SET overdue_reported_for = \(change.item.dueAt), updated_at = \(now)
            WHERE action_item_id = \(change.item.id)::uuid
            """)
    }

    /// Inserts a newly planned item (nothing if it exists) and announces it (`action_item.created`).
    func insert(_ item: ActionItem, now: Date, on connection: isolated PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO action_items (action_item_id, postmortem_id, finding_key, kind, gate, title, description,
                                      owner, due_at, status, evidence_url, proposal, created_at, updated_at)
            VALUES (\(item.id)::uuid, \(item.postmortemId)::uuid, \(item.findingKey), \(item.kind.rawValue), \(item.gate.rawValue),
                    \(item.title), \(item.description), \(item.owner), \(item.dueAt), \(item.status.rawValue), \(item.evidenceUrl),
                    \(item.proposal?.json.serialized)::jsonb, \(now), \(now))
            ON CONFLICT (action_item_id) DO NOTHING
            """)
    }

    /// Announces items inserted with ``insert(_:now:on:)`` (after their postmortem's event).
    func announceCreated(_ items: [ActionItem], now: Date, on connection: isolated PostgresConnection) throws {
        for item in items { try announce(item.created(by: "deploy-postmortem", at: now), on: connection) }
    }

    /// Records `changes` of one item (in order; the last holds its state afterwards): the row
    /// with a new version, its history, and one lifecycle event each in the outbox.
    /// `superseded` sets the re-analysis mark; nil leaves it. Its follow-up is to be judged again
    /// (a new completion moves the time its gate change counts from).
    func record(
        _ changes: [ActionItemChange], superseded: Bool? = nil, now: Date, on connection: isolated PostgresConnection
    ) throws {
        guard let after = changes.last?.item else { return }
        let history = PostgresJSON(rawJSON: JSONValue.array(changes.map(\.historyEntry)).serialized)
        try connection.query(
            """
            UPDATE action_items SET owner = \(after.owner), due_at = \(after.dueAt), status = \(after.status.rawValue),
                evidence_url = \(after.evidenceUrl), title = \(after.title), description = \(after.description),
                proposal = \(after.proposal?.json.serialized)::jsonb,
                superseded = coalesce(\(superseded), superseded), version = version + 1, updated_at = \(now),
                history = history || \(history)::jsonb, follow_up_judged_inputs = NULL
            WHERE action_item_id = \(after.id)::uuid
            """)
        for change in changes { try announce(change, on: connection) }
    }

    /// Up to `limit` done canary and soak items whose follow-up is to be judged (again): never
    /// judged, edited since, or a deploy of their postmortem's service and environment changed
    /// since (``FollowUpInputRepository``), least recently checked first, each with what its fix
    /// changed (``GateChange``), the time it was last completed and the input count seen now.
    /// Items of other finding kinds are left out here, not after the limit: they are never
    /// judged, so they would fill the page for good.
    func followUpsToJudge(limit: Int, on connection: isolated PostgresConnection) throws -> [PendingFollowUp] {
        try connection.query(
            """
            SELECT p.service AS line_service, p.environment AS line_environment, done.at AS done_at,
                   coalesce(c.changes, 0) AS inputs, \(Self.columns)
            LEFT JOIN follow_up_inputs c ON c.service = p.service AND c.environment = p.environment
            CROSS JOIN LATERAL (
                SELECT max((h->>'changedAt')::timestamptz) AS at FROM jsonb_array_elements(a.history) h WHERE h->>'type' = 'completed'
            ) done
            WHERE a.status = 'done' AND a.gate IN ('canary', 'soak') AND done.at IS NOT NULL
              AND substring(a.finding_key FROM '^[^.:]*[.]([^:]*):') = ANY(\(GateChange.kinds.map(\.rawValue).sorted())::text[])
              AND a.follow_up_judged_inputs IS DISTINCT FROM coalesce(c.changes, 0)
            ORDER BY a.follow_up_checked_at NULLS FIRST, a.action_item_id LIMIT \(limit)
            """
        ).compactMap { row -> PendingFollowUp? in
            let stored = try Self.decode(row)
            guard
                let change = GateChange(
                    itemId: stored.item.id, findingKey: stored.item.findingKey,
                    service: try row.decode(named: "line_service"),
                    environment: try row.decode(named: "line_environment"), doneAt: try row.decode(named: "done_at"))
            else { return nil }
            return PendingFollowUp(stored: stored, change: change, inputs: try row.decode(named: "inputs"))
        }
    }

    /// Stores `state`, the follow-up of `pending` as judged now, and enqueues `event` (its
    /// verdict change, nil when the verdict is the same) — unless the item was edited since it was
    /// read or is no longer done: then nothing is written, and it is judged again next time. A
    /// repeated judgement of the same inputs yields the same verdict, so it never emits twice.
    /// True when written.
    @discardableResult
    func recordFollowUp(
        _ state: FollowUpState, of pending: PendingFollowUp, event: ActionItemChange?, now: Date,
        on connection: isolated PostgresConnection
    ) throws -> Bool {
        let evidence = state.evidence
        let written =
            try connection.query(
                """
                UPDATE action_items SET follow_up = \(state.verdict?.rawValue), follow_up_deploy_id = \(evidence?.deployId),
                    follow_up_deploy_started_at = \(evidence?.at), follow_up_observed = \(evidence?.observed),
                    follow_up_threshold = \(evidence?.threshold), follow_up_missed_as = \(evidence?.missedAs?.rawValue),
                    follow_up_revision = \(state.revision), follow_up_judged_inputs = \(pending.inputs),
                    follow_up_checked_at = \(now),
                    follow_up_judged_at = CASE WHEN \(event != nil)::boolean THEN \(now) ELSE follow_up_judged_at END
                WHERE action_item_id = \(pending.change.itemId)::uuid AND version = \(pending.stored.version) AND status = 'done'
                """
            ).affectedRows == 1
        if written, let event { try announce(event, on: connection) }
        return written
    }

    /// Enqueues the event of `change` to a stored item, numbered with the item's next event
    /// version (counted in `action_items.event_version`, under the caller's lock of the item's
    /// deploy), with its postmortem's service and environment, continuing the trace of the
    /// deploy's input events (``DeployRepository/traceParent(ofDeploy:on:)``).
    private func announce(_ change: ActionItemChange, on connection: isolated PostgresConnection) throws {
        guard
            let row = try connection.query(
                """
                UPDATE action_items a SET event_version = a.event_version + 1 FROM postmortems p
                WHERE a.action_item_id = \(change.item.id)::uuid AND p.postmortem_id = a.postmortem_id
                RETURNING a.event_version, p.service, p.environment
                """
            ).first
        else {
            throw ServiceError.inconsistentState(
                "action item \(change.item.id) is not stored; its event cannot be numbered")
        }
        let scope = ActionItemEventScope(
            service: try row.decode(String.self, at: 1), environment: try row.decode(String.self, at: 2),
            version: try row.decode(Int.self, at: 0))
        let trace = try DeployRepository.traceParent(ofDeploy: change.item.deployId, on: connection)
        try outbox.enqueueActionItemEvent(encoder.encode(change, in: scope, trace: trace), on: connection)
    }

    /// A row selected with ``columns``.
    private static func decode(_ row: PostgresRow) throws -> StoredActionItem {
        func required<T: RawRepresentable>(_ type: T.Type, _ column: String) throws -> T where T.RawValue == String {
            let raw: String = try row.decode(named: column)
            guard let value = T(rawValue: raw) else {
                throw PostgresError(.decoding, "action_items.\(column): unknown value \(raw)")
            }
            return value
        }
        let item = ActionItem(
            id: try row.decode(named: "id"), postmortemId: try row.decode(named: "postmortem_id"),
            deployId: try row.decode(named: "deploy_id"), findingKey: try row.decode(named: "finding_key"),
            kind: try required(ActionItemKind.self, "kind"), gate: try required(FindingArea.self, "gate"),
            title: try row.decode(named: "title"), description: try row.decode(named: "description"),
            owner: try row.decode(String?.self, named: "owner") ?? "", dueAt: try row.decode(named: "due_at"),
            status: try required(ActionItemStatus.self, "status"), evidenceUrl: try row.decode(named: "evidence_url"),
            overdueReportedFor: try row.decode(named: "overdue_reported_for"),
            proposal: try row.decode(String?.self, named: "proposal").flatMap(ActionProposal.init(serialized:)))
        var evidence: FollowUpEvidence?
        if let verdict = try row.decode(String?.self, named: "follow_up"),
            let deployId = try row.decode(String?.self, named: "follow_up_deploy_id"),
            let at = try row.decode(Date?.self, named: "follow_up_deploy_started_at")
        {
            evidence = FollowUpEvidence(
                deployId: deployId, at: at, caught: verdict == FollowUpVerdict.verifiedEffective.rawValue,
                observed: try row.decode(named: "follow_up_observed"),
                threshold: try row.decode(named: "follow_up_threshold"),
                missedAs: try row.decode(String?.self, named: "follow_up_missed_as").flatMap(
                    FindingKind.init(rawValue:)))
        }
        return StoredActionItem(
            item: item, version: try row.decode(named: "version"), createdAt: try row.decode(named: "created_at"),
            updatedAt: try row.decode(named: "updated_at"), superseded: try row.decode(named: "superseded"),
            followUp: FollowUpState(evidence: evidence, revision: try row.decode(named: "follow_up_revision")),
            followUpJudgedAt: try row.decode(named: "follow_up_judged_at"),
            followUpCheckedAt: try row.decode(named: "follow_up_checked_at"))
    }
}

extension ActionItemChange {
    /// The change as kept in `action_items.history`: its event data plus the event type.
    fileprivate var historyEntry: JSONValue {
        guard case .object(var fields) = json else { return json }
        fields["type"] = .string(type.rawValue)
        return .object(fields)
    }
}
