import Postgres

/// The `follow_up_inputs` table: per service and environment, how many analysis steps touched
/// one of its started deploys. A done item's follow-up verdict is a function of the deploys of
/// its postmortem's service and environment, so it is judged again once that count moved
/// (``ActionItemRepository/followUpsToJudge(limit:on:)``): any step that touches such a deploy
/// counts (a late earlier deploy, a late gate result, late metric points), whether or not it
/// changed a postmortem.
struct FollowUpInputRepository: Sendable {
    /// The deploys of one service in one environment.
    struct Line: Hashable, Sendable {
        var service: String
        var environment: String
    }

    /// Counts one change of each `(service, environment)` of `lines`, in the analysis step's
    /// transaction (steps run one at a time, so the counts never race).
    func changed(_ lines: Set<Line>, on connection: isolated PostgresConnection) throws {
        let sorted = lines.sorted { ($0.service, $0.environment) < ($1.service, $1.environment) }
        guard !sorted.isEmpty else { return }
        try connection.query(
            """
            INSERT INTO follow_up_inputs (service, environment, changes)
            SELECT service, environment, 1 FROM unnest(\(sorted.map(\.service))::text[], \(sorted.map(\.environment))::text[])
                AS line(service, environment)
            ON CONFLICT (service, environment) DO UPDATE SET changes = follow_up_inputs.changes + 1
            """)
    }
}
