import Foundation

/// A figure per period (DORA's delivery figures per ISO week) as an accessible inline SVG: a
/// line through the periods with a value, a gap — marked `no data`, never drawn as zero — where a
/// period has none, the value axis from zero. Pure and deterministic; every string is
/// XML-escaped and non-finite values count as no data.
///
/// Build one from ``DeliveryFigures`` with ``deploymentFrequency(_:)``, ``changeFailureRate(_:)``,
/// ``recoveryTime(_:quantile:)`` or ``reworkRate(_:)``, or fill it in directly.
public struct TrendChart: Sendable, Hashable {
    /// One period.
    public struct Bucket: Sendable, Hashable {
        /// The period's name on the axis, e.g. `2026-W47`.
        public var label: String
        /// Its value; nil when the period has no data (drawn as a gap).
        public var value: Double?

        /// Creates a bucket.
        public init(label: String, value: Double?) {
            self.label = label
            self.value = value
        }
    }

    /// Heading, also the SVG's `<title>`.
    public var title: String
    /// The values' unit, e.g. `%`, `deploys/week`, `h` (the value axis's title).
    public var unit: String
    /// The periods, in order.
    public var buckets: [Bucket]
    /// What the periods are, the category axis's title, e.g. `ISO week`.
    public var periodName: String
    /// Context for the text alternative, stated before the period-by-period facts (e.g. the
    /// figure over the whole window).
    public var note: String?

    /// Creates a chart.
    public init(title: String, unit: String, buckets: [Bucket], periodName: String = "ISO week", note: String? = nil) {
        self.title = title
        self.unit = unit
        self.buckets = buckets
        self.periodName = periodName
        self.note = note
    }

    /// The buckets with non-finite values as no data.
    var drawableBuckets: [Bucket] {
        buckets.map { Bucket(label: $0.label, value: $0.value.flatMap { drawable($0) ? $0 : nil }) }
    }

    /// The text alternative: ``note``, then the range of periods, the latest, highest and lowest
    /// values and the periods without data, e.g. `Change failure rate per ISO week, 2026-W40 to
    /// 2026-W48 (%): latest 12.5 in 2026-W48; highest 33.3 in 2026-W44; lowest 0 in 2026-W41;
    /// no data in 2026-W42.`
    public var textAlternative: String {
        let buckets = drawableBuckets
        var parts: [String] = note.map { [$0] } ?? []
        guard let first = buckets.first, let last = buckets.last else {
            parts.append("\(title): no \(periodName)s.")
            return parts.joined(separator: " ")
        }
        let range = first.label == last.label ? first.label : "\(first.label) to \(last.label)"
        var facts = "\(title) per \(periodName), \(range) (\(unit))"
        let valued = buckets.compactMap { b in b.value.map { (label: b.label, value: $0) } }
        if let latest = valued.last,
            let highest = valued.enumerated().max(by: { ($0.element.value, $1.offset) < ($1.element.value, $0.offset) }
            ),
            let lowest = valued.enumerated().min(by: { ($0.element.value, $0.offset) < ($1.element.value, $1.offset) })
        {
            facts += ": latest \(formatNumber(latest.value)) in \(latest.label)"
            facts += "; highest \(formatNumber(highest.element.value)) in \(highest.element.label)"
            facts += "; lowest \(formatNumber(lowest.element.value)) in \(lowest.element.label)"
        } else {
            facts += ": no data"
        }
        let missing = buckets.filter { $0.value == nil }.map(\.label)
        if !missing.isEmpty, !valued.isEmpty { facts += "; no data in " + missing.joined(separator: ", ") }
        parts.append(facts + ".")
        return parts.joined(separator: " ")
    }

    /// The chart as a standalone `<svg>` element to inline in HTML: `role="img"` labelled by its
    /// `<title>` and described by its `<desc>` (``textAlternative``). `id` prefixes the element
    /// IDs inside it (default: derived from the title). Sizes below 240 × 160 are raised to it.
    public func svg(width: Int = 720, height: Int = 240, id: String? = nil) -> String {
        TrendLayout(chart: self, width: Double(max(width, 240)), height: Double(max(height, 160)))
            .render(id: SVGDocument.identifier(requested: id, seed: title + "\n" + unit))
    }
}

/// The geometry of one ``TrendChart`` at one size, and its SVG.
private struct TrendLayout {
    let chart: TrendChart
    let width: Double
    let height: Double

    func render(id: String) -> String {
        var doc = SVGDocument(
            width: Int(width), height: Int(height), id: id, title: chart.title, description: chart.textAlternative)
        doc.text(
            LabelLayout.fit(chart.title, width: width - 16, fontSize: 14),
            ["x": "8", "y": "18", "font-size": "14", "font-weight": "600", "fill": ChartPalette.text])
        let buckets = chart.drawableBuckets
        guard !buckets.isEmpty else {
            doc.text(
                "No \(chart.periodName)s to show",
                [
                    "x": SVGText.coordinate(width / 2), "y": SVGText.coordinate(height / 2), "text-anchor": "middle",
                    "font-size": "13", "fill": ChartPalette.muted,
                ])
            return doc.finish()
        }
        let top = 34.0
        let bottom = height - 40
        let values = buckets.compactMap(\.value)
        let axis = ValueAxis(covering: values, targetTicks: max(2, Int((bottom - top) / 40)), includeZero: true)
        let tickWidth = axis.ticks.map { SVGText.width(axis.label($0), fontSize: 11) }.max() ?? 10
        let left = (tickWidth + 30).rounded()
        let right = width - 16
        let slot = (right - left) / Double(buckets.count)
        func x(_ index: Int) -> Double { left + (Double(index) + 0.5) * slot }
        func y(_ value: Double) -> Double { axis.position(value, bottom: bottom, top: top) }

        doc.valueGrid(axis, left: left, right: right, y: y)
        doc.text(
            chart.unit.isEmpty ? "value" : chart.unit,
            [
                "transform": "translate(12 \(SVGText.coordinate((top + bottom) / 2))) rotate(-90)",
                "text-anchor": "middle", "font-size": "11", "fill": ChartPalette.muted,
            ])
        doc.element(
            "path",
            [
                "d":
                    "M\(SVGText.coordinate(left)) \(SVGText.coordinate(top))V\(SVGText.coordinate(bottom))"
                    + "H\(SVGText.coordinate(right))",
                "fill": "none", "stroke": ChartPalette.axis, "stroke-width": "1",
            ])
        let every = MetricTimelineLayout.every(buckets.map(\.label), spacing: slot)
        for (index, bucket) in buckets.enumerated() where index % every == 0 {
            doc.text(
                bucket.label,
                [
                    "x": SVGText.coordinate(x(index)), "y": SVGText.coordinate(bottom + 16), "text-anchor": "middle",
                    "font-size": "11", "fill": ChartPalette.muted,
                ])
        }
        doc.text(
            chart.periodName,
            [
                "x": SVGText.coordinate((left + right) / 2), "y": SVGText.coordinate(height - 8),
                "text-anchor": "middle", "font-size": "11", "fill": ChartPalette.muted,
            ])

        // The line, broken at periods without data, which are marked as such.
        var path = ""
        var previousHadValue = false
        for (index, bucket) in buckets.enumerated() {
            guard let value = bucket.value else {
                previousHadValue = false
                doc.text(
                    "no data",
                    [
                        "class": "no-data", "x": SVGText.coordinate(x(index)), "y": SVGText.coordinate(bottom - 6),
                        "text-anchor": "middle", "font-size": "9", "fill": ChartPalette.muted,
                    ])
                continue
            }
            path +=
                (previousHadValue ? "L" : "M") + SVGText.coordinate(x(index)) + " " + SVGText.coordinate(y(value))
            previousHadValue = true
        }
        if !path.isEmpty {
            doc.element(
                "path",
                [
                    "class": "series", "d": path, "fill": "none", "stroke": ChartPalette.series, "stroke-width": "2",
                    "stroke-linejoin": "round",
                ])
        }
        let labelValues = slot >= 34
        for (index, bucket) in buckets.enumerated() {
            guard let value = bucket.value else { continue }
            doc.element(
                "circle",
                [
                    "class": "point", "cx": SVGText.coordinate(x(index)), "cy": SVGText.coordinate(y(value)),
                    "r": "3.5",
                    "fill": ChartPalette.series,
                ])
            guard labelValues else { continue }
            doc.text(
                SVGText.short(value),
                [
                    "x": SVGText.coordinate(x(index)), "y": SVGText.coordinate(y(value) - 8),
                    "text-anchor": "middle", "font-size": "10", "fill": ChartPalette.text,
                    "stroke": "#ffffff", "stroke-width": "3", "paint-order": "stroke",
                ])
        }
        return doc.finish()
    }
}
