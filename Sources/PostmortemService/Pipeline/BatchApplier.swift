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
        /// Valid, of a CDEvents type the product does not use: neither stored nor dead-lettered.
        case ignored
    }

    /// Input events handled, by kind (`InputEvent.kind`) and outcome.
    var events: [Pair: Int] = [:]
    var metricPoints = 0

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
    }
}

/// What an analysis step did, for logs and metrics.
struct AnalysisOutcome: Sendable, Equatable {
    /// Deploys whose postmortem was opened.
    var opened: [String] = []
    /// Deploys whose postmortem changed.
    var updated: [String] = []
    /// The triggers of each postmortem opened.
    var openedTriggers: [[String]] = []
    /// The kind of each failure event the step could not attribute.
    var unattributedFailures: [String] = []
}

/// Stores a batch of accepted events inside one PostgreSQL transaction, idempotently, and
/// enqueues the analysis it implies. It attributes and analyzes nothing: that is the
/// ``AnalysisStep``'s job, serialized across replicas, so that no two transactions can each
/// miss what the other stores (see docs/architecture.md, "Concurrency and convergence").
struct BatchApplier: Sendable {
    let events: DeployEventStore
    let metrics: MetricStore
    let queue: AnalysisQueue

    /// Applies `batch` on `connection`, which must be inside a transaction: one insert for the
    /// events, a COPY for the points, one upsert for the deploys it starts, one queue entry.
    /// Returns what it did and the keys of the events stored now.
    func apply(_ batch: [AcceptedEvent], on connection: isolated PostgresConnection) throws -> (BatchOutcome, Set<EventKey>) {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event { samples.append(sample) } else { deployEvents.append(accepted) }
        }

        let stored = try events.insert(deployEvents, on: connection)
        var counted = Set<EventKey>()
        var work = AnalysisWork()
        var starts: [String: DeployTimeline] = [:]
        for accepted in deployEvents {
            // A key stored now is accepted once; its other copies in the batch are duplicates.
            let isNew = stored.contains(accepted.event.key) && counted.insert(accepted.event.key).inserted
            outcome.count(accepted.event.event.kind, isNew ? .accepted : .duplicate)
            guard isNew, let deployId = accepted.event.event.deployId else { continue }
            work.deployIds.insert(deployId)
            if case .deployStarted = accepted.event.event { starts[deployId, default: DeployTimeline(deployId: deployId)].apply(accepted.event) }
        }
        // New deploys become attribution candidates as soon as this commits.
        try events.recordDeploys(starts.values, onlyNew: true, on: connection)

        for _ in samples { outcome.count("metric.sampled", .accepted) }
        outcome.metricPoints = try metrics.store(samples, on: connection)
        if outcome.metricPoints > 0 { work.metricRanges = MetricRange.covering(samples) }
        try queue.enqueue(work, on: connection)
        return (outcome, stored)
    }
}

/// Attributes pending events and re-analyzes every deploy that committed ingest transactions
/// changed, opening or merging its postmortem and writing output events to the outbox.
///
/// One step runs at a time across all replicas (``AnalysisQueue/take(on:)`` holds a
/// transaction-scoped advisory lock), and every statement of a step sees all that was
/// committed before it. Each ingest transaction enqueues its work atomically with its data and
/// its replica runs a step after committing, so some step that sees every change always
/// follows it: the stored postmortem of a deploy converges to the analysis of all its events,
/// whatever the number of replicas, the interleaving or the redeliveries.
struct AnalysisStep: Sendable {
    let events: DeployEventStore
    let metrics: MetricStore
    let postmortems: PostmortemStore
    let queue: AnalysisQueue
    let analyzer: PostmortemAnalyzer
    let logger: Logger

    /// Runs one step on `connection`, inside a transaction. `known` holds events this replica
    /// decoded moments ago, so they need not be decoded again.
    func run(known: [EventKey: DecodedEvent] = [:], now: Date, on connection: isolated PostgresConnection) throws -> AnalysisOutcome {
        var outcome = AnalysisOutcome()
        let work = try queue.take(on: connection)
        var affected = work.deployIds
        let attribution = try events.attribute(try events.pendingAttribution(on: connection), on: connection)
        affected.formUnion(attribution.deploys)
        for failure in attribution.unattributedFailures {
            outcome.unattributedFailures.append(failure.kind)
            logger.warning(
                "failure event not attributed to any deploy; a deploy that appears later may still claim it",
                metadata: ["event_source": "\(failure.key.source)", "event_id": "\(failure.key.id)", "type": "\(failure.kind)",
                           "reason": "\(failure.reason)"])
        }
        affected.formUnion(try metrics.deploysAffected(by: work.metricRanges, on: connection))
        guard !affected.isEmpty else { return outcome }

        // Edits and the overdue sweeper take the same per-deploy locks; sorted, so no deadlock.
        let deploys = affected.sorted()
        try connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(d, 0)) FROM (SELECT unnest($1::text[]) AS d ORDER BY 1) AS ordered",
            [deploys])
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
