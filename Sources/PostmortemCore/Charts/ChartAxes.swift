import Foundation

/// A value axis with nice ticks: steps of 1, 2 or 5 times a power of ten, the domain widened to
/// whole steps.
struct ValueAxis: Sendable, Hashable {
    /// Lowest value drawn (a tick).
    let lower: Double
    /// Highest value drawn (a tick).
    let upper: Double
    /// Distance between ticks.
    let step: Double
    /// The ticks, lowest first.
    let ticks: [Double]

    /// An axis covering `values` (finite) with about `targetTicks` intervals; `includeZero` makes
    /// 0 part of the domain. Empty values give 0…1; a single value (or a constant series) is
    /// padded by a tenth of itself (1 around zero) so it sits inside the domain.
    init(covering values: [Double], targetTicks: Int = 5, includeZero: Bool = false) {
        var low = values.min() ?? 0
        var high = values.max() ?? (includeZero ? 1 : 0)
        if includeZero {
            low = min(low, 0)
            high = max(high, 0)
        }
        let magnitude = max(abs(low), abs(high))
        if high - low <= magnitude * 1e-9 {
            let pad = magnitude == 0 ? 1 : magnitude / 10
            // Zero stays the floor of a non-negative constant (counts, rates).
            low = includeZero && low >= 0 ? low : low - pad
            high += pad
        }
        let step = Self.niceStep((high - low) / Double(max(targetTicks, 1)))
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        self.step = step
        lower = first * step
        upper = max(last, first + 1) * step
        let count = Int(min(max(last - first, 1), 50))
        ticks = (0...count).map { (first + Double($0)) * step }
    }

    /// The nearest step of 1, 2 or 5 times a power of ten at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        let normalized = raw / power
        let nice: Double = normalized <= 1 + 1e-9 ? 1 : normalized <= 2 + 1e-9 ? 2 : normalized <= 5 + 1e-9 ? 5 : 10
        return nice * power
    }

    /// The pixel of `value` on an axis drawn from `bottom` (lower) up to `top` (upper).
    func position(_ value: Double, bottom: Double, top: Double) -> Double {
        bottom - (value - lower) / (upper - lower) * (bottom - top)
    }

    /// The tick's label.
    func label(_ tick: Double) -> String { SVGText.tick(tick, step: step) }
}

/// A UTC time axis with ticks at round times: seconds, minutes, hours, days or weeks.
struct TimeAxis: Sendable, Hashable {
    /// Start of the domain.
    let start: Date
    /// End of the domain (after the start).
    let end: Date
    /// Seconds between ticks.
    let step: TimeInterval
    /// The ticks, earliest first.
    let ticks: [Date]

    /// Tick steps people read on a clock or calendar, seconds.
    private static let steps: [TimeInterval] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800,
        604_800, 1_209_600, 2_419_200, 7_257_600, 31_449_600,
    ]

    /// An axis from `start` to `end` with at most `maxTicks` ticks; an empty span is widened by a
    /// minute on each side.
    init(from start: Date, to end: Date, maxTicks: Int) {
        var (start, end) = (min(start, end), max(start, end))
        if end.timeIntervalSince(start) < 1 {
            start = start.addingTimeInterval(-60)
            end = end.addingTimeInterval(60)
        }
        self.start = start
        self.end = end
        let span = end.timeIntervalSince(start)
        let step = Self.steps.first { span / $0 <= Double(max(maxTicks, 1)) } ?? Self.steps[Self.steps.count - 1]
        self.step = step
        // Week-long steps start on a Monday (1970-01-05); shorter ones on the epoch's multiples.
        let origin: TimeInterval = step >= 604_800 ? 4 * 86_400 : 0
        let first = ((start.timeIntervalSince1970 - origin) / step).rounded(.up)
        let last = ((end.timeIntervalSince1970 - origin) / step).rounded(.down)
        ticks =
            first > last
            ? []
            : (0...Int(min(last - first, 100))).map {
                Date(timeIntervalSince1970: origin + (first + Double($0)) * step)
            }
    }

    /// The pixel of `date` on an axis drawn from `left` to `right`.
    func position(_ date: Date, left: Double, right: Double) -> Double {
        left + date.timeIntervalSince(start) / end.timeIntervalSince(start) * (right - left)
    }

    /// The tick's label: `HH:mm:ss` under a minute's step, `HH:mm` under a day's, else `26 Nov`.
    func label(_ tick: Date) -> String {
        if step < 60 { return SVGText.clock(tick, seconds: true) }
        if step < 86_400 { return SVGText.clock(tick) }
        return TimeAxis.dayMonth(tick)
    }

    /// What the axis covers, for its title: `2026-11-26` or `2026-11-26 to 2026-11-27`.
    var dayRange: String {
        let (first, last) = (SVGText.day(start), SVGText.day(end))
        return first == last ? first : "\(first) to \(last)"
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `26 Nov` (UTC).
    static func dayMonth(_ date: Date) -> String {
        let day = SVGText.day(date)
        let parts = day.split(separator: "-")
        guard parts.count == 3, let month = Int(parts[1]), (1...12).contains(month), let dayOfMonth = Int(parts[2])
        else { return day }
        return "\(dayOfMonth) \(months[month - 1])"
    }
}

extension SVGDocument {
    /// A grid line across `left...right` at every tick of `axis`, with the tick's label
    /// right-aligned just left of the plot; `y` places a value vertically.
    mutating func valueGrid(_ axis: ValueAxis, left: Double, right: Double, y: (Double) -> Double) {
        for tick in axis.ticks {
            let ty = SVGText.coordinate(y(tick))
            element(
                "line",
                [
                    "x1": SVGText.coordinate(left), "x2": SVGText.coordinate(right), "y1": ty, "y2": ty,
                    "stroke": ChartPalette.grid, "stroke-width": "1",
                ])
            text(
                axis.label(tick),
                [
                    "x": SVGText.coordinate(left - 6), "y": SVGText.coordinate(y(tick) + 4), "text-anchor": "end",
                    "font-size": "11", "fill": ChartPalette.muted,
                ])
        }
    }
}
