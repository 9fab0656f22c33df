import Foundation
import PostmortemCore

/// Stores a batch of accepted events inside one PostgreSQL transaction, idempotently, and
/// enqueues the analysis it implies. It attributes and analyzes nothing: that is the
/// ``AnalysisStep``'s job, serialized across replicas, so that no two transactions can each
/// miss what the other stores (see docs/architecture.md, "Concurrency and convergence").
struct ApplyBatch: Sendable {
    /// Stores `batch` in `store`'s transaction: one insert for the events, a COPY for the
    /// points, one upsert for the deploys it starts, one queue entry. Returns what it did and
    /// the events written now, by key.
    func run(_ batch: [AcceptedEvent], in store: some BatchStoring) throws -> (BatchOutcome, [EventKey: DecodedEvent]) {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event { samples.append(sample) } else { deployEvents.append(accepted) }
        }

        let insertion = try store.insertEvents(deployEvents)
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
        try store.recordNewDeploys(starts.values.sorted { $0.deployId < $1.deployId })

        for _ in samples { outcome.count("metric.sampled", .accepted) }
        outcome.metricPoints = try store.storeMetricPoints(samples)
        if outcome.metricPoints > 0 { work.metricRanges = MetricRange.covering(samples) }
        try store.enqueueAnalysis(work)
        return (outcome, insertion.written)
    }
}
