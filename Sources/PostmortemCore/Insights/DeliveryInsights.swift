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

    /// The figures of the deploys of `records` (one record per deploy ID) that started in
    /// `[from, to)`. `records` may hold
    /// deploys before the window (a failed deploy whose fix is in the window is rework's
    /// evidence) and after it (the deploy that recovered a failed one); they are not counted.
    public init(records: [DeployRecord], from: Date, to: Date, rules: DeliveryRules = .standard) {
        self.from = from
        self.to = to
        // Deploys are handled by their index in `records`, through a copy of the facts the rules
        // read (a fleet's year is 100,000 records; reading one whole retains its strings).
        let facts = records.map(DeployFacts.init)
        var counted: [Int] = []
        var failed: [Int] = []
        var isRework = [Bool](repeating: false, count: records.count)
        var recoverySeconds = [Double?](repeating: nil, count: records.count)
        var unrecovered: [String] = []
        for line in Self.lines(of: records, facts: facts) {
            for (position, index) in line.enumerated() {
                let deploy = facts[index]
                let inWindow = deploy.startedAt >= from && deploy.startedAt < to
                if inWindow { counted.append(index) }
                guard deploy.failed else { continue }
                if position + 1 < line.count,
                    facts[line[position + 1]].startedAt.timeIntervalSince(deploy.startedAt) <= rules.reworkWindow
                {
                    isRework[line[position + 1]] = true
                }
                guard inWindow else { continue }
                failed.append(index)
                let fixed = line[(position + 1)...].lazy.compactMap { facts[$0].succeededAt }.first
                let recoveredAt = [deploy.rolledBackAt, fixed].compactMap { $0 }.min()
                if let recoveredAt, recoveredAt.timeIntervalSince(deploy.startedAt) <= rules.recoveryHorizon {
                    recoverySeconds[index] = max(0, recoveredAt.timeIntervalSince(deploy.startedAt))
                } else {
                    unrecovered.append(records[index].deployId)
                }
            }
        }
        let days = max(to.timeIntervalSince(from), 0) / 86_400
        deploymentFrequency = FrequencyFigure(
            deploys: counted.count, perDay: days == 0 ? 0 : Double(counted.count) / days,
            perWeek: days == 0 ? 0 : Double(counted.count) / days * 7,
            deployIds: counted.map { records[$0].deployId }.sorted(), rule: rules.deploymentRule)
        changeFailureRate = RateFigure(
            failed.map { records[$0].deployId }, of: counted.count, rule: rules.changeFailureRule)
        recoveryTime = RecoveryFigure(
            failed.compactMap { index in
                recoverySeconds[index].map { Recovery(deployId: records[index].deployId, seconds: $0) }
            },
            unrecovered: unrecovered, rule: rules.recoveryRule)
        reworkRate = RateFigure(
            counted.filter { isRework[$0] }.map { records[$0].deployId }, of: counted.count, rule: rules.reworkRule)
        let weeks = ISOWeek.weeks(from: from, to: to)
        var byWeek = [[Int]](repeating: [], count: weeks.count)
        if let first = weeks.first {
            for index in counted {
                // Weeks are whole UTC weeks, so the offset from the first one's start is exact.
                let offset = Int(facts[index].startedAt.timeIntervalSince(first.start) / (7 * 86_400))
                byWeek[min(max(offset, 0), weeks.count - 1)].append(index)
            }
        }
        self.weeks = zip(weeks, byWeek).map { week, deploys in
            let times = deploys.compactMap { recoverySeconds[$0] }.sorted()
            return WeekFigures(
                week: week, deploys: deploys.count, failed: deploys.filter { facts[$0].failed }.count,
                rework: deploys.filter { isRework[$0] }.count,
                recoveryP50Seconds: nearestRank(times, 0.5), recoveryP90Seconds: nearestRank(times, 0.9))
        }
    }

    /// The indices of the records that shipped, by line (service and environment), each line
    /// in start order (then by deploy ID).
    private static func lines(of records: [DeployRecord], facts: [DeployFacts]) -> [[Int]] {
        struct Line: Hashable {
            let service: String
            let environment: String
        }
        var positions: [Line: Int] = [:]
        var lines: [[Int]] = []
        for index in records.indices where facts[index].shipped {
            let line = Line(service: records[index].service, environment: records[index].environment)
            if let position = positions[line] {
                lines[position].append(index)
            } else {
                positions[line] = lines.count
                lines.append([index])
            }
        }
        return lines.map { line in
            line.sorted { a, b in
                facts[a].startedAt != facts[b].startedAt
                    ? facts[a].startedAt < facts[b].startedAt : records[a].deployId < records[b].deployId
            }
        }
    }
}

/// What the delivery rules read of a ``DeployRecord``, without its strings.
private struct DeployFacts {
    let startedAt: Date
    let shipped: Bool
    let failed: Bool
    /// When it finished, if it succeeded (the fix of an earlier failure).
    let succeededAt: Date?
    let rolledBackAt: Date?

    init(_ record: DeployRecord) {
        startedAt = record.startedAt
        shipped = record.shipped
        failed = record.failed
        succeededAt = record.outcome == .succeeded ? record.finishedAt : nil
        rolledBackAt = record.rolledBackAt
    }
}

/// The nearest-rank `quantile` of `sorted` (ascending): the value at rank ⌈quantile × n⌉; nil when empty.
func nearestRank(_ sorted: [Double], _ quantile: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    // The tolerance keeps ranks whole where binary fractions are not (0.9 × 10 is 9, not 9.000…01).
    let rank = Int((quantile * Double(sorted.count) - 1e-9).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}
