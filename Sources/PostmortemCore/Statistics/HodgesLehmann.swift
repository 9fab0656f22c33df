/// The Hodges–Lehmann estimate of the shift between two samples, with the distribution-free
/// confidence interval that inverts the Mann–Whitney test (Hollander & Wolfe, §4.3).
public enum HodgesLehmann {
    /// A shift estimate: how much higher the second sample lies than the first.
    public struct Estimate: Sendable, Hashable {
        /// Median of all pairwise differences yⱼ − xᵢ.
        public var shift: Double
        /// Lower confidence bound (−∞ when the samples are too small for the confidence).
        public var lower: Double
        /// Upper confidence bound (+∞ when the samples are too small for the confidence).
        public var upper: Double
        /// Two-sided confidence level of [lower, upper], e.g. 0.95.
        public var confidence: Double
        /// How the order statistic of the bounds was found (exact or asymptotic, never auto).
        public var method: MannWhitneyU.Method
    }

    /// The shift of `y` relative to `x` (positive: y is higher), with a two-sided `confidence`
    /// interval. The bounds are the k-th smallest and k-th largest of the m·n differences, where
    /// k is the largest integer with P(U ≤ k − 1) ≤ α/2, α = 1 − confidence: from the exact null
    /// distribution of U, or from its normal approximation with continuity correction and tie
    /// correction, k = ⌊mn/2 + ½ + σ·Φ⁻¹(α/2)⌋. The method is chosen as ``MannWhitneyU`` chooses it.
    public static func estimate(
        _ x: [Double], _ y: [Double], confidence: Double = 0.95, method: MannWhitneyU.Method = .auto
    ) throws(StatisticsError) -> Estimate {
        try MannWhitneyU.validate(x, y)
        guard confidence > 0, confidence < 1 else { throw .probabilityOutOfRange(confidence) }
        var differences: [Double] = []
        differences.reserveCapacity(x.count * y.count)
        for b in y { for a in x { differences.append(b - a) } }
        differences.sort()
        let count = differences.count
        let shift = count % 2 == 1 ? differences[count / 2] : (differences[count / 2 - 1] + differences[count / 2]) / 2
        let ties = Ranks(x + y)
        let exactFits = x.count * y.count <= UDistribution.maxCells
        if method == .exact, !exactFits { throw .exactTooLarge(x.count, y.count) }
        let chosen: MannWhitneyU.Method =
            method != .auto
            ? method
            : (x.count > 8 && y.count > 8) || ties.hasTies || !exactFits ? .asymptotic : .exact
        let alpha = 1 - confidence
        let k: Int
        if chosen == .exact {
            let distribution = UDistribution(x.count, y.count)
            var found = 0
            while found + 1 <= count, distribution.cdf(found) <= alpha / 2 { found += 1 }
            k = found
        } else {
            let sigma = MannWhitneyU.standardDeviation(n1: Double(x.count), n2: Double(y.count), tieTerm: ties.tieTerm)
            k = Int(max(0, (Double(count) / 2 + 0.5 + sigma * NormalDistribution.quantile(alpha / 2)).rounded(.down)))
        }
        let bounded = k >= 1 && k <= count
        return Estimate(
            shift: shift, lower: bounded ? differences[k - 1] : -.infinity,
            upper: bounded ? differences[count - k] : .infinity,
            confidence: confidence, method: chosen)
    }
}
