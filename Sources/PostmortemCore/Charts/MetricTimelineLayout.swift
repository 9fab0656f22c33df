import Foundation

/// Colours of the charts, each at least 4.5:1 against white (WCAG AA for text) except the
/// translucent fills, which carry no information alone: every element also has a label or a
/// dash pattern of its own.
enum ChartPalette {
    static let text = "#1a1a1a"
    static let muted = "#4d4d4d"
    static let axis = "#767676"
    static let grid = "#e3e3e3"
    static let series = "#1f4e9c"
    static let band = "#2e7d32"
    static let bandText = "#1b5e20"
    static let window = "#52606d"
    static let windowText = "#3e4c59"
    static let configured = "#8a4b00"
    static let counterfactual = "#6a1b9a"
    static let onset = "#b00020"
    static let rollback = "#0b6e4f"

    /// Stroke colour and dash pattern of a marker.
    static func style(_ kind: MetricTimelineChart.Marker.Kind) -> (color: String, dash: String?, width: String) {
        switch kind {
        case .deploy: (muted, "2 3", "1.5")
        case .onset: (onset, "6 3", "1.5")
        case .rollback: (rollback, nil, "2")
        case .trip: (counterfactual, "1 3", "2")
        case .other: (muted, nil, "1")
        }
    }

    /// Stroke colour and dash pattern of a threshold line.
    static func style(_ kind: MetricTimelineChart.Threshold.Kind) -> (color: String, dash: String?) {
        switch kind {
        case .configured: (configured, nil)
        case .counterfactual: (counterfactual, "7 4")
        }
    }
}

/// The geometry of one ``MetricTimelineChart`` at one size, and its SVG.
struct MetricTimelineLayout {
    private static let font = 11.0
    private static let smallFont = 10.0
    private static let laneHeight = 13.0

    private let chart: MetricTimelineChart.Drawable
    private let width: Double
    private let height: Double

    init(chart: MetricTimelineChart.Drawable, width: Int, height: Int) {
        self.chart = chart
        self.width = Double(width)
        self.height = Double(height)
    }

    /// A label at the right edge of the plot, beside the value it names.
    private struct SideLabel {
        var text: String
        var value: Double
        var color: String
        /// Off the value axis: drawn at its top (`1`) or bottom (`-1`) edge with an arrow.
        var offScale: Int
    }

    func render(id: String) -> String {
        var doc = SVGDocument(
            width: Int(width), height: Int(height), id: id, title: chart.chart.title,
            description: chart.textAlternative)
        let titleText = LabelLayout.fit(chart.chart.title, width: width - 16, fontSize: 14)
        doc.text(titleText, ["x": "8", "y": "18", "font-size": "14", "font-weight": "600", "fill": ChartPalette.text])
        let times =
            chart.points.map(\.at) + chart.windows.flatMap { [$0.start, $0.end] } + chart.markers.map(\.at)
            + chart.thresholds.compactMap(\.trippedAt)
        guard let earliest = times.min(), let latest = times.max() else {
            doc.text(
                "No samples to show",
                [
                    "x": SVGText.coordinate(width / 2), "y": SVGText.coordinate(height / 2), "text-anchor": "middle",
                    "font-size": "13", "fill": ChartPalette.muted,
                ])
            return doc.finish()
        }

        // Value axis: samples and band, and each threshold that does not squash them to under a
        // quarter of the axis; the others are named at the edge they are beyond.
        let unit = chart.chart.unit
        let dataValues = chart.points.map(\.value) + (chart.band.map { [$0.low, $0.high] } ?? [])
        let dataLow = dataValues.min()
        let dataHigh = dataValues.max()
        var onScale: [MetricTimelineChart.Threshold] = []
        var sideLabels: [SideLabel] = []
        for t in chart.thresholds {
            let text = "\(t.label) \(SVGText.quantity(t.value, unit: unit))"
            let color = ChartPalette.style(t.kind).color
            if let low = dataLow, let high = dataHigh {
                let reach = max(high - low, max(abs(low), abs(high)) / 10, 1e-300) * 3
                if t.value > high + reach {
                    sideLabels.append(
                        SideLabel(text: "↑ " + text + " (off scale)", value: 0, color: color, offScale: 1))
                    continue
                }
                if t.value < low - reach {
                    sideLabels.append(
                        SideLabel(text: "↓ " + text + " (off scale)", value: 0, color: color, offScale: -1))
                    continue
                }
            }
            onScale.append(t)
            sideLabels.append(SideLabel(text: text, value: t.value, color: color, offScale: 0))
        }
        if let band = chart.band {
            let text = "\(band.label) \(formatNumber(band.low))–\(SVGText.quantity(band.high, unit: unit))"
            sideLabels.append(
                SideLabel(text: text, value: (band.low + band.high) / 2, color: ChartPalette.bandText, offScale: 0))
        }
        let values = dataValues + onScale.map(\.value)
        let plotTopWithoutLanes = 30.0
        let plotBottom = height - 40
        func plotTopBelow(lanes: Int) -> Double {
            plotTopWithoutLanes + Double(lanes) * Self.laneHeight + (lanes > 0 ? 4 : 0)
        }

        // Time axis padded by 2 % each side so markers at the ends stay visible.
        let span = max(latest.timeIntervalSince(earliest), 1)
        let start = earliest.addingTimeInterval(-span * 0.02)
        let end = latest.addingTimeInterval(span * 0.02)

        // The right margin fits the widest label, up to 30 % of the width; longer ones wrap
        // (to three lines on a narrow chart).
        let sideWidth = sideLabels.map { SVGText.width($0.text, fontSize: Self.font) }.max() ?? 0
        let right = width - min(max(sideWidth + 14, 16), (width * 0.3).rounded())
        let sideLines = sideLabels.map {
            LabelLayout.wrap($0.text, width: width - right - 8, fontSize: Self.font, maxLines: width < 480 ? 3 : 2)
        }
        // The left margin fits the value ticks of any plot height the marker lanes may leave.
        let targets =
            Self.tickTarget(plotBottom - plotTopBelow(lanes: 4))...Self.tickTarget(plotBottom - plotTopBelow(lanes: 0))
        let tickWidth =
            targets.map { target in
                let axis = ValueAxis(covering: values, targetTicks: target)
                return axis.ticks.map { SVGText.width(axis.label($0), fontSize: Self.font) }.max() ?? 10
            }.max() ?? 10
        let left = (tickWidth + 30).rounded()
        let timeAxis = TimeAxis(
            from: start, to: end, maxTicks: max(2, Int((right - left) / 70)))

        // Marker labels in lanes above the plot.
        let markerTexts = chart.markers.map { "\($0.label) \(SVGText.clock($0.at))" }
        let markerX = chart.markers.map { timeAxis.position($0.at, left: left, right: right) }
        let markerSpans = zip(markerTexts, markerX).map { text, x in
            let w = SVGText.width(text, fontSize: Self.smallFont)
            return x + 3 + w <= width - 4 ? (start: x + 3, end: x + 3 + w) : (start: x - 3 - w, end: x - 3)
        }
        let markerLanes = LabelLayout.lanes(markerSpans, maxLanes: 4)
        let plotTop = plotTopBelow(lanes: (markerLanes.max() ?? -1) + 1)
        let axis = ValueAxis(covering: values, targetTicks: Self.tickTarget(plotBottom - plotTop))
        func y(_ value: Double) -> Double { axis.position(value, bottom: plotBottom, top: plotTop) }
        func x(_ date: Date) -> Double { timeAxis.position(date, left: left, right: right) }

        doc.raw(
            "<defs><clipPath id=\"\(doc.id)-plot\"><rect x=\"\(SVGText.coordinate(left))\" y=\"\(SVGText.coordinate(plotTop))\" "
                + "width=\"\(SVGText.coordinate(right - left))\" height=\"\(SVGText.coordinate(plotBottom - plotTop))\"/>"
                + "</clipPath></defs>")

        // Grid and value ticks.
        doc.valueGrid(axis, left: left, right: right, y: y)
        doc.text(
            unit.flatMap { $0.isEmpty ? nil : $0 } ?? "value",
            [
                "transform":
                    "translate(12 \(SVGText.coordinate((plotTop + plotBottom) / 2))) rotate(-90)",
                "text-anchor": "middle", "font-size": "11", "fill": ChartPalette.muted,
            ])

        // Windows, then the band, behind everything else.
        let windowLabels = chart.windows.map {
            LabelLayout.fit($0.label, width: right - left, fontSize: Self.smallFont)
        }
        let windowSpans = zip(chart.windows, windowLabels).map { w, text in
            (start: x(w.start) + 4, end: x(w.start) + 4 + SVGText.width(text, fontSize: Self.smallFont))
        }
        let windowLanes = LabelLayout.lanes(windowSpans, maxLanes: 3)
        for (index, w) in chart.windows.enumerated() {
            let x0 = x(w.start)
            let x1 = max(x(w.end), x0 + 1)
            var attributes: KeyValuePairs<String, String> = [:]
            switch w.kind {
            case .gate:
                attributes = [
                    "class": "window window-gate", "x": SVGText.coordinate(x0), "y": SVGText.coordinate(plotTop),
                    "width": SVGText.coordinate(x1 - x0), "height": SVGText.coordinate(plotBottom - plotTop),
                    "fill": ChartPalette.window,
                    "fill-opacity": "0.12",
                ]
            case .proposed:
                attributes = [
                    "class": "window window-proposed", "x": SVGText.coordinate(x0), "y": SVGText.coordinate(plotTop),
                    "width": SVGText.coordinate(x1 - x0), "height": SVGText.coordinate(plotBottom - plotTop),
                    "fill": "none",
                    "stroke": ChartPalette.counterfactual, "stroke-width": "1.5", "stroke-dasharray": "4 3",
                ]
            }
            doc.element("rect", attributes)
            doc.text(
                windowLabels[index],
                [
                    "x": SVGText.coordinate(x0 + 4),
                    "y": SVGText.coordinate(plotBottom - 6 - Double(windowLanes[index]) * 12),
                    "font-size": "10", "fill": w.kind == .gate ? ChartPalette.windowText : ChartPalette.counterfactual,
                    "stroke": "#ffffff", "stroke-width": "3", "paint-order": "stroke",
                ])
        }
        if let band = chart.band {
            let top = y(band.high)
            doc.element(
                "rect",
                [
                    "class": "band", "x": SVGText.coordinate(left), "y": SVGText.coordinate(top),
                    "width": SVGText.coordinate(right - left),
                    "height": SVGText.coordinate(max(y(band.low) - top, 1)), "fill": ChartPalette.band,
                    "fill-opacity": "0.14",
                ])
        }

        // Axes.
        doc.element(
            "path",
            [
                "d":
                    "M\(SVGText.coordinate(left)) \(SVGText.coordinate(plotTop))V\(SVGText.coordinate(plotBottom))"
                    + "H\(SVGText.coordinate(right))",
                "fill": "none", "stroke": ChartPalette.axis, "stroke-width": "1",
            ])
        let tickLabels = timeAxis.ticks.map { timeAxis.label($0) }
        let tickEvery = Self.every(
            tickLabels, spacing: timeAxis.ticks.count > 1 ? x(timeAxis.ticks[1]) - x(timeAxis.ticks[0]) : right - left)
        for (index, tick) in timeAxis.ticks.enumerated() {
            let tx = SVGText.coordinate(x(tick))
            doc.element(
                "line",
                [
                    "x1": tx, "x2": tx, "y1": SVGText.coordinate(plotBottom), "y2": SVGText.coordinate(plotBottom + 4),
                    "stroke": ChartPalette.axis, "stroke-width": "1",
                ])
            // Every n-th label, and none cut by the image's edge.
            guard index % tickEvery == 0,
                x(tick) + SVGText.width(tickLabels[index], fontSize: Self.font) / 2 <= width - 2
            else { continue }
            doc.text(
                tickLabels[index],
                [
                    "x": tx, "y": SVGText.coordinate(plotBottom + 16), "text-anchor": "middle", "font-size": "11",
                    "fill": ChartPalette.muted,
                ])
        }
        doc.text(
            "Time (UTC), \(timeAxis.dayRange)",
            [
                "x": SVGText.coordinate((left + right) / 2), "y": SVGText.coordinate(height - 8),
                "text-anchor": "middle", "font-size": "11", "fill": ChartPalette.muted,
            ])

        // The series, broken where samples are missing.
        renderSeries(into: &doc, x: x, y: y)
        if chart.points.isEmpty {
            doc.text(
                "No samples",
                [
                    "x": SVGText.coordinate((left + right) / 2), "y": SVGText.coordinate((plotTop + plotBottom) / 2),
                    "text-anchor": "middle", "font-size": "13", "fill": ChartPalette.muted, "stroke": "#ffffff",
                    "stroke-width": "4", "paint-order": "stroke",
                ])
        }

        // Thresholds and their trip points.
        for t in onScale {
            let style = ChartPalette.style(t.kind)
            let ty = SVGText.coordinate(y(t.value))
            doc.element(
                "line",
                [
                    "class": "threshold threshold-\(t.kind.rawValue)", "x1": SVGText.coordinate(left),
                    "x2": SVGText.coordinate(right), "y1": ty, "y2": ty, "stroke": style.color, "stroke-width": "1.5",
                    "stroke-dasharray": style.dash ?? "none",
                ])
            if let trip = t.trippedAt {
                doc.element(
                    "circle",
                    [
                        "class": "trip", "cx": SVGText.coordinate(x(trip)), "cy": ty, "r": "5", "fill": "#ffffff",
                        "stroke": style.color, "stroke-width": "2",
                    ])
            }
        }

        // Markers with their labels in lanes above the plot.
        for (index, marker) in chart.markers.enumerated() {
            let style = ChartPalette.style(marker.kind)
            let lane = Double(markerLanes[index])
            let labelY = plotTopWithoutLanes + lane * Self.laneHeight + 6
            let mx = SVGText.coordinate(markerX[index])
            doc.element(
                "line",
                [
                    "class": "marker marker-\(marker.kind.rawValue)", "x1": mx, "x2": mx,
                    "y1": SVGText.coordinate(labelY + 2), "y2": SVGText.coordinate(plotBottom),
                    "stroke": style.color, "stroke-width": style.width, "stroke-dasharray": style.dash ?? "none",
                ])
            let leftward = markerSpans[index].end <= markerX[index]
            doc.text(
                markerTexts[index],
                [
                    "x": SVGText.coordinate(markerX[index] + (leftward ? -3 : 3)), "y": SVGText.coordinate(labelY),
                    "text-anchor": leftward ? "end" : "start", "font-size": "10", "fill": style.color,
                ])
        }

        // Labels at the right edge.
        let extents = sideLines.map { Double($0.count - 1) * Self.laneHeight }
        let wanted = zip(sideLabels, extents).map { label, extent in
            label.offScale > 0 ? plotTop : label.offScale < 0 ? plotBottom - extent : y(label.value) - extent / 2
        }
        let placed = LabelLayout.spread(
            wanted, extents: extents, gap: Self.laneHeight, top: plotTop, bottom: plotBottom)
        for (index, label) in sideLabels.enumerated() {
            doc.text(
                lines: sideLines[index], lineHeight: Self.laneHeight,
                [
                    "x": SVGText.coordinate(right + 6), "y": SVGText.coordinate(placed[index] + 4), "font-size": "11",
                    "fill": label.color,
                ])
        }
        return doc.finish()
    }

    /// One path of the samples, broken where two are more than three typical intervals apart,
    /// with a dot per sample when there are few enough to see them.
    private func renderSeries(into doc: inout SVGDocument, x: (Date) -> Double, y: (Double) -> Double) {
        let points = chart.points
        guard !points.isEmpty else { return }
        let intervals = zip(points.dropFirst(), points).map { $0.at.timeIntervalSince($1.at) }.filter { $0 > 0 }
            .sorted()
        let typical = intervals.isEmpty ? 0 : intervals[intervals.count / 2]
        var path: [UInt8] = []
        path.reserveCapacity(points.count * 12)
        var previous: Date?
        for point in points {
            let breaks = previous.map { typical > 0 && point.at.timeIntervalSince($0) > typical * 3 } ?? true
            path.append(UInt8(ascii: breaks ? "M" : "L"))
            SVGText.appendCoordinate(x(point.at), to: &path)
            path.append(UInt8(ascii: " "))
            SVGText.appendCoordinate(y(point.value), to: &path)
            // `h0` after each move: a sample alone between gaps still shows as a round dot.
            if breaks { path += "h0".utf8 }
            previous = point.at
        }
        doc.raw(
            "<path class=\"series\" d=\"\(String(decoding: path, as: UTF8.self))\" fill=\"none\" "
                + "stroke=\"\(ChartPalette.series)\" stroke-width=\"2\" stroke-linejoin=\"round\" "
                + "stroke-linecap=\"round\" clip-path=\"url(#\(doc.id)-plot)\"/>")
        guard points.count <= 120 else { return }
        var dots = "<g class=\"samples\" fill=\"\(ChartPalette.series)\">"
        for point in points {
            dots +=
                "<circle cx=\"\(SVGText.coordinate(x(point.at)))\" cy=\"\(SVGText.coordinate(y(point.value)))\" r=\"\(points.count == 1 ? "4" : "2.2")\"/>"
        }
        doc.raw(dots + "</g>")
    }

    /// About one value tick per 30 pixels of plot height, at least two.
    static func tickTarget(_ plotHeight: Double) -> Int { max(2, Int(plotHeight / 30)) }

    /// Label every n-th tick so labels `spacing` pixels apart do not overlap.
    static func every(_ labels: [String], spacing: Double) -> Int {
        let widest = labels.map { SVGText.width($0, fontSize: font) }.max() ?? 0
        guard spacing > 0 else { return 1 }
        return max(1, Int(((widest + 8) / spacing).rounded(.up)))
    }
}
