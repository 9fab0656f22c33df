import Foundation

/// One metric series over time as an accessible inline SVG: the samples, the band of values the
/// analysis considered normal, the gate windows shaded, vertical markers (deploy start, onset,
/// rollback, the counterfactual trip), and horizontal thresholds (the gate's own and the one that
/// would have caught the regression, with its trip point). Pure and deterministic: the same
/// chart always gives the same text.
///
/// Build one from a postmortem with ``forContributingMetric(_:of:points:)``, or fill it in
/// directly. Every string is XML-escaped; non-finite values (and values beyond ±1e300) are
/// skipped, never written.
public struct MetricTimelineChart: Sendable, Hashable {
    /// A horizontal band of values, e.g. from the baseline median to the breach limit.
    public struct Band: Sendable, Hashable {
        /// What the band is, e.g. `baseline to breach limit` (the chart appends the values).
        public var label: String
        /// Lower edge.
        public var low: Double
        /// Upper edge.
        public var high: Double

        /// Creates a band (the edges may come in either order).
        public init(label: String, low: Double, high: Double) {
            self.label = label
            self.low = low
            self.high = high
        }
    }

    /// A stretch of time shaded behind the series, e.g. a gate window.
    public struct Window: Sendable, Hashable {
        /// What was, or would have been, running.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// A window that happened (grey fill).
            case gate
            /// A proposed window that did not happen, e.g. a longer soak (dashed outline).
            case proposed
        }

        /// Its label, e.g. `canary (passed)`.
        public var label: String
        /// Start.
        public var start: Date
        /// End.
        public var end: Date
        /// How it is drawn.
        public var kind: Kind

        /// Creates a window (the ends may come in either order).
        public init(label: String, start: Date, end: Date, kind: Kind = .gate) {
            self.label = label
            self.start = start
            self.end = end
            self.kind = kind
        }
    }

    /// A moment drawn as a vertical line labelled with its name and `HH:mm`.
    public struct Marker: Sendable, Hashable {
        /// What happened; sets colour and dash pattern.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// The deploy started (grey, dotted).
            case deploy
            /// The degradation began (red, dashed).
            case onset
            /// The deploy was rolled back (green, solid).
            case rollback
            /// A changed gate would have failed the deploy (purple, dotted).
            case trip
            /// Anything else (grey, solid).
            case other
        }

        /// Its label, e.g. `onset` (the chart appends the time).
        public var label: String
        /// When.
        public var at: Date
        /// How it is drawn.
        public var kind: Kind

        /// Creates a marker.
        public init(label: String, at: Date, kind: Kind) {
            self.label = label
            self.at = at
            self.kind = kind
        }
    }

    /// A horizontal line at a value, labelled at the right edge.
    public struct Threshold: Sendable, Hashable {
        /// Whose threshold it is.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// The gate's configured threshold (brown, solid).
            case configured
            /// The counterfactual threshold that would have caught it (purple, dashed).
            case counterfactual
        }

        /// Its label, e.g. `canary threshold` (the chart appends the value and unit).
        public var label: String
        /// The value.
        public var value: Double
        /// When the series would have tripped it (drawn as a ring on the line), if it would.
        public var trippedAt: Date?
        /// How it is drawn.
        public var kind: Kind

        /// Creates a threshold.
        public init(label: String, value: Double, trippedAt: Date? = nil, kind: Kind) {
            self.label = label
            self.value = value
            self.trippedAt = trippedAt
            self.kind = kind
        }
    }

    /// Heading, also the SVG's `<title>`.
    public var title: String
    /// The series' name.
    public var metric: String
    /// The values' unit, e.g. `ms` or `%` (the value axis's title); nil when undeclared.
    public var unit: String?
    /// The samples, in any order.
    public var points: [MetricPoint]
    /// The band of normal values, if any.
    public var band: Band?
    /// Windows shaded behind the series.
    public var windows: [Window]
    /// Vertical markers.
    public var markers: [Marker]
    /// Horizontal thresholds.
    public var thresholds: [Threshold]
    /// The key facts in words, the start of the text alternative (`<desc>`); the chart adds
    /// what it draws (range, windows, markers, thresholds) after it.
    public var summary: String?

    /// Creates a chart.
    public init(
        title: String, metric: String, unit: String? = nil, points: [MetricPoint], band: Band? = nil,
        windows: [Window] = [], markers: [Marker] = [], thresholds: [Threshold] = [], summary: String? = nil
    ) {
        self.title = title
        self.metric = metric
        self.unit = unit
        self.points = points
        self.band = band
        self.windows = windows
        self.markers = markers
        self.thresholds = thresholds
        self.summary = summary
    }

    /// The chart as a standalone `<svg>` element to inline in HTML: `role="img"` labelled by its
    /// `<title>` and described by its `<desc>` (``textAlternative``). `id` prefixes the element
    /// IDs inside it (default: derived from the title and metric), so several charts can share
    /// a page. Sizes below 240 × 160 are raised to it.
    public func svg(width: Int = 720, height: Int = 280, id: String? = nil) -> String {
        MetricTimelineLayout(chart: Drawable(self), width: max(width, 240), height: max(height, 160))
            .render(id: SVGDocument.identifier(requested: id, seed: title + "\n" + metric))
    }

    /// The text alternative: ``summary`` followed by what the chart draws, e.g. `latency_p99_ms
    /// (ms): 121 samples from 09:00 to 11:00 UTC, 99 to 200. Shaded: canary (passed) 10:00 to
    /// 10:10. Markers: deploy 10:00, onset 10:02, rollback 10:08. Lines: canary threshold 300 ms;
    /// canary would fail at 150 ms, tripped at 10:02.`
    public var textAlternative: String { Drawable(self).textAlternative }

    /// What can be drawn: finite values within ±1e300, points in time order, band and windows
    /// with ordered ends, markers in time order.
    struct Drawable {
        let points: [MetricPoint]
        let band: Band?
        let windows: [Window]
        let markers: [Marker]
        let thresholds: [Threshold]
        let chart: MetricTimelineChart

        init(_ chart: MetricTimelineChart) {
            self.chart = chart
            let finite = chart.points.filter { drawable($0.value) }
            // Samples usually come in time order: sorted (stably) only when they do not.
            points =
                zip(finite, finite.dropFirst()).allSatisfy { $0.at <= $1.at }
                ? finite
                : finite.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            band = chart.band.flatMap { b in
                drawable(b.low) && drawable(b.high)
                    ? Band(label: b.label, low: min(b.low, b.high), high: max(b.low, b.high)) : nil
            }
            windows = chart.windows.map {
                Window(label: $0.label, start: min($0.start, $0.end), end: max($0.start, $0.end), kind: $0.kind)
            }
            markers = chart.markers.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
                .map(\.element)
            thresholds = chart.thresholds.filter { drawable($0.value) }
        }

        /// ``MetricTimelineChart/textAlternative``.
        var textAlternative: String {
            let (summary, metric, unit) = (chart.summary, chart.metric, chart.unit)
            var parts: [String] = summary.map { [$0] } ?? []
            let name = metric + (unit.map { " (\($0))" } ?? "")
            if let first = points.first, let last = points.last {
                let values = points.map(\.value)
                let count = points.count == 1 ? "1 sample" : "\(points.count) samples"
                parts.append(
                    "\(name): \(count) from \(formatClock(first.at)) to \(formatClock(last.at)), "
                        + "\(formatNumber(values.min() ?? 0)) to \(formatNumber(values.max() ?? 0)).")
            } else {
                parts.append("\(name): no samples.")
            }
            if let band {
                parts.append(
                    "Band: \(band.label) \(formatNumber(band.low)) to \(SVGText.quantity(band.high, unit: unit)).")
            }
            if !windows.isEmpty {
                parts.append(
                    "Shaded: "
                        + windows.map { "\($0.label) \(formatClock($0.start)) to \(formatClock($0.end))" }
                        .joined(separator: ", ") + ".")
            }
            if !markers.isEmpty {
                parts.append(
                    "Markers: " + markers.map { "\($0.label) \(formatClock($0.at))" }.joined(separator: ", ")
                        + ".")
            }
            if !thresholds.isEmpty {
                parts.append(
                    "Lines: "
                        + thresholds.map { t in
                            "\(t.label) \(SVGText.quantity(t.value, unit: unit))"
                                + (t.trippedAt.map { ", tripped at \(formatClock($0))" } ?? "")
                        }.joined(separator: "; ") + ".")
            }
            return parts.joined(separator: " ")
        }
    }
}

/// Whether a value can be drawn: finite and within ±1e300 (so spans between values stay finite).
func drawable(_ value: Double) -> Bool { value.isFinite && abs(value) <= 1e300 }
