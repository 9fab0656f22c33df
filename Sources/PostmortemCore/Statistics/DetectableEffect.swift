import Foundation

/// The smallest shift a one-sided Mann–Whitney test can detect, given how many points each
/// side has and how noisy the baseline is.
///
/// Noether's (1987) normal approximation: with m baseline and n canary points, the one-sided
/// test at level α has power 1 − β against an alternative with p = P(Y > X) when
/// p − ½ = (z₁₋α + z₁₋β)·√((m+n+1)/(12mn)). For a location shift δ of normal noise with standard
/// deviation σ, p = Φ(δ/(σ√2)), so
///
///     δ_min = σ·√2·Φ⁻¹(½ + (z₁₋α + z₁₋β)·√((m+n+1)/(12mn)))
///
/// When the argument of Φ⁻¹ reaches 1, no shift is detectable with that many points.
public enum DetectableEffect {
    /// δ_min in the metric's unit, or nil when no shift is detectable with these counts.
    public static func minimumShift(
        baselineCount: Int, canaryCount: Int, noise: Double, alpha: Double = 0.05, power: Double = 0.8
    ) throws(StatisticsError) -> Double? {
        guard alpha > 0, alpha < 1 else { throw .probabilityOutOfRange(alpha) }
        guard power > 0, power < 1 else { throw .probabilityOutOfRange(power) }
        guard baselineCount > 0, canaryCount > 0 else { throw .emptySample }
        guard !noise.isNaN else { throw .notANumber }
        let m = Double(baselineCount)
        let n = Double(canaryCount)
        let p =
            0.5 + (NormalDistribution.quantile(1 - alpha) + NormalDistribution.quantile(power))
            * ((m + n + 1) / (12 * m * n)).squareRoot()
        guard p < 1 else { return nil }
        return abs(noise) * 2.0.squareRoot() * NormalDistribution.quantile(p)
    }

    /// The baseline's noise σ: 1.4826·MAD (robust to the outliers a baseline hour holds), or the
    /// sample standard deviation when the MAD is 0 (a metric stuck on a few values), 0 for fewer
    /// than two values.
    public static func noise(of baseline: [Double]) -> Double {
        guard baseline.count > 1 else { return 0 }
        let mad = 1.4826 * RobustStatistics.mad(baseline)
        if mad > 0 { return mad }
        let mean = baseline.reduce(0, +) / Double(baseline.count)
        return (baseline.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(baseline.count - 1)).squareRoot()
    }
}
