import Foundation

/// The windows the delivery figures use (docs/insights.md).
public struct DeliveryRules: Sendable, Hashable {
    /// A deploy of the same service and environment started within this long after a failed
    /// deploy, as the next deploy after it, is rework.
    public var reworkWindow: TimeInterval
    /// A failed deploy not recovered within this long after its start is unrecovered.
    public var recoveryHorizon: TimeInterval

    /// 48 hours of rework window, 7 days of recovery horizon.
    public static let standard = DeliveryRules(reworkWindow: 48 * 3600, recoveryHorizon: 7 * 86_400)

    /// Creates rules.
    public init(reworkWindow: TimeInterval, recoveryHorizon: TimeInterval) {
        self.reworkWindow = reworkWindow
        self.recoveryHorizon = recoveryHorizon
    }

    /// Which deploys are deployments.
    public var deploymentRule: String {
        "A deploy counts when it started in [from, to) and reached production: it succeeded, or it failed in production "
            + "(it has a postmortem). Cancelled pipelines, deploys a gate stopped before they shipped (failed without a "
            + "postmortem) and deploys still running are not counted."
    }

    /// Which deploys failed.
    public var changeFailureRule: String {
        "Failed deploys / deploys. A counted deploy with a postmortem (rollback, failed deploy, customer impact or "
            + "intervention) is one failed deploy however many triggers or incidents it has; incidents are never counted, "
            + "so the rate cannot exceed 100 %."
    }

    /// How recovery is timed.
    public var recoveryRule: String {
        "For each failed deploy: from its start to the earlier of its first rollback and the finish of the next succeeded "
            + "deploy of the same service and environment, when that is within \(Self.hours(recoveryHorizon)) hours; otherwise "
            + "it is unrecovered and left out of the percentiles. p50 and p90 by nearest rank, in seconds."
    }

    /// Which deploys are rework.
    public var reworkRule: String {
        "Rework deploys / deploys. A counted deploy is rework when it is the next deploy that reached production of the same "
            + "service and environment after a failed deploy (even one before the window) and started within "
            + "\(Self.hours(reworkWindow)) hours of it: an unplanned deploy made to fix a failure in production."
    }

    private static func hours(_ interval: TimeInterval) -> String { formatNumber(interval / 3600) }
}

/// Deployment frequency: the deploys counted and their rate over the window.
public struct FrequencyFigure: Sendable, Hashable {
    /// Deploys counted.
    public var deploys: Int
    /// Deploys per day of the window.
    public var perDay: Double
    /// Deploys per week (7 days) of the window.
    public var perWeek: Double
    /// The deploys counted, sorted.
    public var deployIds: [String]
    /// The rule that counted them.
    public var rule: String
}

/// A share of the deploys (change failure rate, rework rate).
public struct RateFigure: Sendable, Hashable {
    /// Deploys with the property.
    public var count: Int
    /// Deploys counted.
    public var deploys: Int
    /// `count / deploys`, nil when there were no deploys.
    public var rate: Double?
    /// The deploys with the property, sorted.
    public var deployIds: [String]
    /// The rule that counted them.
    public var rule: String

    init(_ ids: [String], of deploys: Int, rule: String) {
        count = ids.count
        self.deploys = deploys
        rate = deploys == 0 ? nil : Double(ids.count) / Double(deploys)
        deployIds = ids.sorted()
        self.rule = rule
    }
}

/// One failed deploy's recovery.
public struct Recovery: Sendable, Hashable {
    /// The failed deploy.
    public var deployId: String
    /// Seconds from its start to its recovery.
    public var seconds: Double
}

/// Failed deployment recovery time.
public struct RecoveryFigure: Sendable, Hashable {
    /// Median recovery time in seconds, nil without a recovered deploy.
    public var p50Seconds: Double?
    /// 90th percentile recovery time in seconds, nil without a recovered deploy.
    public var p90Seconds: Double?
    /// Each recovered failed deploy with its time, by deploy ID.
    public var recovered: [Recovery]
    /// Failed deploys not recovered within the horizon, sorted.
    public var unrecovered: [String]
    /// The rule that timed them.
    public var rule: String

    init(_ recovered: [Recovery], unrecovered: [String], rule: String) {
        let seconds = recovered.map(\.seconds).sorted()
        p50Seconds = nearestRank(seconds, 0.5)
        p90Seconds = nearestRank(seconds, 0.9)
        self.recovered = recovered.sorted { $0.deployId < $1.deployId }
        self.unrecovered = unrecovered.sorted()
        self.rule = rule
    }
}

/// The figures of one ISO week (counts only; the window's figures carry the deploy IDs).
public struct WeekFigures: Sendable, Hashable {
    /// The week.
    public var week: ISOWeek
    /// Deploys counted that started in the week.
    public var deploys: Int
    /// Of those, failed.
    public var failed: Int
    /// Of those, rework.
    public var rework: Int
    /// Recovery p50 of the week's failed deploys, seconds.
    public var recoveryP50Seconds: Double?
    /// Recovery p90 of the week's failed deploys, seconds.
    public var recoveryP90Seconds: Double?

    /// `failed / deploys`, nil without deploys.
    public var changeFailureRate: Double? { deploys == 0 ? nil : Double(failed) / Double(deploys) }
    /// `rework / deploys`, nil without deploys.
    public var reworkRate: Double? { deploys == 0 ? nil : Double(rework) / Double(deploys) }
}

/// DORA's four delivery figures over a window, each with the deploys it counted.
public struct DeliveryFigures: Sendable, Hashable {
    /// Start of the window (inclusive).
    public var from: Date
    /// End of the window (exclusive).
    public var to: Date
    /// Deployment frequency.
    public var deploymentFrequency: FrequencyFigure
    /// Change failure rate.
    public var changeFailureRate: RateFigure
    /// Failed deployment recovery time.
    public var recoveryTime: RecoveryFigure
    /// Deployment rework rate.
    public var reworkRate: RateFigure
    /// Every ISO week overlapping the window, in order.
    public var weeks: [WeekFigures]

    /// The figures of the deploys of `records` that started in `[from, to)`. `records` may hold
    /// deploys before the window (a failed deploy whose fix is in the window is rework's
    /// evidence) and after it (the deploy that recovered a failed one); they are not counted.
    public init(records: [DeployRecord], from: Date, to: Date, rules: DeliveryRules = .standard) {
        self.from = from
        self.to = to
        var counted: [DeployRecord] = []
        var failed: [DeployRecord] = []
        var rework: Set<String> = []
        var recoveries: [String: Double] = [:]
        var unrecovered: [String] = []
        let lines = Dictionary(grouping: records.filter(\.shipped)) { [$0.service, $0.environment] }
        for line in lines.values {
            let line = line.sorted { ($0.startedAt, $0.deployId) < ($1.startedAt, $1.deployId) }
            for (index, deploy) in line.enumerated() {
                let inWindow = deploy.startedAt >= from && deploy.startedAt < to
                if inWindow { counted.append(deploy) }
                guard deploy.failed else { continue }
                if index + 1 < line.count,
                    line[index + 1].startedAt.timeIntervalSince(deploy.startedAt) <= rules.reworkWindow
                {
                    rework.insert(line[index + 1].deployId)
                }
                guard inWindow else { continue }
                failed.append(deploy)
                let fixed = line[(index + 1)...].first { $0.outcome == .succeeded && $0.finishedAt != nil }?.finishedAt
                let recoveredAt = [deploy.rolledBackAt, fixed].compactMap { $0 }.min()
                if let recoveredAt, recoveredAt.timeIntervalSince(deploy.startedAt) <= rules.recoveryHorizon {
                    recoveries[deploy.deployId] = max(0, recoveredAt.timeIntervalSince(deploy.startedAt))
                } else {
                    unrecovered.append(deploy.deployId)
                }
            }
        }
        let days = max(to.timeIntervalSince(from), 0) / 86_400
        deploymentFrequency = FrequencyFigure(
            deploys: counted.count, perDay: days == 0 ? 0 : Double(counted.count) / days,
            perWeek: days == 0 ? 0 : Double(counted.count) / days * 7,
            deployIds: counted.map(\.deployId).sorted(), rule: rules.deploymentRule)
        changeFailureRate = RateFigure(failed.map(\.deployId), of: counted.count, rule: rules.changeFailureRule)
        recoveryTime = RecoveryFigure(
            recoveries.map { Recovery(deployId: $0.key, seconds: $0.value) }, unrecovered: unrecovered,
            rule: rules.recoveryRule)
        let reworkIds = counted.map(\.deployId).filter(rework.contains)
        reworkRate = RateFigure(reworkIds, of: counted.count, rule: rules.reworkRule)
        let byWeek = Dictionary(grouping: counted) { ISOWeek(containing: $0.startedAt) }
        weeks = ISOWeek.weeks(from: from, to: to).map { week in
            let deploys = byWeek[week] ?? []
            let times = deploys.compactMap { recoveries[$0.deployId] }.sorted()
            return WeekFigures(
                week: week, deploys: deploys.count, failed: deploys.filter(\.failed).count,
                rework: deploys.filter { rework.contains($0.deployId) }.count,
                recoveryP50Seconds: nearestRank(times, 0.5), recoveryP90Seconds: nearestRank(times, 0.9))
        }
    }
}

/// The nearest-rank `quantile` of `sorted` (ascending): the value at rank ⌈quantile × n⌉; nil when empty.
func nearestRank(_ sorted: [Double], _ quantile: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    // The tolerance keeps ranks whole where binary fractions are not (0.9 × 10 is 9, not 9.000…01).
    let rank = Int((quantile * Double(sorted.count) - 1e-9).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}
