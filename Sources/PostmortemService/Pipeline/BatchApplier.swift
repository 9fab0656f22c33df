import Foundation
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
        /// Stored before (same source + id, same content): a redelivery.
        case duplicate
        /// One source + id seen with different contents: the smallest content digest is kept
        /// (this copy or another), as `analyze` does.
        case conflicting
        /// Valid, of a CDEvents type the product does not use: neither stored nor dead-lettered.
        case ignored
    }

    /// Input events handled, by kind (`InputEvent.kind`) and outcome.
    var events: [Pair: Int] = [:]
    var metricPoints = 0
    /// Identities seen with different contents, for a log line each.
    var conflicts: [ConflictingDuplicate] = []

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
        conflicts += other.conflicts
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
    /// Returns what it did and the events written now, by key.
    func apply(
        _ batch: [AcceptedEvent], on connection: isolated PostgresConnection
    ) throws -> (BatchOutcome, [EventKey: DecodedEvent]) {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event { samples.append(sample) } else { deployEvents.append(accepted) }
        }

        let insertion = try events.insert(deployEvents, on: connection)
        let conflicting = Set(insertion.conflicts.map(\.key))
        var counted = Set<EventKey>()
        var work = AnalysisWork(deployIds: insertion.deploysLosingEvents)
        var starts: [String: DeployTimeline] = [:]
        for accepted in deployEvents {
            let key = accepted.event.key
            // A key written now is accepted once; its other copies in the batch are duplicates.
            let isNew = insertion.written[key] != nil && counted.insert(key).inserted
            outcome.count(accepted.event.event.kind, conflicting.contains(key) ? .conflicting : isNew ? .accepted : .duplicate)
        }
        for event in insertion.written.values {
            guard let deployId = event.event.deployId else { continue }
            work.deployIds.insert(deployId)
            if case .deployStarted = event.event { starts[deployId, default: DeployTimeline(deployId: deployId)].apply(event) }
        }
        outcome.conflicts = insertion.conflicts
        // New deploys become attribution candidates as soon as this commits.
        try events.recordDeploys(starts.values, onlyNew: true, on: connection)

        for _ in samples { outcome.count("metric.sampled", .accepted) }
        outcome.metricPoints = try metrics.store(samples, on: connection)
        if outcome.metricPoints > 0 { work.metricRanges = MetricRange.covering(samples) }
        try queue.enqueue(work, on: connection)
        return (outcome, insertion.written)
    }
}
