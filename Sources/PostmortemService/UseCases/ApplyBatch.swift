import Foundation
import PostmortemCore

/// Stores a batch of accepted events inside one PostgreSQL transaction, idempotently, and
/// enqueues the analysis it implies. It attributes and analyzes nothing: that is the
/// ``AnalysisStep``'s job, serialized across replicas, so that no two transactions can each
/// miss what the other stores (see docs/architecture.md, "Concurrency and convergence").
struct ApplyBatch: Sendable {
    /// Stores `batch` in `store`'s transaction: one insert for the events, a COPY for the
    /// points, one upsert for the deploys it starts, one queue entry. Returns what it did and
    /// the keys of the events stored now.
    func run(_ batch: [AcceptedEvent], in store: some BatchStoring) throws -> (BatchOutcome, Set<EventKey>) {
        var outcome = BatchOutcome()
        var samples: [MetricSample] = []
        var deployEvents: [AcceptedEvent] = []
        for accepted in batch {
            if case .metricSampled(let sample) = accepted.event.event { samples.append(sample) } else { deployEvents.append(accepted) }
        }

        let stored = try store.insertEvents(deployEvents)
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
        try store.recordNewDeploys(starts.values.sorted { $0.deployId < $1.deployId })

        for _ in samples { outcome.count("metric.sampled", .accepted) }
        outcome.metricPoints = try store.storeMetricPoints(samples)
        if outcome.metricPoints > 0 { work.metricRanges = MetricRange.covering(samples) }
        try store.enqueueAnalysis(work)
        return (outcome, stored)
    }
}
