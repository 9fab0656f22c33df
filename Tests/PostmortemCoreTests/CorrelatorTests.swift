import Foundation
import Testing

@testable import PostmortemCore

@Suite("Correlation")
struct CorrelatorTests {
    static func series(baseline: [Double], after: [Double], metric: String = "latency_p99_ms") -> MetricSeries {
        let before = baseline.enumerated().map {
            MetricPoint(
                at: Fixture.start.addingTimeInterval(Double($0.offset - baseline.count) * 60), value: $0.element)
        }
        let later = after.enumerated().map {
            MetricPoint(at: Fixture.start.addingTimeInterval(Double($0.offset) * 60), value: $0.element)
        }
        return MetricSeries(service: "s", environment: "prod", metric: metric, points: before + later)
    }

    static let window = Fixture.start...Fixture.start.addingTimeInterval(600)

    /// Noisy baseline alternating 80/120: median 100, MAD 20, so the MAD margin (88.956) dominates 20 %.
    @Test(arguments: [
        (150.0, 0.0, false, 188.96), (200, 0, true, 188.96), (200, 150, false, 250),
    ])
    func marginsCombine(_ value: Double, _ absolute: Double, _ contributes: Bool, _ limit: Double) {
        var config = AnalysisConfig()
        config.absoluteMargin = absolute
        let noisy = (0..<60).map { $0 % 2 == 0 ? 80.0 : 120.0 }
        let c = Correlator(config: config).correlate(
            Self.series(baseline: noisy, after: Array(repeating: value, count: 11)), window: Self.window)
        #expect(c.baseline == 100)
        #expect((c.limit * 100).rounded() / 100 == limit)
        #expect(c.contributing == contributes)
        #expect(c.onset == (contributes ? Fixture.start : nil))
    }

    @Test func configuredDirectionBelow() {
        var config = AnalysisConfig()
        config.metricDirections["throughput_rps"] = .below
        let s = Self.series(
            baseline: Array(repeating: 1000, count: 60), after: [1000, 1000] + Array(repeating: 500, count: 9),
            metric: "throughput_rps")
        let c = Correlator(config: config).correlate(s, window: Self.window)
        #expect(c.direction == .below)
        #expect(c.limit == 800)
        #expect(c.peak == 500)
        #expect(c.onset == Fixture.start.addingTimeInterval(120))
        #expect(c.breachFraction == 1)
        #expect(c.contributing)
    }

    /// A `direction` declared by the metric's events (as the Prometheus source stores its
    /// `badDirection`) decides the bad side without a threshold; an SLO still wins over it.
    @Test(arguments: [
        ("{}", Direction.below, DirectionSource.inferred, true),
        (#"{"direction": "below"}"#, .below, .configured, true),
        (#"{"direction": "above"}"#, .above, .configured, false),
        (#"{"direction": "above", "slo": {"threshold": 900, "direction": "below"}}"#, .below, .slo, true),
    ])
    func declaredDirection(_ members: String, _ direction: Direction, _ source: DirectionSource, _ contributes: Bool)
        throws
    {
        let extra = try #require(try JSONSerialization.jsonObject(with: Data(members.utf8)) as? [String: Any])
        let points = (-60...10).map { minute in
            ["at": Fixture.t(Double(minute)), "value": minute >= 2 ? 500.0 : 1000.0] as [String: Any]
        }
        let data = ["service": "s", "environment": "prod", "metric": "throughput_rps", "points": points].merging(extra)
        { $1 }
        let samples = try Fixture.decode([Fixture.event("metric.sampled.v1", id: "m", data)])
            .compactMap { if case .metricSampled(let m) = $0.event { m } else { nil } }
        let series = try #require(MetricSeries.series(from: samples).first)
        let c = Correlator(config: AnalysisConfig()).correlate(series, window: Self.window)
        #expect(c.direction == direction)
        #expect(c.directionSource == source)
        #expect(c.contributing == contributes)
    }

    @Test func reasonsForNotContributing() {
        let correlator = Correlator(config: AnalysisConfig())
        let flat = Array(repeating: 100.0, count: 60)
        #expect(
            correlator.correlate(
                Self.series(baseline: flat, after: Array(repeating: 100, count: 11)), window: Self.window
            ).reason == "no breach")
        #expect(
            correlator.correlate(
                Self.series(baseline: flat, after: [100, 300, 100, 300, 300, 100]), window: Self.window
            ).reason == "no sustained breach")
        #expect(
            correlator.correlate(
                Self.series(baseline: [100, 100], after: Array(repeating: 300, count: 11)), window: Self.window
            ).reason
                == "insufficient baseline: 2 of 5 samples")
    }

    @Test func duplicatePointsCollapse() {
        let samples = try! Fixture.decode([
            Fixture.regression(onset: 2),
            Fixture.regression(onset: 2).replacingOccurrences(of: "checkout-latency_p99_ms", with: "again"),
        ])
        .compactMap { if case .metricSampled(let m) = $0.event { m } else { nil } }
        let series = MetricSeries.series(from: samples)
        #expect(series.count == 1)
        #expect(series[0].points.count == 121)
    }
}
