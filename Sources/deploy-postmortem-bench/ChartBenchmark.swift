import ArgumentParser
import Foundation
import PostmortemCore

/// Times the SVG charts the UI inlines: a metric chart with N samples (a baseline band, two gate
/// windows, four markers and two thresholds) and a trend chart of 52 weeks. Prints microseconds
/// per chart and the document's size.
struct ChartBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charts", abstract: "SVG chart rendering time: a metric chart of N samples, a 52-week trend.")

    @Option(help: "Samples of the metric chart.")
    var points = 2000

    @Option(help: "Charts rendered per figure.")
    var repeats = 2000

    func run() async throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        func at(_ minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }
        let samples = (0..<points).map { i in
            MetricPoint(at: at(Double(i) / 10), value: 100 + Double(i % 7) + (i > points / 2 ? 80 : 0))
        }
        let metric = MetricTimelineChart(
            title: "latency_p99_ms around deploy d-1", metric: "latency_p99_ms", unit: "ms", points: samples,
            band: .init(label: "baseline to limit", low: 100, high: 120),
            windows: [
                .init(label: "canary (passed)", start: at(Double(points) / 20), end: at(Double(points) / 20 + 10)),
                .init(label: "soak (passed)", start: at(Double(points) / 20 + 10), end: at(Double(points) / 20 + 40)),
            ],
            markers: [
                .init(label: "deploy", at: at(Double(points) / 20), kind: .deploy),
                .init(label: "onset", at: at(Double(points) / 20 + 2), kind: .onset),
                .init(label: "canary would fail", at: at(Double(points) / 20 + 3), kind: .trip),
                .init(label: "rollback", at: at(Double(points) / 20 + 30), kind: .rollback),
            ],
            thresholds: [
                .init(label: "canary threshold", value: 300, kind: .configured),
                .init(
                    label: "canary would fail at", value: 150, trippedAt: at(Double(points) / 20 + 3),
                    kind: .counterfactual),
            ])
        let trend = TrendChart(
            title: "Change failure rate", unit: "%",
            buckets: (1...52).map {
                .init(label: "2026-W\($0 < 10 ? "0" : "")\($0)", value: $0 % 9 == 0 ? nil : Double($0 % 13))
            })
        let clock = ContinuousClock()
        for (name, render) in [
            ("metric chart, \(points) samples", { metric.svg() }), ("trend chart, 52 weeks", { trend.svg() }),
        ] {
            var bytes = 0
            let elapsed = clock.measure {
                for _ in 0..<repeats { bytes = render().utf8.count }
            }
            let micros =
                (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
                / Double(repeats)
            print("\(name): \(String(format: "%.1f", micros)) µs per chart, \(bytes) bytes")
        }
    }
}
