import Foundation
import Postgres

/// Deletes expired rows in bounded batches (each call one statement or two, a few thousand rows),
/// so no lock is held long. What it never deletes: the events and `deploys` row of a deploy with
/// a postmortem (the record; its re-analysis reads them) or that decides an action item's
/// follow-up verdict (judging it again reads it), events waiting for attribution, deploys named
/// by queued analysis work, and unsent outbox rows.
struct RecordRetention: Sendable {
    /// Deletes the events and `deploys` rows of up to `limit` deploys without a postmortem that
    /// expired before `cutoff`: started before it (or never seen starting) and with no event
    /// received or occurring since. Must run under the analysis lock (``ServiceLock/analysis``),
    /// so no analysis step opens a postmortem for a deploy while its events go. Returns the
    /// deploys and the events deleted.
    func expireDeploys(before cutoff: Date, limit: Int, on connection: isolated PostgresConnection) throws -> (
        deploys: Int, events: Int
    ) {
        let expired = try connection.query(
            """
            SELECT x.deploy_id FROM (
                SELECT deploy_id FROM deploys WHERE started_at < \(cutoff)
                UNION
                SELECT e.deploy_id FROM deploy_events e
                WHERE e.deploy_id IS NOT NULL AND e.received_at < \(cutoff)
                  AND NOT EXISTS (SELECT 1 FROM deploys d WHERE d.deploy_id = e.deploy_id)
            ) x
            WHERE NOT EXISTS (SELECT 1 FROM postmortems p WHERE p.deploy_id = x.deploy_id)
              AND NOT EXISTS (SELECT 1 FROM action_items a WHERE a.follow_up_deploy_id = x.deploy_id)
              AND NOT EXISTS (SELECT 1 FROM deploys d WHERE d.deploy_id = x.deploy_id AND d.started_at >= \(cutoff))
              AND NOT EXISTS (
                  SELECT 1 FROM deploy_events e WHERE e.deploy_id = x.deploy_id AND (e.received_at >= \(cutoff) OR e.occurred_at >= \(cutoff)))
              AND NOT EXISTS (SELECT 1 FROM analysis_queue q WHERE x.deploy_id = ANY (q.deploy_ids))
            ORDER BY 1 LIMIT \(limit)
            """
        ).map { try $0.decode(String.self, at: 0) }
        guard !expired.isEmpty else { return (0, 0) }
        let events = try connection.query(
            "DELETE FROM deploy_events WHERE deploy_id = ANY (\(expired)::text[]) AND received_at < \(cutoff) AND NOT attribution_pending"
        ).affectedRows
        let deploys = try connection.query("DELETE FROM deploys WHERE deploy_id = ANY (\(expired)::text[])")
            .affectedRows
        return (deploys, events)
    }

    /// Deletes up to `limit` events that no deploy claimed (attribution found none, and they are
    /// not waiting for it) received and occurring before `cutoff`. Returns how many.
    func expireUnattributedEvents(before cutoff: Date, limit: Int, on connection: isolated PostgresConnection) throws
        -> Int
    {
        try connection.query(
            """
            DELETE FROM deploy_events WHERE (event_source, event_id) IN (
                SELECT event_source, event_id FROM deploy_events
                WHERE deploy_id IS NULL AND NOT attribution_pending AND received_at < \(cutoff) AND occurred_at < \(cutoff)
                LIMIT \(limit))
            """
        ).affectedRows
    }

    /// Deletes up to `limit` outbox rows sent before `cutoff`, oldest first; unsent rows are
    /// never touched. Returns how many.
    func expireSentOutbox(before cutoff: Date, limit: Int, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE sent_at < \(cutoff) ORDER BY seq LIMIT \(limit))"
        ).affectedRows
    }
}
