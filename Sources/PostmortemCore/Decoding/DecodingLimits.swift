/// Limits applied while decoding input; every message beyond one is rejected with a `DecodingError`.
public struct DecodingLimits: Sendable, Hashable {
    /// Largest accepted message value, in bytes. Default 1 MiB.
    public var maxMessageBytes: Int
    /// Deepest accepted JSON nesting. Default 32.
    public var maxDepth: Int
    /// Longest accepted string value, in UTF-8 bytes. Default 4096.
    public var maxStringLength: Int
    /// Most points in one `metric.sampled.v1` event (at least one is always required). Default 1000.
    public var maxPointsPerMetricEvent: Int
    /// How far after the injected clock's "now" a timestamp may lie, in seconds. Default 300.
    public var maxFutureSkew: Double
    /// Largest accepted magnitude of a number. Default 1e307: baselines, margins and limits of
    /// values up to it stay finite, so the analysis never prints a non-finite number.
    public var maxNumberMagnitude: Double

    /// Creates limits; every argument has the documented default.
    public init(
        maxMessageBytes: Int = 1 << 20,
        maxDepth: Int = 32,
        maxStringLength: Int = 4096,
        maxPointsPerMetricEvent: Int = 1000,
        maxFutureSkew: Double = 300,
        maxNumberMagnitude: Double = 1e307
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = maxDepth
        self.maxStringLength = maxStringLength
        self.maxPointsPerMetricEvent = maxPointsPerMetricEvent
        self.maxFutureSkew = maxFutureSkew
        self.maxNumberMagnitude = maxNumberMagnitude
    }
}
