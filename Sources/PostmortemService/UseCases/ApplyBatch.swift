import Foundation
import PostmortemCore

/// Stores a batch of accepted events inside one PostgreSQL transaction, idempotently, and
/// enqueues the analysis it implies. It attributes and analyzes nothing: that is the
/// ``AnalysisStep``'s job, serialized across replicas, so that no two transactions can each
/// miss what the other stores (see docs/architecture.md, "Concurrency and convergence").
struct ApplyBatch: Sendable {
    /// Stores `batch` in `store`'s transaction: one insert for the events, a COPY for the
    /// points, one queue entry. The `deploys` rows of the deploys it names are the analysis
    /// step's to write (once per step, from their whole timelines). Returns what it did and the
    /// events written now, by key.
    func run(_ batch: [AcceptedEvent], in store: some BatchStoring) throws -> (BatchOutcome, [EventKey: DecodedEvent]) {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event {
                samples.append(sample)
            } else {
                deployEvents.append(accepted)
            }
        }

        let insertion = try store.insertEvents(deployEvents)
        let conflicting = Set(insertion.conflicts.map(\.key))
        var counted = Set<EventKey>()
        var work = AnalysisWork(deployIds: insertion.deploysLosingEvents)
        for accepted in deployEvents {
            let key = accepted.event.key
            // A key written now is accepted once; its other copies in the batch are duplicates.
            let isNew = insertion.written[key] != nil && counted.insert(key).inserted
            outcome.count(
                accepted.event.event.kind, conflicting.contains(key) ? .conflicting : isNew ? .accepted : .duplicate)
        }
        work.deployIds.formUnion(insertion.written.values.compactMap(\.event.deployId))
        outcome.conflicts = insertion.conflicts
        outcome.headersDropped = insertion.headersDropped

        for _ in samples { outcome.count("metric.sampled", .accepted) }
        outcome.metricPoints = try store.storeMetricPoints(samples)
        if outcome.metricPoints > 0 { work.metricRanges = MetricRange.covering(samples) }
        try store.enqueueAnalysis(work)
        return (outcome, insertion.written)
    }
}
