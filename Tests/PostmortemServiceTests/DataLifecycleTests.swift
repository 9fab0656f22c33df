import Foundation
import Logging
import Postgres
import PostmortemCore
import TestSupport
import Testing

@testable import PostmortemService

/// Monthly metric partitions, the migration that empties the default partition, and retention,
/// against the suite's real PostgreSQL, with injected clocks (nothing waits for a day to pass).
@Suite("Data lifecycle")
struct DataLifecycleTests {
    static func at(_ text: String) -> Date { RFC3339.parse(text)! }

    /// 2026-11-29T12:00:00Z: with the default retention, metric partitions ending before
    /// 2026-08-31T12:00Z and deploys without a postmortem older than that expire, and outbox
    /// rows sent before 2026-10-30T12:00Z.
    static let now = at("2026-11-29T12:00:00Z")

    static func maintainer(_ database: PostgresConfiguration, clock: Date = now, retention: Retention = Retention())
        -> (DataMaintainer, PostgresPool)
    {
        let pool = PostgresPool(configuration: database, maxConnections: 2, logger: ServiceHarness.logger)
        let maintainer = DataMaintainer(
            pool: pool, retention: retention, analysis: AnalysisConfig(), interval: .seconds(86_400), clock: { clock },
            logger: ServiceHarness.logger)
        return (maintainer, pool)
    }

    static func run<T: Sendable>(
        _ database: PostgresConfiguration, _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(database)
        do {
            let value = try await connection.run(body)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Metric points per table they are stored in (`metric_samples_YYYY_MM` or `_default`).
    static func pointsByTable(_ database: PostgresConfiguration) async throws -> [String: Int] {
        try await run(database) { connection in
            Dictionary(
                uniqueKeysWithValues: try connection.query(
                    "SELECT tableoid::regclass::text, count(*) FROM metric_samples GROUP BY 1"
                ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) })
        }
    }

    /// The monthly partitions of `metric_samples` (the migration creates those of the real month).
    static func monthlyPartitions(_ database: PostgresConfiguration) async throws -> Set<String> {
        Set(
            try await strings(
                "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relname ~ '^metric_samples_[0-9]{4}_[0-9]{2}$'",
                database))
    }

    static func partitionExists(_ name: String, _ database: PostgresConfiguration) async throws -> Bool {
        try await run(database) {
            try $0.query("SELECT to_regclass($1) IS NOT NULL", [name])[0].decode(Bool.self, at: 0)
        }
    }

    /// Inserts points of `service` in prod every `step` seconds from `from` up to and including `to`.
    static func insertPoints(
        _ service: String, from: String, to: String, step: Int, on connection: isolated PostgresConnection
    ) throws {
        try connection.query(
            """
            INSERT INTO metric_samples (service, environment, metric, ts, value)
            SELECT $1, 'prod', 'error_rate', ts, 0.01 FROM generate_series($2::timestamptz, $3::timestamptz, make_interval(secs => $4)) ts
            """, [service, at(from), at(to), Double(step)])
    }

    @Test func theServiceCreatesThisAndNextMonthsPartitionsAtStart() async throws {
        // A clock in December 2027: the migration created the partitions of the real month; the
        // maintainer adds these two (December → January crosses the year) and no other (it may
        // drop the migration's as expired).
        let database = try TestDatabase.fresh("lifecycle")
        try await DatabaseSchema.migrate(database)
        let migrated = try await Self.monthlyPartitions(database)
        let added: Set = ["metric_samples_2027_12", "metric_samples_2028_01"]
        try await ServiceHarness.with(database: database, clock: { Self.at("2027-12-31T23:59:59Z") }) { harness in
            try await harness.wait("this and next month's partitions") {
                try await Self.monthlyPartitions(database).isSuperset(of: added)
            }
            #expect(try await Self.monthlyPartitions(database).subtracting(migrated) == added.subtracting(migrated))
        }
    }

    @Test func migrationThreeMovesDefaultRowsIntoMonthlyPartitions() async throws {
        let database = try TestDatabase.fresh("lifecycle")
        let shipped = try DatabaseSchema.migrations()
        try await Migrator(migrations: shipped.filter { $0.version <= 2 }).migrate(database)
        try await Self.run(database) { connection in
            // A session in another time zone: month boundaries are UTC all the same.
            try connection.query("SET TIME ZONE 'America/New_York'")
            try Self.insertPoints(
                "api", from: "2025-12-31T23:00:00Z", to: "2026-01-01T00:59:00Z", step: 60, on: connection)
            try Self.insertPoints(
                "api", from: "2026-03-10T00:00:00Z", to: "2026-03-10T00:09:00Z", step: 60, on: connection)
        }
        #expect(try await Self.pointsByTable(database) == ["metric_samples_default": 130])

        let applied = try await Migrator(migrations: shipped.filter { $0.version <= 3 }).migrate(database)
        #expect(applied.map(\.version) == [3])
        let byTable = try await Self.pointsByTable(database)
        #expect(byTable == ["metric_samples_2025_12": 60, "metric_samples_2026_01": 60, "metric_samples_2026_03": 10])
        // This month's and next month's partitions exist too, and the unique index still holds.
        let month = CalendarMonth(containing: Date())
        #expect(try await Self.partitionExists(month.partitionName, database))
        #expect(try await Self.partitionExists(month.next.partitionName, database))
        let duplicates = try await Self.run(database) { connection in
            try connection.query(
                "INSERT INTO metric_samples (service, environment, metric, ts, value) VALUES ('api', 'prod', 'error_rate', $1, 1) ON CONFLICT DO NOTHING",
                [Self.at("2026-01-01T00:30:00Z")]
            ).affectedRows
        }
        #expect(duplicates == 0)
    }

    /// Stores the cases retention must tell apart (see the test below).
    static func seedRetentionCases(_ database: PostgresConfiguration) async throws {
        try await run(database) { connection in
            for month in ["2026-06-01", "2026-07-01", "2026-08-01"] {
                try connection.query("SELECT create_metric_samples_partition($1::date)", [month])
            }
            // June: api's postmortem window is 09:30–10:50 (1 h baseline before the 10:30 start,
            // rolled back 10:45, 5 min grace): 9 of these 25 points; none of web's.
            try insertPoints("api", from: "2026-06-10T08:00:00Z", to: "2026-06-10T12:00:00Z", step: 600, on: connection)
            try insertPoints("web", from: "2026-06-10T08:00:00Z", to: "2026-06-10T12:00:00Z", step: 600, on: connection)
            try insertPoints("api", from: "2026-07-10T00:00:00Z", to: "2026-07-10T00:04:00Z", step: 60, on: connection)
            // August's partition ends 2026-09-01, after the cutoff: kept whole.
            try insertPoints("api", from: "2026-08-30T00:00:00Z", to: "2026-08-30T00:04:00Z", step: 60, on: connection)
            // January 2025 has no partition: in the default. api's deploy of 2025-01-05 10:00 (not
            // rolled back) reads 09:00–12:05: of 08:00, 09:30, 11:00, 12:30, two kept, two deleted.
            try insertPoints(
                "api", from: "2025-01-05T08:00:00Z", to: "2025-01-05T13:00:00Z", step: 5_400, on: connection)
            try insertPoints("api", from: "2026-11-28T00:00:00Z", to: "2026-11-28T00:04:00Z", step: 60, on: connection)

            let deploy = "INSERT INTO deploys (deploy_id, service, environment, started_at) VALUES ($1, $2, 'prod', $3)"
            let event = """
                INSERT INTO deploy_events (event_source, event_id, event_type, deploy_id, occurred_at, received_at, payload, attribution_pending)
                VALUES ('test', $1, 'deploy.started', $2, $3, $3, '{}', $4)
                """
            let postmortem = """
                INSERT INTO postmortems (postmortem_id, deploy_id, service, environment, triggers, severity, rolled_back_at, opened_at, updated_at)
                VALUES ($1, $2, 'api', 'prod', '{rolled_back_automatically}', 'sev2', $3, $4, $4)
                """
            let june = at("2026-06-10T10:30:00Z")
            for (id, service, started) in [
                ("pm-old", "api", june), ("pm-ancient", "api", at("2025-01-05T10:00:00Z")),
                ("old-healthy", "web", june),
                ("old-but-active", "web", june), ("recent", "web", at("2026-11-01T00:00:00Z")),
                ("queued-old", "web", june),
            ] as [(String, String, Date)] {
                try connection.query(deploy, [id, service, started])
                try connection.query(event, ["\(id)-start", id, started, false])
            }
            try connection.query(postmortem, [UUID(), "pm-old", at("2026-06-10T10:45:00Z"), june])
            try connection.query(postmortem, [UUID(), "pm-ancient", Date?.none, at("2025-01-05T11:00:00Z")])
            try connection.query(event, ["pm-old-rollback", "pm-old", at("2026-06-10T10:45:00Z"), false])
            try connection.query(event, ["old-healthy-finish", "old-healthy", at("2026-06-10T11:00:00Z"), false])
            try connection.query(event, ["old-but-active-late", "old-but-active", at("2026-11-20T00:00:00Z"), false])
            try connection.query(event, ["orphan-rollback", "orphan", june, false])
            try connection.query(event, ["unattributed", String?.none, june, false])
            try connection.query(event, ["pending", String?.none, june, true])
            try connection.query("INSERT INTO analysis_queue (deploy_ids) VALUES ('{queued-old}')")

            let outbox =
                "INSERT INTO outbox (event_id, topic, message_key, payload, created_at, sent_at) VALUES ($1, 't', 'k', '{}', $2, $3)"
            try connection.query(outbox, ["sent-june", june, june])
            try connection.query(outbox, ["sent-october", at("2026-10-01T00:00:00Z"), at("2026-10-01T00:00:00Z")])
            try connection.query(outbox, ["sent-recently", at("2026-11-20T00:00:00Z"), at("2026-11-20T00:00:00Z")])
            try connection.query(outbox, ["unsent-june", june, Date?.none])
        }
    }

    /// One text column, sorted by code point (whatever the database's collation).
    static func strings(_ sql: String, _ database: PostgresConfiguration) async throws -> [String] {
        try await run(database) { connection in try connection.query(sql).map { try $0.decode(String.self, at: 0) } }
            .sorted()
    }

    @Test func retentionDeletesExactlyWhatExpiredAndKeepsTheRecord() async throws {
        let database = try TestDatabase.fresh("lifecycle")
        try await DatabaseSchema.migrate(database)
        try await Self.seedRetentionCases(database)
        let (maintainer, pool) = Self.maintainer(database)
        let report = try await maintainer.maintain()
        let again = try await maintainer.maintain()
        await pool.close()

        #expect(report.ran)
        #expect(report.partitionsDropped == ["metric_samples_2026_06", "metric_samples_2026_07"])
        #expect(report.metricPointsKept == 9)
        #expect(report.metricPointsDeleted == 2)
        #expect(report.deploysDeleted == 1)
        #expect(report.eventsDeleted == 4, "old-healthy's two, the orphan's, the unattributed one")
        #expect(report.outboxRowsDeleted == 2)
        #expect(again == DataMaintainer.Report(), "a second run finds nothing more")

        let byTable = try await Self.pointsByTable(database)
        #expect(byTable["metric_samples_default"] == 9 + 2, "the points postmortems' analysis reads")
        #expect(byTable["metric_samples_2026_08"] == 5)
        #expect(byTable["metric_samples_2026_11"] == 5)
        #expect(try await !Self.partitionExists("metric_samples_2026_06", database))
        #expect(
            try await Self.strings("SELECT DISTINCT service FROM metric_samples WHERE ts < '2026-08-01'", database) == [
                "api"
            ])

        #expect(
            try await Self.strings("SELECT deploy_id FROM deploys", database)
                == ["old-but-active", "pm-ancient", "pm-old", "queued-old", "recent"])
        #expect(
            try await Self.strings("SELECT event_id FROM deploy_events", database) == [
                "old-but-active-late", "old-but-active-start", "pending", "pm-ancient-start", "pm-old-rollback",
                "pm-old-start",
                "queued-old-start", "recent-start",
            ])
        #expect(try await Self.strings("SELECT event_id FROM outbox", database) == ["sent-recently", "unsent-june"])
        #expect(try await Self.strings("SELECT deploy_ids::text FROM analysis_queue", database) == ["{queued-old}"])
    }

    @Test func zeroKeepsEverythingForever() async throws {
        let database = try TestDatabase.fresh("lifecycle")
        try await DatabaseSchema.migrate(database)
        try await Self.seedRetentionCases(database)
        // Every point, wherever it is stored: the partitions the migration made follow the real
        // month, so the maintainer may move points out of the default partition, never drop one.
        let everyPoint = "SELECT concat_ws(' ', service, environment, metric, ts, value) FROM metric_samples ORDER BY 1"
        let before = try await Self.strings(everyPoint, database)
        let (maintainer, pool) = Self.maintainer(database, retention: .forever)
        let report = try await maintainer.maintain()
        await pool.close()
        #expect(
            report.partitionsDropped.isEmpty && report.deploysDeleted == 0 && report.eventsDeleted == 0
                && report.outboxRowsDeleted == 0)
        #expect(try await Self.strings(everyPoint, database) == before)
    }

    @Test func concurrentMaintainersDoTheWorkOnceWithoutConflict() async throws {
        let database = try TestDatabase.fresh("lifecycle")
        try await DatabaseSchema.migrate(database)
        try await Self.seedRetentionCases(database)
        let migrated = try await Self.monthlyPartitions(database)
        // In March 2027 they create March and April (unless the migration did, run in those
        // months) and find June–November 2026 expired. Points of March that reached the default
        // before its partition existed are moved into it.
        let clock = Self.at("2027-03-10T00:00:00Z")
        try await Self.run(database) { connection in
            try Self.insertPoints(
                "api", from: "2027-03-05T00:00:00Z", to: "2027-03-05T00:02:00Z", step: 60, on: connection)
        }
        let maintainers = (0..<3).map { _ in Self.maintainer(database, clock: clock) }
        var reports: [DataMaintainer.Report] = []
        for _ in 0..<3 {
            reports += try await withThrowingTaskGroup(of: DataMaintainer.Report.self) { group in
                for (maintainer, _) in maintainers { group.addTask { try await maintainer.maintain() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        for (_, pool) in maintainers { await pool.close() }

        #expect(
            reports.flatMap(\.partitionsCreated).sorted()
                == ["metric_samples_2027_03", "metric_samples_2027_04"].filter { !migrated.contains($0) })
        let dropped = reports.flatMap(\.partitionsDropped)
        #expect(dropped.count == Set(dropped).count, "each partition dropped once")
        #expect(
            Set(dropped).isSuperset(of: ["metric_samples_2026_06", "metric_samples_2026_07", "metric_samples_2026_08"]))
        #expect(reports.map(\.metricPointsKept).reduce(0, +) == 9)
        #expect(reports.map(\.deploysDeleted).reduce(0, +) == 3, "now also old-but-active and recent")
        #expect(
            try await Self.strings("SELECT deploy_id FROM deploys", database) == ["pm-ancient", "pm-old", "queued-old"])
        let byTable = try await Self.pointsByTable(database)
        #expect(byTable["metric_samples_default"] == 9 + 2)
        #expect(byTable["metric_samples_2027_03"] == 3)
    }
}

/// The retention settings read from the environment.
@Suite("Retention configuration")
struct RetentionConfigurationTests {
    static let required = ["DATABASE_URL": "postgresql://db/app", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"]

    static func configuration(_ settings: [String: String]) throws -> ServiceConfiguration {
        try ServiceConfiguration.fromEnvironment(required.merging(settings) { $1 })
    }

    @Test func defaultsAndSettings() throws {
        let defaults = try Self.configuration([:])
        #expect(defaults.retention == Retention())
        let days: [Int] = [
            defaults.retention.metricSamplesDays, defaults.retention.deployEventsDays,
            defaults.retention.sentOutboxDays,
        ]
        #expect(days == [90, 90, 30])
        #expect(defaults.jobs.maintenanceInterval == .seconds(86_400))

        let set = try Self.configuration([
            "RETENTION_METRIC_SAMPLES_DAYS": "0", "RETENTION_DEPLOY_EVENTS_DAYS": "400",
            "RETENTION_OUTBOX_SENT_DAYS": "7",
            "MAINTENANCE_INTERVAL_SECONDS": "3600",
        ])
        let setDays: [Int] = [
            set.retention.metricSamplesDays, set.retention.deployEventsDays, set.retention.sentOutboxDays,
        ]
        #expect(setDays == [0, 400, 7])
        #expect(set.jobs.maintenanceInterval == .seconds(3600))
    }

    @Test(arguments: [
        (
            "RETENTION_METRIC_SAMPLES_DAYS", "3",
            "RETENTION_METRIC_SAMPLES_DAYS=3: expected 0 (keep forever) or a number of days in 7...36500"
        ),
        (
            "RETENTION_DEPLOY_EVENTS_DAYS", "-1",
            "RETENTION_DEPLOY_EVENTS_DAYS=-1: expected 0 (keep forever) or a number of days in 7...36500"
        ),
        (
            "RETENTION_OUTBOX_SENT_DAYS", "a week",
            "RETENTION_OUTBOX_SENT_DAYS=a week: expected 0 (keep forever) or a number of days in 1...36500"
        ),
        ("MAINTENANCE_INTERVAL_SECONDS", "10", "MAINTENANCE_INTERVAL_SECONDS=10: expected an integer in 60...86400"),
        (
            "RETENTION_METRIC_SAMPLES_DAYS", "30",
            "RETENTION_METRIC_SAMPLES_DAYS=30 is shorter than RETENTION_DEPLOY_EVENTS_DAYS=90: a postmortem opened late for a deploy whose events are kept would have no metric points"
        ),
        (
            "RETENTION_DEPLOY_EVENTS_DAYS", "0",
            "RETENTION_METRIC_SAMPLES_DAYS=90 is shorter than RETENTION_DEPLOY_EVENTS_DAYS=0 (forever): a postmortem opened late for a deploy whose events are kept would have no metric points"
        ),
    ])
    func invalidValuesNameTheVariable(name: String, value: String, message: String) throws {
        let error = #expect(throws: ServiceError.self) { try Self.configuration([name: value]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description == message)
    }
}
