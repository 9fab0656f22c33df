import PostmortemCore

/// The UI's charts, drawn by PostmortemCore's chart library (branch charts17, not merged yet:
/// until it is, pages carry the charts' figures as tables only).
enum UICharts {
    /// One timeline chart per contributing metric of `postmortem`, with its `points` (by metric).
    static func metricCharts(_ postmortem: Postmortem, points: [String: [MetricPoint]]) -> [ChartView] { [] }

    /// The delivery figures' weekly trends.
    static func trendCharts(_ figures: DeliveryFigures) -> [ChartView] { [] }
}
