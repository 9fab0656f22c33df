import Foundation
import Logging
import Postgres
import PostmortemCore

/// Attributes pending events, re-derives the attribution of the movable events of the lines it
/// touches, and re-analyzes every deploy that committed ingest transactions or moved events
/// changed, opening, merging or withdrawing its postmortem and writing output events to the outbox.
///
/// One step runs at a time across all replicas (``AnalysisQueue/take(on:)`` holds a
/// transaction-scoped advisory lock), and every statement of a step sees all that was
/// committed before it. Each ingest transaction enqueues its work atomically with its data and
/// its replica runs a step after committing, so some step that sees every change always
/// follows it: the stored postmortem of a deploy converges to the analysis of all its events,
/// whatever the number of replicas, the interleaving or the redeliveries.
struct AnalysisStep: Sendable {
    let events: DeployRepository
    let metrics: MetricRepository
    let history: HealthyHistoryReader
    let postmortems: PostmortemStore
    let queue: AnalysisQueue
    let analyzer: PostmortemAnalyzer
    /// Which metrics the Prometheus source has not delivered yet (none without a source).
    let sourceProgress: MetricSourceProgress
    let logger: Logger
    /// Where the step notes which follow-up verdicts to judge again.
    var followUpInputs = FollowUpInputRepository()

    /// Runs one step on `connection`, inside a transaction. `known` holds events this replica
    /// decoded moments ago, so they need not be decoded again.
    func run(known: [EventKey: DecodedEvent] = [:], now: Date, on connection: isolated PostgresConnection) throws
        -> AnalysisOutcome
    {
        var outcome = AnalysisOutcome()
        let work = try queue.take(on: connection)
        var affected = work.deployIds
        let pending = try events.pendingAttribution(on: connection)
        // The ingest transactions write no `deploys` rows: this step writes them, once, below.
        // Pending events are attributed against the deploys whose events changed as folded now.
        var timelines =
            try pending.isEmpty ? [:] : events.timelines(of: work.deployIds.sorted(), known: known, on: connection)
        let attribution = try events.attribute(pending, fresh: timelines.values.compactMap(\.candidate), on: connection)
        for (deployId, attributed) in attribution.attributed {
            affected.insert(deployId)
            timelines[deployId]?.apply(contentsOf: attributed)
        }
        for failure in attribution.unattributedFailures {
            outcome.unattributedFailures.append(failure.kind)
            logger.warning(
                "failure event not attributed to any deploy; a deploy that appears later may still claim it",
                metadata: [
                    "event_source": "\(failure.key.source)", "event_id": "\(failure.key.id)", "type": "\(failure.kind)",
                    "reason": "\(failure.reason)",
                ])
        }
        affected.formUnion(try metrics.deploysAffected(by: work.metricRanges, on: connection))
        // A changed earlier deploy, or late points over its gates, may change the false alarms
        // of the postmortems after it (their healthy history). A changed deploy is placed by its
        // timeline as folded now: its `deploys` row is written below, after this query.
        let changed = affected.filter { timelines[$0] == nil }.sorted()
        timelines.merge(try events.timelines(of: changed, known: known, on: connection)) { read, _ in read }
        // Which deploy each movable event of their lines belongs to, decided again with what is
        // known now: a deploy that appeared later may take events another one held. Both are
        // analyzed again, as folded after the move.
        let moves = try events.reattribute(around: affected.compactMap { timelines[$0]?.candidate }, on: connection)
        outcome.eventsMoved = moves.count
        let moved = Set(moves.flatMap { [$0.from, $0.to] }.compactMap { $0 })
        affected.formUnion(moved)
        timelines.merge(try events.timelines(of: moved.sorted(), known: known, on: connection)) { _, refolded in
            refolded
        }
        let pricing = try history.deploysWithPoints(in: work.metricRanges, on: connection).union(affected)
        affected.formUnion(
            try history.postmortemsPricedBy(pricing, placedBy: affected.compactMap { timelines[$0] }, on: connection))
        guard !affected.isEmpty else { return outcome }

        // Edits and the overdue sweeper take the same per-deploy locks; sorted, so no deadlock.
        let deploys = affected.sorted()
        try DeployLock.lock(deploys, on: connection)
        let unread = deploys.filter { timelines[$0] == nil }
        timelines.merge(try events.timelines(of: unread, known: known, on: connection)) { read, _ in read }
        try events.recordDeploys(timelines.values, on: connection)
        // Their gate results, outcomes or postmortems may decide follow-ups of their lines.
        try followUpInputs.changed(
            Set(
                deploys.compactMap {
                    timelines[$0]?.started.map { .init(service: $0.service, environment: $0.environment) }
                }),
            on: connection)

        // A deploy with no trigger (a healthy one) cannot open a postmortem: its metrics are not
        // read. One that had a postmortem lost its last trigger (moved to another deploy, or a
        // conflicting copy replaced it): the postmortem is withdrawn, never left stale.
        let triggerless = Set(
            deploys.filter { timelines[$0].map { $0.started == nil || Trigger.triggers(of: $0).isEmpty } ?? true })
        let withdrawable = try postmortems.postmortems.deploysWithLivePostmortems(Array(triggerless), on: connection)
        for deployId in withdrawable.sorted() {
            let takenBy = Set(moves.filter { $0.from == deployId && $0.reportsFailure }.compactMap(\.to)).sorted()
            guard try postmortems.withdraw(deployId: deployId, takenBy: takenBy, now: now, on: connection) else {
                continue
            }
            outcome.withdrawn.append(deployId)
            logger.info(
                "postmortem withdrawn",
                metadata: ["deploy_id": "\(deployId)", "trigger_now_on": "\(takenBy.joined(separator: ","))"])
        }
        for deployId in deploys where !triggerless.contains(deployId) {
            let timeline = timelines[deployId]!
            guard var postmortem = try history.analyze(timeline, analyzer: analyzer, metrics: metrics, on: connection)
            else { continue }
            postmortem.pendingMetrics = try sourceProgress.pending(ofDeploy: deployId, on: connection)
            switch try postmortems.save(postmortem, now: now, on: connection) {
            case .opened:
                outcome.opened.append(deployId)
                outcome.openedTriggers.append(postmortem.triggers.map(\.trigger.description))
                logger.info(
                    "postmortem opened",
                    metadata: [
                        "deploy_id": "\(deployId)", "postmortem_id": "\(postmortem.id)",
                        "severity": "\(postmortem.severity.rawValue)",
                    ])
            case .updated:
                outcome.updated.append(deployId)
                logger.info(
                    "postmortem updated", metadata: ["deploy_id": "\(deployId)", "postmortem_id": "\(postmortem.id)"])
            case .unchanged:
                break
            }
        }
        return outcome
    }
}
