/// All samples of one series: a metric of one service in one environment with one set of labels
/// (per region, per pod, …). Labelled series are never merged: each is correlated on its own.
public struct MetricSeries: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Metric name.
    public var metric: String
    /// Labels that, with the metric name, identify the series.
    public var labels: [String: String]
    /// Samples, sorted by time then value. Identical points collapse; points with different
    /// values at one timestamp are all kept and resolved by the ``Correlator`` (the worst value
    /// in the metric's bad direction wins, so a duplicate can never hide a regression).
    public var points: [MetricPoint]
    /// Unit, when declared.
    public var unit: String?
    /// Declared SLO, when any.
    public var slo: SLO?
    /// The bad side declared without a threshold, when any.
    public var direction: Direction?

    /// Creates a series; points are sorted and identical ones collapse.
    public init(
        service: String, environment: String, metric: String, labels: [String: String] = [:], points: [MetricPoint],
        unit: String? = nil, slo: SLO? = nil, direction: Direction? = nil
    ) {
        self.service = service
        self.environment = environment
        self.metric = metric
        self.labels = labels
        self.unit = unit
        self.slo = slo
        self.direction = direction
        var unique: [MetricPoint] = []
        for p in points.sorted(by: { ($0.at, $0.value) < ($1.at, $1.value) }) where unique.last != p {
            unique.append(p)
        }
        self.points = unique
    }

    /// The series' name in text: the metric, then its labels sorted, e.g. `errors{region="us"}`.
    public var name: String {
        labels.isEmpty
            ? metric
            : metric + "{"
                + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
    }

    /// Groups metric samples into series by service, environment, metric and labels
    /// (order-independent; identical points collapse).
    public static func series(from samples: [MetricSample]) -> [MetricSeries] {
        let groups = Dictionary(grouping: samples) { sample in
            [sample.service, sample.environment, sample.metric]
                + sample.labels.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        }
        return groups.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let group = groups[key]!
            return MetricSeries(
                service: key[0], environment: key[1], metric: key[2], labels: group[0].labels,
                points: group.flatMap(\.points),
                unit: group.compactMap(\.unit).min(),
                slo: group.compactMap(\.slo).min {
                    ($0.threshold, $0.direction.rawValue) < ($1.threshold, $1.direction.rawValue)
                },
                direction: group.compactMap(\.direction).min { $0.rawValue < $1.rawValue })
        }
    }
}
