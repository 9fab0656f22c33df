import Foundation
import Testing

@testable import PostmortemCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The SVG charts: scales and ticks, escaping, degenerate inputs, the documents parse as XML
/// with every number finite, and the postmortem builder places its markers where the events
/// put them. Set `CHART_PREVIEW_DIR` to also write the scenario charts there as `.svg` files to
/// look at (docs/charts.md).
@Suite("Charts")
struct ChartTests {
    // MARK: Scales

    @Test(
        "value axes have 1-2-5 steps and whole-step ends",
        arguments: [
            // values, includeZero, target intervals → lower, upper, step
            ([0.4, 5.2], false, 5, 0.0, 6.0, 1.0),
            ([100, 200], false, 5, 100, 200, 20),
            ([99, 201], false, 5, 50, 250, 50),
            ([100], false, 5, 90, 110, 5),
            ([0], false, 5, -1, 1, 0.5),
            ([0], true, 5, 0, 1, 0.2),
            ([], true, 5, 0, 1, 0.2),
            ([25, 40], true, 4, 0, 40, 10),
            ([-3, 7], false, 5, -4, 8, 2),
            ([1e12, 3e12], false, 4, 1e12, 3e12, 5e11),
            ([1e-6, 3e-6], false, 4, 1e-6, 3e-6, 5e-7),
        ] as [([Double], Bool, Int, Double, Double, Double)])
    func valueAxis(
        _ values: [Double], _ includeZero: Bool, _ target: Int, _ lower: Double, _ upper: Double, _ step: Double
    ) {
        let axis = ValueAxis(covering: values, targetTicks: target, includeZero: includeZero)
        #expect(abs(axis.step - step) <= step * 1e-9)
        #expect(abs(axis.lower - lower) <= step * 1e-9)
        #expect(abs(axis.upper - upper) <= step * 1e-9)
        #expect(axis.ticks.count == Int(((upper - lower) / step).rounded()) + 1)
        #expect(values.allSatisfy { $0 >= axis.lower && $0 <= axis.upper })
    }

    @Test(
        "nice steps round up to 1, 2 or 5 times a power of ten",
        arguments: [(0.96, 1), (1, 1), (1.2, 2), (2.1, 5), (7, 10), (0.034, 0.05), (3e-7, 5e-7), (450, 500)]
            as [(Double, Double)])
    func niceStep(_ raw: Double, _ nice: Double) {
        #expect(abs(ValueAxis.niceStep(raw) - nice) <= nice * 1e-12)
    }

    @Test(
        "tick labels carry as many decimals as the step, scientific when huge or tiny",
        arguments: [
            (0.25, 0.05, "0.25"), (120, 20, "120"), (1.5, 0.5, "1.5"), (2, 0.5, "2.0"), (-0.5, 0.5, "-0.5"),
            (1e-17, 0.2, "0"), (2_000_000, 500_000, "2e6"), (2_500_000, 500_000, "2.5e6"), (2e-5, 1e-5, "2e-5"),
            (0.3, 0.1, "0.3"), (7.5, 2.5, "7.5"),
        ] as [(Double, Double, String)])
    func tickLabel(_ value: Double, _ step: Double, _ text: String) {
        #expect(SVGText.tick(value, step: step) == text)
    }

    @Test(
        "time axes tick at round times, labelled in UTC",
        arguments: [
            // span start, length (s), max ticks → step, first label, label count
            ("2026-11-26T09:58:00Z", 4200.0, 8, 600.0, "10:00", 7),
            ("2026-11-26T10:00:10Z", 30.0, 8, 5.0, "10:00:10", 7),
            ("2026-11-26T00:00:00Z", 172_800.0, 8, 21_600.0, "00:00", 9),
            ("2026-11-25T12:00:00Z", 60 * 86_400.0, 8, 1_209_600.0, "7 Dec", 4),
        ] as [(String, Double, Int, Double, String, Int)])
    func timeAxis(_ from: String, _ length: Double, _ maxTicks: Int, _ step: Double, _ first: String, _ count: Int)
        throws
    {
        let start = try #require(RFC3339.parse(from))
        let axis = TimeAxis(from: start, to: start.addingTimeInterval(length), maxTicks: maxTicks)
        #expect(axis.step == step)
        #expect(axis.ticks.first.map(axis.label) == first)
        #expect(axis.ticks.count == count)
        #expect(axis.ticks.allSatisfy { $0 >= axis.start && $0 <= axis.end })
    }

    @Test("week-long time ticks fall on Mondays")
    func mondayTicks() throws {
        let start = try #require(RFC3339.parse("2026-09-02T00:00:00Z"))
        let axis = TimeAxis(from: start, to: start.addingTimeInterval(70 * 86_400), maxTicks: 12)
        #expect(axis.step == 604_800)
        #expect(axis.ticks.allSatisfy { ISOWeek(containing: $0).start == $0 })
    }

    // MARK: Text

    @Test(
        "strings are escaped for XML and characters XML forbids are replaced",
        arguments: [
            ("<script>alert(\"x\")</script>", "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
            ("a & b", "a &amp; b"), ("it's", "it&#39;s"), ("bell\u{7}", "bell\u{FFFD}"), ("tab\tok", "tab\tok"),
            ("latency_p99_ms{region=\"eu\"}", "latency_p99_ms{region=&quot;eu&quot;}"), ("plain", "plain"),
        ] as [(String, String)])
    func escaping(_ raw: String, _ escaped: String) {
        #expect(SVGText.escape(raw) == escaped)
    }

    @Test(
        "fixed-point numbers need no locale",
        arguments: [
            (0.25, 1, "0.3"), (-0.0, 0, "0"), (12.5, 2, "12.50"), (-3.14159, 3, "-3.142"), (1e9, 0, "1000000000"),
            (0.05, 2, "0.05"),
        ] as [(Double, Int, String)])
    func fixed(_ value: Double, _ decimals: Int, _ text: String) {
        #expect(SVGText.fixed(value, decimals: decimals) == text)
    }

    @Test(
        "coordinates have at most one decimal and are always finite",
        arguments: [
            (12, "12"), (12.5, "12.5"), (-3.24, "-3.2"), (0.04, "0"), (-0.04, "0"), (99.96, "100"), (.nan, "0"),
            (.infinity, "0"), (1e12, "1000000000"),
        ] as [(Double, String)])
    func coordinate(_ value: Double, _ text: String) {
        #expect(SVGText.coordinate(value) == text)
    }

    // MARK: Label layout

    @Test(
        "labels that would overlap go to the next lane, up to the last",
        arguments: [
            ([(0, 10), (5, 15), (17, 30)], 4, [0, 1, 0]),
            ([(0, 10), (5, 15), (8, 20), (12, 30)], 4, [0, 1, 2, 3]),
            ([(0, 10), (5, 15), (8, 20)], 2, [0, 1, 0]),
            ([(0, 10), (5, 15)], 1, [0, 0]),
        ] as [([(Double, Double)], Int, [Int])])
    func lanes(_ spans: [(Double, Double)], _ maxLanes: Int, _ expected: [Int]) {
        #expect(LabelLayout.lanes(spans.map { (start: $0.0, end: $0.1) }, maxLanes: maxLanes) == expected)
    }

    @Test(
        "side labels keep their gap, inside the plot",
        arguments: [
            ([50, 52, 200], [0, 0, 0], [50, 63, 200]),
            ([52, 50], [0, 0], [63, 50]),
            ([295, 298], [0, 0], [287, 300]),
            ([50, 52], [13, 0], [50, 76]),
            ([-20, 10], [0, 0], [0, 13]),
        ] as [([Double], [Double], [Double])])
    func spread(_ wanted: [Double], _ extents: [Double], _ expected: [Double]) {
        #expect(LabelLayout.spread(wanted, extents: extents, gap: 13, top: 0, bottom: 300) == expected)
    }

    @Test(
        "long labels wrap at spaces, the last line cut",
        arguments: [
            ("canary threshold 300 ms (off scale)", 2, ["canary threshold 300", "ms (off scale)"]),
            ("baseline to limit 100–120 errors/min of checkout", 2, ["baseline to limit", "100–120 errors/min …"]),
            ("short", 2, ["short"]), ("averyveryverylongwordwithoutspaces", 2, ["averyveryverylongwo…"]),
        ] as [(String, Int, [String])])
    func wrap(_ text: String, _ maxLines: Int, _ expected: [String]) {
        #expect(LabelLayout.wrap(text, width: 120, fontSize: 10, maxLines: maxLines) == expected)
    }

    // MARK: Degenerate and hostile input

    static let t0 = Fixture.start

    static func minute(_ m: Double) -> Date { t0.addingTimeInterval(m * 60) }

    static func series(_ values: [Double]) -> [MetricPoint] {
        values.enumerated().map { MetricPoint(at: minute(Double($0.offset)), value: $0.element) }
    }

    static let hostile = "<script>alert('x')</script> & \u{1}"

    /// Charts that must still be valid documents, with what their text alternative must say.
    static let edgeCharts: [(String, MetricTimelineChart, String)] = [
        ("empty", MetricTimelineChart(title: "Empty", metric: "m", points: []), "m: no samples."),
        (
            "one point", MetricTimelineChart(title: "One", metric: "m", unit: "ms", points: series([42])),
            "m (ms): 1 sample from 10:00 UTC to 10:00 UTC, 42 to 42."
        ),
        (
            "constant", MetricTimelineChart(title: "Flat", metric: "m", points: series(Array(repeating: 7, count: 30))),
            "m: 30 samples from 10:00 UTC to 10:29 UTC, 7 to 7."
        ),
        (
            "non-finite values are skipped",
            MetricTimelineChart(
                title: "Gaps", metric: "m", points: series([1, .nan, 3, .infinity, -.infinity, 2, 1e301]),
                band: .init(label: "band", low: .nan, high: 2),
                thresholds: [.init(label: "t", value: .infinity, kind: .configured)]),
            "m: 3 samples from 10:00 UTC to 10:05 UTC, 1 to 3."
        ),
        (
            "huge values",
            MetricTimelineChart(title: "Huge", metric: "m", points: series([1e12, 3e12, 2.5e12, -1e12])),
            "m: 4 samples from 10:00 UTC to 10:03 UTC, -1000000000000 to 3000000000000."
        ),
        (
            "tiny values",
            MetricTimelineChart(title: "Tiny", metric: "m", points: series([1e-7, 3e-7, 2e-7])),
            "m: 3 samples from 10:00 UTC to 10:02 UTC, 1e-07 to 3e-07."
        ),
        (
            "hostile strings",
            MetricTimelineChart(
                title: hostile, metric: hostile, unit: hostile, points: series([1, 2]),
                band: .init(label: hostile, low: 1, high: 2),
                windows: [.init(label: hostile, start: minute(0), end: minute(1))],
                markers: [.init(label: hostile, at: minute(1), kind: .other)],
                thresholds: [.init(label: hostile, value: 1.5, trippedAt: minute(1), kind: .counterfactual)],
                summary: hostile),
            hostile
        ),
        (
            "markers only",
            MetricTimelineChart(
                title: "No samples yet", metric: "m", points: [],
                markers: [.init(label: "deploy", at: minute(0), kind: .deploy)]),
            "Markers: deploy 10:00 UTC."
        ),
        (
            "a far-off threshold is named at the edge, not drawn",
            MetricTimelineChart(
                title: "Off scale", metric: "m", unit: "%", points: series([0.4, 0.5, 5.2]),
                thresholds: [.init(label: "canary threshold", value: 10_000, kind: .configured)]),
            "Lines: canary threshold 10000 %."
        ),
    ]

    @Test(
        "edge cases render a valid document with finite numbers and say what they show",
        arguments: edgeCharts.indices)
    func edgeCase(_ index: Int) throws {
        let (name, chart, says) = Self.edgeCharts[index]
        let svg = chart.svg()
        let tree = try SVGTree(svg)
        try tree.checkAccessible(title: chart.title)
        #expect(tree.nonFiniteNumbers.isEmpty, "\(name): \(tree.nonFiniteNumbers)")
        #expect(chart.textAlternative.contains(says), "\(name): \(chart.textAlternative)")
        #expect(tree.desc == SVGTree.asParsed(chart.textAlternative))
        #expect(!svg.contains("<script"), "\(name)")
        #expect(tree.texts.contains { $0.hasPrefix("No samples") } == chart.points.allSatisfy { !$0.value.isFinite })
        try preview(svg, "edge-\(index)")
    }

    @Test("hostile strings appear only escaped and read back as they were")
    func hostileStrings() throws {
        let chart = Self.edgeCharts.first { $0.0 == "hostile strings" }!.1
        let svg = chart.svg()
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("\u{1}"))
        let tree = try SVGTree(svg)
        let cleaned = SVGTree.asParsed(Self.hostile)
        #expect(tree.title == cleaned)
        #expect(tree.texts.contains(cleaned))
        let trend = TrendChart(title: Self.hostile, unit: "<b>", buckets: [.init(label: "<i>", value: 1)])
        let trendTree = try SVGTree(trend.svg())
        #expect(!trend.svg().contains("<b>") && !trend.svg().contains("<i>"))
        #expect(trendTree.texts.contains("<i>") && trendTree.texts.contains("<b>"))
    }

    @Test("the samples' order does not change the document")
    func deterministic() {
        let points = Self.series((0..<50).map { Double(($0 * 37) % 11) })
        var shuffled = points
        var random = SplitMix64(seed: 7)
        shuffled.shuffle(using: &random)
        let a = MetricTimelineChart(title: "t", metric: "m", points: points).svg()
        let b = MetricTimelineChart(title: "t", metric: "m", points: shuffled).svg()
        #expect(a == b)
    }

    @Test("a gap in the samples breaks the line; a lone sample still shows")
    func gaps() throws {
        let points =
            Self.series([1, 2, 3]) + [MetricPoint(at: Self.minute(30), value: 2)]
            + [40, 41, 42].map { MetricPoint(at: Self.minute($0), value: 1) }
        let tree = try SVGTree(MetricTimelineChart(title: "t", metric: "m", points: points).svg())
        let path = try #require(tree.elements.first { $0.attributes["class"] == "series" }?.attributes["d"])
        #expect(path.filter { $0 == "M" }.count == 3)
        #expect(path.components(separatedBy: "h0").count - 1 == 3)
    }

    @Test("2,000 samples render as one path")
    func manyPoints() throws {
        let points = (0..<2000).map { MetricPoint(at: Self.minute(Double($0) / 6), value: 100 + Double($0 % 17)) }
        let tree = try SVGTree(MetricTimelineChart(title: "t", metric: "m", points: points).svg())
        let path = try #require(tree.elements.first { $0.attributes["class"] == "series" }?.attributes["d"])
        #expect(path.filter { $0 == "L" }.count == 1999)
        #expect(!tree.elements.contains { $0.attributes["class"] == "samples" })
        #expect(tree.nonFiniteNumbers.isEmpty)
    }

    // MARK: From a postmortem

    /// A replayed scenario, the chart its contributing metric gets, and the chart parsed.
    struct Built {
        let postmortem: Postmortem
        let chart: MetricTimelineChart
        let tree: SVGTree

        init(cause: String) throws {
            let lines = try #require(GateReplayTests.cases.first { $0.cause == cause }).lines
            let events = try Fixture.decode(lines)
            postmortem = try #require(BatchAnalysis().run(events).postmortems.first { $0.deployId == "d-1" })
            let metric = try #require(postmortem.contributingMetrics.first)
            // The series' samples around d-1 (the history's deploys days earlier share it).
            let window = ChartTests.minute(-60)...ChartTests.minute(60)
            let points = events.flatMap { event -> [MetricPoint] in
                guard case .metricSampled(let sample) = event.event, sample.metric == metric.metricName else {
                    return []
                }
                return sample.points.filter { window.contains($0.at) }
            }
            chart = .forContributingMetric(metric, of: postmortem, points: points)
            tree = try SVGTree(chart.svg())
        }

        /// The x of the marker line of `kind`.
        func x(_ kind: MetricTimelineChart.Marker.Kind) throws -> Double {
            let line = try #require(tree.elements.first { $0.attributes["class"] == "marker marker-\(kind.rawValue)" })
            return try #require(line.attributes["x1"].flatMap(Double.init))
        }

        /// x and width of the window rectangle of `kind`.
        func window(_ kind: MetricTimelineChart.Window.Kind) throws -> (x: Double, width: Double) {
            let rect = try #require(tree.elements.first { $0.attributes["class"] == "window window-\(kind.rawValue)" })
            return (
                try #require(rect.attributes["x"].flatMap(Double.init)),
                try #require(rect.attributes["width"].flatMap(Double.init))
            )
        }
    }

    @Test("a loose canary threshold: markers, window, thresholds and trip point where the events put them")
    func looseThreshold() throws {
        let built = try Built(cause: "too_loose")
        let chart = built.chart
        #expect(chart.markers.map(\.kind) == [.deploy, .onset, .rollback, .trip])
        #expect(chart.markers.map(\.at) == [0, 2, 8, 2].map(Self.minute))
        #expect(chart.markers.map(\.label) == ["deploy", "onset", "rollback", "canary at 150 would fail"])
        #expect(chart.windows == [.init(label: "canary (passed)", start: Self.minute(0), end: Self.minute(10))])
        #expect(chart.band == .init(label: "baseline to limit", low: 100, high: 120))
        #expect(
            chart.thresholds == [
                .init(label: "canary threshold", value: 300, kind: .configured),
                .init(label: "canary would fail at", value: 150, trippedAt: Self.minute(2), kind: .counterfactual),
            ])
        // Positions: 2 and 8 minutes after the deploy; the canary ran 10; the trip ring sits on the onset.
        let deploy = try built.x(.deploy)
        let minutePixels = (try built.x(.rollback) - deploy) / 8
        #expect(minutePixels > 1)
        #expect(abs(try built.x(.onset) - deploy - 2 * minutePixels) <= 0.2)
        #expect(abs(try built.x(.trip) - (try built.x(.onset))) <= 0.1)
        let canary = try built.window(.gate)
        #expect(abs(canary.x - deploy) <= 0.1)
        #expect(abs(canary.width - 10 * minutePixels) <= 0.2)
        let ring = try #require(built.tree.elements.first { $0.attributes["class"] == "trip" })
        #expect(abs((ring.attributes["cx"].flatMap(Double.init) ?? 0) - (try built.x(.onset))) <= 0.1)
        for phrase in [
            "latency_p99_ms rose from a baseline of 100 ms to a peak of 200 ms",
            "it breached 120 ms from 10:02 UTC, 2 min after the deploy started",
            "rolled back at 10:08 UTC, 6 min after the onset", "The canary threshold 300 ms did not trip.",
            "With threshold 150 the canary would have failed at 10:02 UTC, 6 min before the rollback",
        ] {
            #expect(chart.textAlternative.contains(phrase), "\(phrase) in \(chart.textAlternative)")
        }
        try built.tree.checkAccessible(title: chart.title)
        #expect(built.tree.nonFiniteNumbers.isEmpty)
        try preview(chart.svg(), "loose-threshold")
        try preview(chart.svg(width: 960, height: 320), "loose-threshold-960")
    }

    @Test("a soak that ended before the onset: the proposed longer soak is drawn from the soak's start")
    func shortSoak() throws {
        let built = try Built(cause: "ended_before_onset")
        #expect(
            built.chart.windows == [
                .init(label: "soak (passed)", start: Self.minute(10), end: Self.minute(20)),
                .init(
                    label: "soak of 30 min (proposed)", start: Self.minute(10), end: Self.minute(40), kind: .proposed),
            ])
        #expect(built.chart.markers.last?.label == "30 min soak would fail")
        let deploy = try built.x(.deploy)
        let minutePixels = (try built.x(.rollback) - deploy) / 40
        #expect(abs(try built.x(.onset) - deploy - 30 * minutePixels) <= 0.2)
        #expect(abs(try built.x(.trip) - deploy - 30 * minutePixels) <= 0.2)
        let soak = try built.window(.gate)
        let proposed = try built.window(.proposed)
        #expect(abs(soak.x - deploy - 10 * minutePixels) <= 0.2)
        #expect(abs(soak.width - 10 * minutePixels) <= 0.2)
        #expect(abs(proposed.x - soak.x) <= 0.1)
        #expect(abs(proposed.width - 30 * minutePixels) <= 0.2)
        #expect(
            built.chart.textAlternative.contains(
                "The soak ended before the onset. A 30 min soak would have failed at 10:30 UTC"))
        try preview(built.chart.svg(), "short-soak")
    }

    @Test("an unchecked metric: the proposed check and its trip, no configured threshold")
    func uncheckedMetric() throws {
        let built = try Built(cause: "metric_not_gated")
        #expect(
            built.chart.thresholds == [
                .init(label: "canary check at", value: 150, trippedAt: Self.minute(2), kind: .counterfactual)
            ])
        #expect(!built.tree.elements.contains { $0.attributes["class"] == "threshold threshold-configured" })
        #expect(
            built.chart.textAlternative.contains(
                "The canary did not check it. A canary check at 150 would have failed at 10:02 UTC"))
        try preview(built.chart.svg(), "unchecked")
    }

    @Test(
        "every scenario's metrics chart as valid documents, markers where their times put them",
        arguments: Scenario.all + Scenario.reviewed)
    func scenario(_ s: Scenario) throws {
        let events = try Fixture.decode(s.lines)
        let report = BatchAnalysis(config: s.config).run(events)
        guard let postmortem = report.postmortems.first(where: { $0.deployId == s.deployId }) else { return }
        for metric in postmortem.contributingMetrics + postmortem.ruledOutMetrics {
            let points = events.flatMap { event -> [MetricPoint] in
                guard case .metricSampled(let sample) = event.event, sample.metric == metric.metricName,
                    sample.labels == metric.labels, sample.service == postmortem.service,
                    sample.environment == postmortem.environment
                else { return [] }
                return sample.points
            }
            let chart = MetricTimelineChart.forContributingMetric(metric, of: postmortem, points: points)
            let tree = try SVGTree(chart.svg())
            try tree.checkAccessible(title: chart.title)
            #expect(tree.nonFiniteNumbers.isEmpty, "\(metric.metric)")
            #expect(chart.markers.contains { $0.kind == .onset } == (metric.onset != nil))
            #expect(chart.markers.contains { $0.kind == .rollback } == (postmortem.rolledBackAt != nil))
            if let onset = metric.onset { #expect(chart.textAlternative.contains("from \(formatClock(onset))")) }
            if let rollback = postmortem.rolledBackAt {
                #expect(chart.textAlternative.contains("rolled back at \(formatClock(rollback))"))
            }
            // Every marker line sits where a linear time axis puts its time.
            let lines = tree.elements.filter { $0.attributes["class"]?.hasPrefix("marker ") == true }
            let xs = lines.compactMap { $0.attributes["x1"].flatMap(Double.init) }
            let times = chart.markers.sorted { $0.at < $1.at }.map(\.at)
            #expect(xs.count == times.count)
            guard let first = times.first, let last = times.last, last > first, let x0 = xs.first, let x1 = xs.last
            else { continue }
            let scale = (x1 - x0) / last.timeIntervalSince(first)
            for (x, time) in zip(xs, times) {
                #expect(abs(x - x0 - time.timeIntervalSince(first) * scale) <= 0.2, "\(s.name) \(metric.metric)")
            }
        }
    }

    @Test(
        "the summary says which way the metric moved, or that it stayed within its limit",
        arguments: [
            (
                "d-22", "success_rate",
                "success_rate fell from a baseline of 99 ms to a low of 90 ms; it breached 98.5 ms from 10:02 UTC, "
                    + "2 min after the deploy started. The deploy was rolled back at 10:08 UTC, 6 min after the onset. "
                    + "The canary did not check it."
            ),
            (
                "d-43", "latency_p99_ms",
                "latency_p99_ms stayed within its breach limit of 120 ms (baseline 100 ms, worst 100 ms). "
                    + "The deploy was rolled back at 10:09 UTC."
            ),
        ])
    func summary(_ deployId: String, _ metricName: String, _ expected: String) throws {
        let scenario = try #require((Scenario.all + Scenario.reviewed).first { $0.deployId == deployId })
        let report = BatchAnalysis(config: scenario.config).run(try Fixture.decode(scenario.lines))
        let postmortem = try #require(report.postmortems.first { $0.deployId == deployId })
        let metric = try #require(
            (postmortem.contributingMetrics + postmortem.ruledOutMetrics).first { $0.metric == metricName })
        let summary = try #require(
            MetricTimelineChart.forContributingMetric(metric, of: postmortem, points: []).summary)
        #expect(summary.hasPrefix(expected), "\(summary)")
    }

    // MARK: Trends

    @Test("weeks without data are gaps marked as such, never zero")
    func trendGaps() throws {
        let chart = TrendChart(
            title: "Change failure rate", unit: "%",
            buckets: [("W1", 25), ("W2", nil), ("W3", 0), ("W4", 12.5), ("W5", .nan)].map {
                TrendChart.Bucket(label: $0.0, value: $0.1)
            })
        let tree = try SVGTree(chart.svg())
        let path = try #require(tree.elements.first { $0.attributes["class"] == "series" }?.attributes["d"])
        #expect(path.filter { $0 == "M" }.count == 2)
        #expect(path.filter { $0 == "L" }.count == 1)
        #expect(tree.elements.filter { $0.attributes["class"] == "point" }.count == 3)
        #expect(tree.elements.filter { $0.attributes["class"] == "no-data" }.count == 2)
        #expect(
            chart.textAlternative
                == "Change failure rate per ISO week, W1 to W5 (%): latest 12.5 in W4; highest 25 in W1; lowest 0 in W3; no data in W2, W5."
        )
        try tree.checkAccessible(title: chart.title)
        #expect(tree.nonFiniteNumbers.isEmpty)
        try preview(chart.svg(), "trend-gaps")
    }

    @Test("trend charts of the delivery figures, week by week")
    func deliveryTrends() throws {
        // Monday 2026-11-02 to Monday 2026-11-23: three whole weeks. Week 1: four deploys, one
        // failed and rolled back after 30 min, the next is rework; week 2: none; week 3: two good.
        let monday = try #require(RFC3339.parse("2026-11-02T00:00:00Z"))
        func day(_ d: Double) -> Date { monday.addingTimeInterval(d * 86_400) }
        func record(_ id: String, _ d: Double, failed: Bool = false) -> DeployRecord {
            DeployRecord(
                deployId: id, service: "checkout", environment: "prod", startedAt: day(d),
                finishedAt: day(d).addingTimeInterval(600), outcome: failed ? .failed : .succeeded,
                triggers: failed ? ["rolled_back_automatically"] : [],
                rolledBackAt: failed ? day(d).addingTimeInterval(1800) : nil)
        }
        let records = [
            record("a", 0), record("b", 1, failed: true), record("c", 1.5), record("d", 3), record("e", 15),
            record("f", 16),
        ]
        let figures = DeliveryFigures(records: records, from: day(0), to: day(21))
        let cases: [(TrendChart, [Double?], String)] = [
            (.deploymentFrequency(figures), [4, 0, 2], "deploys/week"),
            (.changeFailureRate(figures), [25, nil, 0], "%"),
            (.reworkRate(figures), [25, nil, 0], "%"),
            (.recoveryTime(figures, quantile: .p50), [30, nil, nil], "min"),
            (.recoveryTime(figures, quantile: .p90), [30, nil, nil], "min"),
        ]
        for (chart, values, unit) in cases {
            #expect(chart.buckets.map(\.value) == values, "\(chart.title)")
            #expect(chart.buckets.map(\.label) == ["2026-W45", "2026-W46", "2026-W47"])
            #expect(chart.unit == unit)
            let tree = try SVGTree(chart.svg())
            try tree.checkAccessible(title: chart.title)
            #expect(tree.nonFiniteNumbers.isEmpty)
            try preview(chart.svg(), "trend-\(chart.title)")
        }
        #expect(TrendChart.changeFailureRate(figures).note == "1 of 6 deploys failed (16.6667 %) over the window.")
        let partial = DeliveryFigures(records: records, from: day(1), to: day(20))
        #expect(
            TrendChart.deploymentFrequency(partial).note?.hasSuffix("The first and last weeks are partial.") == true)
    }

    // MARK: Contrast

    /// WCAG 2 contrast ratio of `#rrggbb` against white.
    static func contrastOnWhite(_ hex: String) throws -> Double {
        let value = try #require(UInt32(hex.dropFirst(), radix: 16), "\(hex)")
        let channels = [value >> 16, value >> 8 & 0xFF, value & 0xFF].map { Double($0) / 255 }
        let linear = channels.map { $0 <= 0.04045 ? $0 / 12.92 : pow(($0 + 0.055) / 1.055, 2.4) }
        let luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return 1.05 / (luminance + 0.05)
    }

    @Test("WCAG contrast formula", arguments: [("#000000", 21.0), ("#767676", 4.54), ("#ffffff", 1.0)])
    func contrastFormula(_ hex: String, _ ratio: Double) throws {
        #expect(abs(try Self.contrastOnWhite(hex) - ratio) < 0.01)
    }

    @Test("text has 4.5:1 contrast on white and the lines that carry data 3:1 (WCAG AA)")
    func contrast() throws {
        let documents = [
            try Built(cause: "too_loose").chart.svg(), try Built(cause: "ended_before_onset").chart.svg(),
            Self.edgeCharts.first { $0.0.hasPrefix("a far-off") }!.1.svg(),
            TrendChart(title: "t", unit: "%", buckets: [.init(label: "a", value: 1), .init(label: "b", value: nil)])
                .svg(),
        ]
        let dataClasses = ["series", "threshold", "marker", "trip", "window window-proposed"]
        var checked = 0
        for svg in documents {
            for element in try SVGTree(svg).elements {
                if element.name == "text", let fill = element.attributes["fill"] {
                    #expect(try Self.contrastOnWhite(fill) >= 4.5, "text \(element.text) in \(fill)")
                    checked += 1
                }
                if let kind = element.attributes["class"], dataClasses.contains(where: kind.hasPrefix),
                    let stroke = element.attributes["stroke"]
                {
                    #expect(try Self.contrastOnWhite(stroke) >= 3, "\(kind) in \(stroke)")
                    checked += 1
                }
            }
        }
        #expect(checked > 40)
    }

    /// Writes `svg` to `$CHART_PREVIEW_DIR/name.svg` when that is set, to look at.
    private func preview(_ svg: String, _ name: String) throws {
        guard let directory = ProcessInfo.processInfo.environment["CHART_PREVIEW_DIR"] else { return }
        let file = name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        try svg.write(toFile: "\(directory)/\(String(file)).svg", atomically: true, encoding: .utf8)
    }
}

/// An SVG document parsed with Foundation's XML parser: its elements with their attributes and
/// text, in document order.
final class SVGTree: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []

    /// Parses `svg`; throws when it is not well-formed XML.
    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw ParseError(description: "\(parser.parserError.map(String.init(describing:)) ?? "?") in \(svg)")
        }
    }

    struct ParseError: Error, CustomStringConvertible { let description: String }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        elements.append(Element(name: elementName, attributes: attributeDict))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        open.removeLast()
    }

    /// `text` as it reads back from the document: characters XML forbids replaced by U+FFFD.
    static func asParsed(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.value < 0x20 && !["\t", "\n", "\r"].contains($0) ? "\u{FFFD}" : $0 }))
    }

    var title: String? { elements.first { $0.name == "title" }?.text }
    var desc: String? { elements.first { $0.name == "desc" }?.text }
    var texts: [String] { elements.filter { $0.name == "text" }.map(\.text) }

    /// Numeric attributes (and path data) that are not finite numbers.
    var nonFiniteNumbers: [String] {
        let numeric: Set<String> = ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"]
        var bad: [String] = []
        for element in elements {
            for (key, value) in element.attributes where numeric.contains(key) {
                if Double(value)?.isFinite != true { bad.append("\(element.name) \(key)=\(value)") }
            }
            if let d = element.attributes["d"] {
                let tokens = d.split { $0 == " " || ($0.isLetter && $0 != "e") }
                for token in tokens where Double(token)?.isFinite != true { bad.append("path \(token)") }
            }
        }
        return bad
    }

    /// The root is an image labelled by its title and described by its desc, both present.
    func checkAccessible(title expected: String) throws {
        let root = try #require(elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["role"] == "img")
        let ids = try #require(root.attributes["aria-labelledby"]).split(separator: " ").map(String.init)
        #expect(ids.count == 2)
        let titleElement = try #require(elements.first { $0.name == "title" })
        let descElement = try #require(elements.first { $0.name == "desc" })
        #expect(ids == [titleElement.attributes["id"], descElement.attributes["id"]].compactMap { $0 })
        #expect(titleElement.text == Self.asParsed(expected))
        #expect(!descElement.text.isEmpty)
    }
}
