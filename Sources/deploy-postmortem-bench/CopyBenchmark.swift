import ArgumentParser
import Foundation
import LocalPostgres
import Postgres
import PostmortemService

/// Loads metric-sample rows into the real `metric_samples` table through
/// ``PostgresConnection/copyFrom(_:_:)`` and through `psql \copy` of the same rows, on the same
/// throwaway server, and prints rows/s for both and their ratio.
struct CopyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "COPY throughput of the Postgres module vs. psql \\copy."
    )

    @Option(help: "Rows per load.")
    var rows = 1_000_000

    @Option(help: "Loads per contender; the best is reported.")
    var rounds = 3

    /// One metric point as the service holds it before storing.
    struct Sample {
        var service: String
        var environment: String
        var metric: String
        var at: Date
        var value: Double
        var labels: PostgresJSON
    }

    static let copyStatement = "COPY metric_samples (service, environment, metric, ts, value, labels) FROM STDIN"

    func run() async throws {
        let cluster = try LocalPostgresCluster.start()
        defer { cluster.stop() }
        let configuration = PostgresConfiguration(connectionString: try cluster.createDatabase("bench"))
        try await DatabaseSchema.migrate(configuration)

        let samples = Self.makeSamples(count: rows)
        let file = cluster.directory.appendingPathComponent("samples.copy")
        var encoded = PostgresCopyBuffer(capacity: rows * 96)
        for sample in samples { Self.append(sample, to: &encoded) }
        try Data(encoded.bytes).write(to: file)
        print(
            "rows: \(rows), file: \(encoded.bytes.count / 1_048_576) MiB, server: PostgreSQL on 127.0.0.1 (fsync off), table: metric_samples (partitioned, unique series index)"
        )

        let connection = try await PostgresConnection.connect(configuration)
        var best = (ours: Duration.seconds(3600), psql: Duration.seconds(3600))
        for round in 1...rounds {
            try await connection.run { try $0.query("TRUNCATE metric_samples") }
            let psql = try ContinuousClock().measure {
                try cluster.run(
                    "psql",
                    [
                        "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", configuration.connectionString, "-c",
                        "\\copy metric_samples (service, environment, metric, ts, value, labels) FROM '\(file.path)'",
                    ])
            }
            try await connection.run { try $0.query("TRUNCATE metric_samples") }
            let start = ContinuousClock.now
            let loaded = try await connection.run { connection in
                try connection.copyFrom(Self.copyStatement) { writer in
                    for sample in samples {
                        writer.field(sample.service)
                        writer.field(sample.environment)
                        writer.field(sample.metric)
                        writer.field(sample.at)
                        writer.field(sample.value)
                        writer.field(sample.labels)
                        try writer.endRow()
                    }
                }
            }
            let ours = ContinuousClock.now - start
            guard loaded == rows else { throw ValidationError("loaded \(loaded) rows, expected \(rows)") }
            print(
                "round \(round): Postgres module \(Self.rate(rows, ours)) rows/s, psql \\copy \(Self.rate(rows, psql)) rows/s"
            )
            best = (min(best.ours, ours), min(best.psql, psql))
        }
        let ratio = best.psql / best.ours
        print(
            "best: Postgres module \(Self.rate(rows, best.ours)) rows/s, psql \\copy \(Self.rate(rows, best.psql)) rows/s, ratio \(String(format: "%.2f", ratio)) (target ≥ 0.80)"
        )
    }

    static func append(_ sample: Sample, to buffer: inout PostgresCopyBuffer) {
        buffer.field(sample.service)
        buffer.field(sample.environment)
        buffer.field(sample.metric)
        buffer.field(sample.at)
        buffer.field(sample.value)
        buffer.field(sample.labels)
        buffer.endRow()
    }

    /// Realistic series: 50 services × 4 metrics × 2 pods, one point every 10 s per series.
    static func makeSamples(count: Int) -> [Sample] {
        let metrics = ["http_error_rate", "latency_p99_ms", "cpu_utilization", "checkout_conversion"]
        let origin = Date(timeIntervalSince1970: 1_795_714_918)
        return (0..<count).map { index in
            let series = index % 400
            return Sample(
                service: "service-\(series / 8)", environment: "production", metric: metrics[series / 2 % 4],
                at: origin.addingTimeInterval(Double(index / 400) * 10), value: Double(index % 1000) * 0.731,
                labels: PostgresJSON(rawJSON: "{\"pod\": \"pod-\(series % 2)\", \"region\": \"eu-west-1\"}"))
        }
    }

    static func rate(_ rows: Int, _ duration: Duration) -> Int {
        Int(Double(rows) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18))
    }
}
