import Foundation
import Logging
import Postgres
import PostmortemCore

/// One accepted input message: the decoded event, its original bytes, and where it came from.
struct AcceptedEvent: Sendable {
    var event: DecodedEvent
    var raw: RawEvent
    var origin: DeployEventStore.Origin?
}

/// What applying a batch did, for logs and metrics.
struct BatchOutcome: Sendable, Equatable {
    /// Whether an input event was new or seen before.
    enum EventOutcome: String, Sendable {
        /// Stored now (metric events always: their new points are counted in ``metricPoints``).
        case accepted
        /// Stored before (same source + id): a redelivery.
        case duplicate
    }

    /// Input events handled, by kind (`InputEvent.kind`) and outcome.
    var events: [Pair: Int] = [:]
    var metricPoints = 0
    var opened: [String] = []
    var updated: [String] = []
    /// The triggers of each postmortem opened, for metrics.
    var openedTriggers: [[String]] = []

    /// An event kind and what became of it.
    struct Pair: Hashable, Sendable {
        var kind: String
        var outcome: EventOutcome
    }

    /// Events stored now.
    var newEvents: Int { events.filter { $0.key.outcome == .accepted }.values.reduce(0, +) }
    /// Events seen before.
    var duplicateEvents: Int { events.filter { $0.key.outcome == .duplicate }.values.reduce(0, +) }

    /// Counts one event of `kind`.
    mutating func count(_ kind: String, _ outcome: EventOutcome) {
        events[Pair(kind: kind, outcome: outcome), default: 0] += 1
    }

    /// Adds what another (partial) application did.
    mutating func add(_ other: BatchOutcome) {
        events.merge(other.events, uniquingKeysWith: +)
        metricPoints += other.metricPoints
        opened += other.opened
        updated += other.updated
        openedTriggers += other.openedTriggers
    }
}

/// Applies a batch of accepted events inside one PostgreSQL transaction: stores events and
/// metric points idempotently, then re-analyzes every deploy the batch touched and opens or
/// merges its postmortem, writing output events to the outbox.
struct BatchApplier: Sendable {
    let events: DeployEventStore
    let metrics: MetricStore
    let postmortems: PostmortemStore
    let analyzer: PostmortemAnalyzer
    let logger: Logger

    /// Applies `batch` on `connection`, which must be inside a transaction. The work is done
    /// per batch, not per event: one insert for the events, one for the points, one lock
    /// statement and one read for the deploys touched, one `deploys` upsert; only deploys with
    /// a trigger cost statements of their own (metrics read, postmortem save).
    func apply(_ batch: [AcceptedEvent], now: Date, on connection: isolated PostgresConnection) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event { samples.append(sample) } else { deployEvents.append(accepted) }
        }

        // Events without a deploy ID are attributed against the stored deploys, so the deploys
        // this batch starts are recorded first.
        if deployEvents.contains(where: { $0.event.event.deployId == nil }) {
            var starts: [String: DeployTimeline] = [:]
            for accepted in deployEvents {
                guard case .deployStarted(let started) = accepted.event.event else { continue }
                starts[started.deployId, default: DeployTimeline(deployId: started.deployId)].apply(accepted.event)
            }
            try events.recordDeploys(starts.values, onlyNew: true, on: connection)
        }
        let attributed = try deployEvents.map { ($0, try events.deployId(of: $0.event, on: connection)) }
        let stored = try events.insert(attributed, on: connection)
        var counted = Set<EventKey>()
        for accepted in deployEvents {
            // A key stored now is accepted once; its other copies in the batch are duplicates.
            let isNew = stored.contains(accepted.event.key) && counted.insert(accepted.event.key).inserted
            outcome.count(accepted.event.event.kind, isNew ? .accepted : .duplicate)
        }
        for _ in samples { outcome.count("metric.sampled", .accepted) }
        var affected = Set(attributed.compactMap { stored.contains($0.0.event.key) ? $0.1 : nil })

        outcome.metricPoints = try metrics.store(samples, on: connection)
        if outcome.metricPoints > 0 { affected.formUnion(try metrics.deploysAffected(by: samples, on: connection)) }
        guard !affected.isEmpty else { return outcome }

        // Serialize analysis per deploy across replicas, locking in sorted order to avoid
        // deadlocks. Statements after the lock see what the previous holder committed.
        let deploys = affected.sorted()
        try connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(d, 0)) FROM (SELECT unnest($1::text[]) AS d ORDER BY 1) AS ordered",
            [deploys])
        // Events stored by this batch need no decoding again (a duplicate's stored copy may differ).
        let known = Dictionary(batch.filter { stored.contains($0.event.key) }.map { ($0.event.key, $0.event) }, uniquingKeysWith: { first, _ in first })
        var timelines = try events.timelines(of: deploys, known: known, on: connection)
        try events.recordDeploys(timelines.values, on: connection)
        if try events.mayClaim(for: timelines.values, on: connection) {
            for deployId in deploys where try events.claimUnattributed(for: timelines[deployId]!, on: connection) > 0 {
                timelines[deployId] = try events.timeline(of: deployId, on: connection)
            }
        }

        for deployId in deploys {
            let timeline = timelines[deployId]!
            // A deploy with no trigger (a healthy one) cannot open a postmortem: skip its metrics.
            guard timeline.started != nil, !Trigger.triggers(of: timeline).isEmpty,
                let postmortem = analyzer.analyze(timeline, metrics: try metrics.series(around: timeline, on: connection))
            else { continue }
            switch try postmortems.save(postmortem, now: now, on: connection) {
            case .opened:
                outcome.opened.append(deployId)
                outcome.openedTriggers.append(postmortem.triggers.map(\.trigger.description))
                logger.info(
                    "postmortem opened",
                    metadata: ["deploy_id": "\(deployId)", "postmortem_id": "\(postmortem.id)", "severity": "\(postmortem.severity.rawValue)"])
            case .updated:
                outcome.updated.append(deployId)
                logger.info("postmortem updated", metadata: ["deploy_id": "\(deployId)", "postmortem_id": "\(postmortem.id)"])
            case .unchanged:
                break
            }
        }
        return outcome
    }
}
