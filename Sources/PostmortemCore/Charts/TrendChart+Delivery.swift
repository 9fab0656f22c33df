import Foundation

extension TrendChart {
    /// Which recovery time percentile a chart shows.
    public enum RecoveryQuantile: String, Sendable, Hashable, CaseIterable {
        /// The median.
        case p50
        /// The 90th percentile.
        case p90
    }

    /// Deploys counted per ISO week of the window (a week without deploys is 0, not a gap).
    public static func deploymentFrequency(_ figures: DeliveryFigures) -> TrendChart {
        let f = figures.deploymentFrequency
        return TrendChart(
            title: "Deployment frequency", unit: "deploys/week",
            buckets: figures.weeks.map { Bucket(label: $0.week.description, value: Double($0.deploys)) },
            note: "\(f.deploys) deploys over the window, \(formatNumber(f.perWeek)) a week." + partialWeeks(figures))
    }

    /// Failed deploys / deploys per ISO week, percent; a week without deploys has no data.
    public static func changeFailureRate(_ figures: DeliveryFigures) -> TrendChart {
        TrendChart(
            title: "Change failure rate", unit: "%",
            buckets: figures.weeks.map {
                Bucket(label: $0.week.description, value: $0.changeFailureRate.map { $0 * 100 })
            },
            note: rateNote(figures.changeFailureRate, "failed") + partialWeeks(figures))
    }

    /// Rework deploys / deploys per ISO week, percent; a week without deploys has no data.
    public static func reworkRate(_ figures: DeliveryFigures) -> TrendChart {
        TrendChart(
            title: "Deployment rework rate", unit: "%",
            buckets: figures.weeks.map { Bucket(label: $0.week.description, value: $0.reworkRate.map { $0 * 100 }) },
            note: rateNote(figures.reworkRate, "were rework") + partialWeeks(figures))
    }

    /// The recovery time percentile of each ISO week's recovered failed deploys, in hours (in
    /// minutes when every week's is under two hours); a week without one has no data.
    public static func recoveryTime(_ figures: DeliveryFigures, quantile: RecoveryQuantile) -> TrendChart {
        let seconds = figures.weeks.map { quantile == .p50 ? $0.recoveryP50Seconds : $0.recoveryP90Seconds }
        let inMinutes = seconds.allSatisfy { ($0 ?? 0) < 7200 }
        let (unit, scale) = inMinutes ? ("min", 60.0) : ("h", 3600.0)
        let overall = quantile == .p50 ? figures.recoveryTime.p50Seconds : figures.recoveryTime.p90Seconds
        let recovered = figures.recoveryTime.recovered.count
        let unrecovered = figures.recoveryTime.unrecovered.count
        return TrendChart(
            title: "Recovery time (\(quantile.rawValue))", unit: unit,
            buckets: zip(figures.weeks, seconds).map {
                Bucket(label: $0.week.description, value: $1.map { $0 / scale })
            },
            note: (overall.map { "\(quantile.rawValue) \(formatDuration($0)) over the window" }
                ?? "No recovered failed deploy in the window")
                + " (\(recovered) recovered, \(unrecovered) unrecovered)." + partialWeeks(figures))
    }

    /// `3 of 24 deploys failed (12.5 %) over the window.`
    private static func rateNote(_ figure: RateFigure, _ verb: String) -> String {
        "\(figure.count) of \(figure.deploys) deploys \(verb)"
            + (figure.rate.map { " (\(formatNumber($0 * 100)) %)" } ?? "") + " over the window."
    }

    /// ` The first and last weeks are partial.` when the window cuts them.
    private static func partialWeeks(_ figures: DeliveryFigures) -> String {
        guard let first = figures.weeks.first, let last = figures.weeks.last else { return "" }
        let cutFirst = first.week.start < figures.from
        let cutLast = last.week.start.addingTimeInterval(7 * 86_400) > figures.to
        switch (cutFirst, cutLast) {
        case (true, true):
            return figures.weeks.count == 1 ? " The week is partial." : " The first and last weeks are partial."
        case (true, false): return " The first week is partial."
        case (false, true): return " The last week is partial."
        case (false, false): return ""
        }
    }
}
