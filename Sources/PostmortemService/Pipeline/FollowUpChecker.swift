import Foundation
import Logging
import Postgres
import PostmortemCore
import ServiceLifecycle

/// Checks follow-ups (docs/insights.md, "Follow-up effectiveness"): a done action item that
/// changed a gate's check on a metric is judged by the first later deploy of its service and
/// environment that regressed that metric — the gate failed on it (`action_item.verified_effective`)
/// or its postmortem finds the gate missed it again (`action_item.regressed`). Every replica runs
/// a checker; a check takes a transaction-scoped advisory lock, so one runs at a time, and the
/// verdict is stored with its outbox event in that transaction, only while the item has none.
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

    /// Judges the pending follow-ups that a later regression decides; returns the verdicts
    /// recorded now, by item ID. Returns none at once when another replica is checking.
    @discardableResult
    public func check() async throws -> [String: FollowUpVerdict] {
        let (now, deploys, insights, actionItems) = (clock(), deploys, insights, actionItems)
        let recorded: [String: FollowUpVerdict] = try await pool.withTransaction { connection in
            guard try ServiceLock.followUpCheck.tryLock(on: connection) else { return [:] }
            var decided: [(pending: PendingFollowUp, verdict: FollowUpVerdict, deployId: String)] = []
            var undecided: [String] = []
            for pending in try actionItems.pendingFollowUps(limit: Self.itemsPerRun, on: connection) {
                let change = pending.change
                let candidates = try insights.regressionCandidates(
                    service: change.service, environment: change.environment, after: change.doneAt,
                    limit: Self.deploysPerItem,
                    on: connection)
                let timelines = try deploys.timelines(of: candidates.map(\.deployId), on: connection)
                let evidence = candidates.compactMap { candidate in
                    timelines[candidate.deployId].flatMap { change.evidence(of: $0, findings: candidate.findings) }
                }
                if let found = FollowUpVerdict.of(evidence) {
                    decided.append((pending, found.verdict, found.deployId))
                } else {
                    undecided.append(change.itemId)
                }
            }
            try actionItems.markFollowUpsChecked(undecided, now: now, on: connection)
            // The items' events are numbered under their deploys' locks, taken at once in sorted order.
            try DeployLock.lock(Set(decided.map(\.pending.deployId)), on: connection)
            var recorded: [String: FollowUpVerdict] = [:]
            for (pending, verdict, deployId) in decided {
                guard let stored = try actionItems.item(pending.change.itemId, on: connection) else { continue }
                let change = stored.item.followUp(verdict, of: pending.change, deployId: deployId, at: now)
                if try actionItems.recordFollowUp(change, deployId: deployId, now: now, on: connection) {
                    recorded[pending.change.itemId] = verdict
                }
            }
            return recorded
        }
        if !recorded.isEmpty { logger.info("follow-ups judged", metadata: ["count": "\(recorded.count)"]) }
        return recorded
    }
}
