import Foundation
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// Checks follow-ups (docs/insights.md, "Follow-up effectiveness"): a done action item that
/// changed a gate's check on a metric is judged by the first deploy of its service and
/// environment, by start, that regressed that metric after the item was done — the gate failed
/// on it (`action_item.verified_effective`) or its postmortem finds the gate missed it again
/// (`action_item.regressed`). The verdict is judged again whenever a deploy of that service and
/// environment changes (``FollowUpInputRepository``), so it ends as a function of the events,
/// whatever their order; a changed verdict is published as a correction, the same verdict never
/// twice. Every replica runs a checker; a check takes a transaction-scoped advisory lock, so one
/// runs at a time, and each verdict is stored with its outbox event in that transaction.
public final class FollowUpChecker: Service, Sendable {
    /// The advisory lock key that makes one check at a time across replicas.
    public static let lockKey: Int64 = 0x6470_6d5f_666f_6c6c  // "dpm_foll"
    /// Items checked per run at most (least recently checked first); the next run takes the rest.
    static let itemsPerRun = 200
    /// Later deploys read per item at most, oldest first.
    static let deploysPerItem = 50

    private let pool: PostgresPool
    private let deploys: DeployRepository
    private let insights: InsightsRepository
    private let actionItems: ActionItemRepository
    private let interval: Duration
    private let clock: @Sendable () -> Date
    private let logger: Logger

    init(
        pool: PostgresPool, deploys: DeployRepository, insights: InsightsRepository, actionItems: ActionItemRepository,
        interval: Duration, clock: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.pool = pool
        self.deploys = deploys
        self.insights = insights
        self.actionItems = actionItems
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Checks every `interval` until graceful shutdown or cancellation; failures are logged and
    /// retried at the next run.
    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: logger, failure: "follow-up check failed") {
            try await self.check()
        }
    }

    /// Judges the follow-ups whose inputs changed since they were last judged; returns the
    /// verdict changes published now (nil: withdrawn), by item ID. Returns none at once when
    /// another replica is checking.
    @discardableResult
    public func check() async throws -> [String: FollowUpVerdict?] {
        let (now, deploys, insights, actionItems) = (clock(), deploys, insights, actionItems)
        let published: [String: FollowUpVerdict?] = try await pool.withTransaction { connection in
            guard try ServiceLock.followUpCheck.tryLock(on: connection) else { return [:] }
            var judged: [(pending: PendingFollowUp, deciding: FollowUpEvidence?)] = []
            for pending in try actionItems.followUpsToJudge(limit: Self.itemsPerRun, on: connection) {
                let change = pending.change
                let candidates = try insights.regressionCandidates(
                    service: change.service, environment: change.environment, after: change.doneAt,
                    limit: Self.deploysPerItem,
                    on: connection)
                let timelines = try deploys.timelines(of: candidates.map(\.deployId), on: connection)
                let evidence = candidates.compactMap { candidate in
                    timelines[candidate.deployId].flatMap { change.evidence(of: $0, findings: candidate.findings) }
                }
                judged.append((pending, FollowUpEvidence.deciding(evidence)))
            }
            // The items' events are numbered under their deploys' locks, taken at once in sorted
            // order before any item is written.
            try DeployLock.lock(Set(judged.map(\.pending.stored.item.deployId)), on: connection)
            var published: [String: FollowUpVerdict?] = [:]
            for (pending, deciding) in judged {
                let previous = pending.stored.followUp
                let (state, publish) = previous.rejudged(deciding)
                let event =
                    publish
                    ? pending.stored.item.followUp(state, replacing: previous, of: pending.change, at: now) : nil
                if try actionItems.recordFollowUp(state, of: pending, event: event, now: now, on: connection),
                    publish
                {
                    published[pending.change.itemId] = .some(state.verdict)
                }
            }
            return published
        }
        if !published.isEmpty { logger.info("follow-up verdicts published", metadata: ["count": "\(published.count)"]) }
        return published
    }
}
