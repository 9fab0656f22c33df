/// All samples of one metric of one service in one environment.
public struct MetricSeries: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Metric name.
    public var metric: String
    /// Samples, sorted by time, one per timestamp.
    public var points: [MetricPoint]
    /// Unit, when declared.
    public var unit: String?
    /// Declared SLO, when any.
    public var slo: SLO?

    /// Creates a series; points are sorted and de-duplicated by timestamp (smallest value kept).
    public init(service: String, environment: String, metric: String, points: [MetricPoint], unit: String? = nil, slo: SLO? = nil) {
        self.service = service
        self.environment = environment
        self.metric = metric
        self.unit = unit
        self.slo = slo
        var unique: [MetricPoint] = []
        for p in points.sorted(by: { ($0.at, $0.value) < ($1.at, $1.value) }) where unique.last?.at != p.at {
            unique.append(p)
        }
        self.points = unique
    }

    /// Groups metric samples into series (order-independent; duplicate points collapse).
    public static func series(from samples: [MetricSample]) -> [MetricSeries] {
        let groups = Dictionary(grouping: samples) { [$0.service, $0.environment, $0.metric] }
        return groups.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let group = groups[key]!
            return MetricSeries(
                service: key[0], environment: key[1], metric: key[2], points: group.flatMap(\.points),
                unit: group.compactMap(\.unit).min(),
                slo: group.compactMap(\.slo).min { ($0.threshold, $0.direction.rawValue) < ($1.threshold, $1.direction.rawValue) })
        }
    }
}
