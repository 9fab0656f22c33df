import PostmortemCore

/// The UI's charts, drawn by PostmortemCore's chart library (docs/charts.md); each chart's
/// `<title>` and `<desc>` carry its text alternative, repeated as the caption.
enum UICharts {
    /// One timeline chart per contributing metric of `postmortem`, with its `points` (by metric).
    static func metricCharts(_ postmortem: Postmortem, points: [String: [MetricPoint]]) -> [ChartView] {
        postmortem.contributingMetrics.enumerated().map { index, metric in
            let chart = MetricTimelineChart.forContributingMetric(
                metric, of: postmortem, points: points[metric.metric] ?? [])
            return ChartView(
                svg: chart.svg(width: 960, height: 320, id: "metric\(index)"), caption: chart.textAlternative)
        }
    }

    /// The delivery figures' weekly trends: deployment frequency, change failure rate, recovery
    /// time (median) and rework rate.
    static func trendCharts(_ figures: DeliveryFigures) -> [ChartView] {
        [
            TrendChart.deploymentFrequency(figures), .changeFailureRate(figures),
            .recoveryTime(figures, quantile: .p50), .reworkRate(figures),
        ].enumerated().map { index, chart in
            ChartView(svg: chart.svg(width: 960, height: 260, id: "trend\(index)"), caption: chart.textAlternative)
        }
    }
}
