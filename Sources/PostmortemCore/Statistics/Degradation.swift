/// Whether a window of a metric is worse than its baseline, judged by a rank test instead of a
/// fixed margin: a one-sided Mann–Whitney U test in the metric's bad direction, the
/// Hodges–Lehmann shift with its confidence interval, and the smallest shift the window's
/// points could have shown.
public struct Degradation: Sendable, Hashable {
    /// The one-sided test of the window against the baseline (the window is the first sample).
    public var test: MannWhitneyU.Result
    /// Significance level of ``significant``.
    public var alpha: Double
    /// Whether the window is worse than the baseline at level ``alpha`` (p ≤ α).
    public var significant: Bool
    /// The window's shift from the baseline (positive: higher), with a 1 − 2α two-sided interval
    /// (whose bound on the good side is the one-sided 1 − α bound).
    public var shift: HodgesLehmann.Estimate
    /// Baseline noise σ (``DetectableEffect/noise(of:)``).
    public var noise: Double
    /// The smallest shift the test detects with ``power`` (nil: none with this few points).
    public var detectableShift: Double?
    /// The power ``detectableShift`` is for.
    public var power: Double
    /// Baseline points.
    public var baselineCount: Int
    /// Window points.
    public var windowCount: Int
    /// The metric's bad direction.
    public var direction: Direction

    /// Judges `window` against `baseline` for a metric that is bad in `direction`.
    public init(
        baseline: [Double], window: [Double], direction: Direction, alpha: Double = 0.05, power: Double = 0.8
    ) throws(StatisticsError) {
        guard alpha > 0, alpha < 0.5 else { throw .probabilityOutOfRange(alpha) }
        test = try MannWhitneyU.test(window, baseline, alternative: direction == .above ? .greater : .less)
        self.alpha = alpha
        significant = test.pValue <= alpha
        shift = try HodgesLehmann.estimate(baseline, window, confidence: 1 - 2 * alpha)
        noise = DetectableEffect.noise(of: baseline)
        detectableShift = try DetectableEffect.minimumShift(
            baselineCount: baseline.count, canaryCount: window.count, noise: noise, alpha: alpha, power: power)
        self.power = power
        baselineCount = baseline.count
        windowCount = window.count
        self.direction = direction
    }

    /// The shift in the bad direction (positive when the window is worse).
    public var worsening: Double { direction == .above ? shift.shift : -shift.shift }

    /// Whether the observed shift is smaller than the detectable one: even a gate that judged
    /// statistically could not reliably have seen it.
    public var underpowered: Bool { detectableShift.map { worsening < $0 } ?? true }
}
