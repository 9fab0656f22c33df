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
    var newEvents = 0
    var duplicateEvents = 0
    var metricPoints = 0
    var opened: [String] = []
    var updated: [String] = []
    /// The triggers of each postmortem opened, for metrics.
    var openedTriggers: [[String]] = []

    /// Adds what another (partial) application did.
    mutating func add(_ other: BatchOutcome) {
        newEvents += other.newEvents
        duplicateEvents += other.duplicateEvents
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

    /// Applies `batch` on `connection`, which must be inside a transaction.
    func apply(_ batch: [AcceptedEvent], now: Date, on connection: isolated PostgresConnection) throws -> BatchOutcome {
        var outcome = BatchOutcome()
        var affected = Set<String>()
        var samples: [MetricSample] = []
        // Deploy starts first, so later events of the same batch can be attributed to them.
        let ordered = batch.sorted { Self.isDeployStart($0) && !Self.isDeployStart($1) }
        for accepted in ordered {
            if case .metricSampled(let sample) = accepted.event.event {
                samples.append(sample)
                continue
            }
            let insertion = try events.insert(accepted.event, raw: accepted.raw, origin: accepted.origin, on: connection)
            guard insertion.isNew else {
                outcome.duplicateEvents += 1
                continue
            }
            outcome.newEvents += 1
            if let deployId = insertion.deployId { affected.insert(deployId) }
            if case .deployStarted(let started) = accepted.event.event { affected.insert(started.deployId) }
        }
        outcome.metricPoints = try metrics.store(samples, on: connection)
        if outcome.metricPoints > 0 { affected.formUnion(try metrics.deploysAffected(by: samples, on: connection)) }

        // Serialize analysis per deploy across replicas; sorted to avoid deadlocks. Statements
        // after the lock see what the previous holder committed (READ COMMITTED).
        let deploys = affected.sorted()
        for deployId in deploys {
            try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [deployId])
        }
        for deployId in deploys {
            var timeline = try events.timeline(of: deployId, on: connection)
            if try events.recordTimeline(timeline, on: connection) > 0 {
                timeline = try events.timeline(of: deployId, on: connection)
            }
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

    private static func isDeployStart(_ accepted: AcceptedEvent) -> Bool {
        if case .deployStarted = accepted.event.event { return true }
        return false
    }
}
