import Foundation
import Postgres
import PostmortemCore

/// Learning across deploys (docs/insights.md): DORA's delivery figures and the gate-gap ledger,
/// computed by PostmortemCore's definitions from what the database holds.
public struct InsightsReader: Sendable {
    private let pool: PostgresPool
    private let repository: InsightsRepository
    /// The windows of the delivery figures.
    let rules: DeliveryRules

    init(pool: PostgresPool, repository: InsightsRepository = InsightsRepository(), rules: DeliveryRules = .standard) {
        self.pool = pool
        self.repository = repository
        self.rules = rules
    }

    /// The delivery figures of `filter`'s deploys. The deploys read reach back one rework window
    /// before `from` (failed deploys whose fix is in the window) and one recovery horizon past
    /// `to` (the deploys that recovered the window's failures); only the window's are counted.
    func delivery(_ filter: DeliveryFilter) async throws -> DeliveryFigures {
        let (repository, rules) = (repository, rules)
        let records = try await pool.withConnection { connection in
            try repository.deployRecords(
                filter, start: filter.from.addingTimeInterval(-rules.reworkWindow),
                end: filter.to.addingTimeInterval(rules.recoveryHorizon),
                on: connection)
        }
        return DeliveryFigures(records: records, from: filter.from, to: filter.to, rules: rules)
    }

    /// The gaps found by at least `minOccurrences` postmortems opened in `[from, to)`.
    func gateGaps(from: Date, to: Date, minOccurrences: Int) async throws -> [GateGap] {
        let repository = repository
        let occurrences = try await pool.withConnection { connection in
            try repository.gapOccurrences(from: from, to: to, on: connection)
        }
        return GateGapLedger.gaps(occurrences, minOccurrences: minOccurrences)
    }
}
