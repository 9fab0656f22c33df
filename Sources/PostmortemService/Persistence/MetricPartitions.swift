import Foundation
import Postgres
import PostmortemCore

/// A calendar month in UTC: the range of one `metric_samples` partition.
struct CalendarMonth: Sendable, Hashable, Comparable {
    var year: Int
    /// 1…12.
    var month: Int

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// The month `date` falls in (UTC).
    init(containing date: Date) {
        let parts = Self.utc.dateComponents([.year, .month], from: date)
        self.init(year: parts.year!, month: parts.month!)
    }

    /// The month of a partition named `metric_samples_YYYY_MM`, or nil for any other name.
    init?(partitionName name: String) {
        let prefix = "metric_samples_"
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]),
            (1...12).contains(month)
        else { return nil }
        self.init(year: year, month: month)
    }

    /// The month after this one.
    var next: CalendarMonth {
        month == 12 ? CalendarMonth(year: year + 1, month: 1) : CalendarMonth(year: year, month: month + 1)
    }

    /// Its first instant (UTC midnight of the 1st).
    var start: Date { Self.utc.date(from: DateComponents(year: year, month: month, day: 1))! }

    /// The first instant of the next month: the partition's exclusive upper bound.
    var end: Date { next.start }

    /// `YYYY-MM-01`, a PostgreSQL `date`.
    var firstDay: String { String(format: "%04d-%02d-01", year, month) }

    /// The partition's table name, built from the date only.
    var partitionName: String { String(format: "metric_samples_%04d_%02d", year, month) }

    static func < (lhs: CalendarMonth, rhs: CalendarMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}

/// The monthly partitions of `metric_samples` (range-partitioned by `ts`): created ahead of
/// time, and dropped once older than the retention — except the points postmortems' analysis
/// reads, which are kept (moved to `metric_samples_default`) because postmortems are analyzed
/// again whenever they are read.
struct MetricPartitions: Sendable {
    /// The windows the analysis reads around a deploy (baseline, observation, grace).
    let analysis: AnalysisConfig

    /// Creates the partition of `month` unless it exists, moving that month's points out of
    /// the default partition (`create_metric_samples_partition`, migration 0003). Returns
    /// whether it was created now.
    @discardableResult
    func create(_ month: CalendarMonth, on connection: isolated PostgresConnection) throws -> Bool {
        guard try !exists(month, on: connection) else { return false }
        try connection.query("SELECT create_metric_samples_partition(\(month.firstDay)::date)")
        return true
    }

    /// Whether the partition of `month` exists.
    func exists(_ month: CalendarMonth, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query("SELECT to_regclass(quote_ident(\(month.partitionName))) IS NOT NULL")[0].decode(
            Bool.self, at: 0)
    }

    /// The months that have a partition named `metric_samples_YYYY_MM`, oldest first.
    func months(on connection: isolated PostgresConnection) throws -> [CalendarMonth] {
        try connection.query(
            """
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'metric_samples'::regclass
            """
        ).compactMap { CalendarMonth(partitionName: try $0.decode(String.self, at: 0)) }.sorted()
    }

    /// Per postmortem, the service, environment and time span of the metric points its
    /// analysis reads (as ``MetricRepository/series(around:on:)`` does).
    private var postmortemWindows: PostgresQuery {
        "SELECT d.service, d.environment, \(MetricRepository.postmortemSpan(analysis)) FROM postmortems p JOIN deploys d USING (deploy_id)"
    }

    /// Drops the partition of `month` in the caller's transaction: detaches it, copies the
    /// points inside postmortems' windows back into `metric_samples` (they land in the default
    /// partition, as no partition covers the month any more), and drops the table. Returns the
    /// points kept.
    func drop(_ month: CalendarMonth, on connection: isolated PostgresConnection) throws -> Int {
        let name = month.partitionName
        let table = try connection.quoteIdentifier(name)
        try connection.query("ALTER TABLE metric_samples DETACH PARTITION \(unescaped: table)")
        let kept = try connection.query(
            """
            INSERT INTO metric_samples
            SELECT s.* FROM \(unescaped: table) s JOIN (\(postmortemWindows)) w
                ON s.service = w.service AND s.environment = w.environment AND s.ts BETWEEN w.first_ts AND w.last_ts
            ON CONFLICT DO NOTHING
            """
        ).affectedRows
        try connection.query("DROP TABLE \(unescaped: table)")
        return kept
    }

    /// Deletes up to `limit` points of the default partition older than `cutoff` that no
    /// postmortem's analysis reads (late points of months already dropped, points of months that
    /// never had a partition). Returns how many.
    func purgeDefault(before cutoff: Date, limit: Int, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query(
            """
            DELETE FROM metric_samples_default WHERE ctid = ANY (ARRAY(
                SELECT s.ctid FROM metric_samples_default s
                WHERE s.ts < \(cutoff) AND NOT EXISTS (
                    SELECT 1 FROM (\(postmortemWindows)) w
                    WHERE w.service = s.service AND w.environment = s.environment AND s.ts BETWEEN w.first_ts AND w.last_ts)
                LIMIT \(limit)))
            """
        ).affectedRows
    }
}
