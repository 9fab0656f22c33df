/// The two-sample Mann–Whitney U (Wilcoxon rank-sum) test, computed as
/// `scipy.stats.mannwhitneyu` computes it (SciPy ≥ 1.7, checked against 1.17), so a p-value in
/// a postmortem can be reproduced with SciPy.
///
/// - `U₁ = R₁ − n₁(n₁+1)/2`, where R₁ is the sum of the mid-ranks of `x` in the pooled sample;
///   `U₂ = n₁n₂ − U₁`. The reported statistic is U₁.
/// - The p-value is the survival function at `U₁` (greater), `U₂` (less), or twice it at
///   `max(U₁, U₂)` (two-sided), clipped to 1.
/// - Exact: the null distribution of U without ties (Mann & Whitney's recurrence). With ties,
///   like SciPy, the tie-free distribution is used at U truncated to an integer: not corrected.
/// - Asymptotic: z = (U − n₁n₂/2 − ½) / σ with σ² = n₁n₂/12·((n+1) − Σ(t³−t)/(n(n−1))) over tie
///   groups of size t (the ½ only with continuity correction); p = 1 − Φ(z). All values equal
///   (σ = 0): p = 1 (SciPy gives 1 with continuity correction, NaN without).
/// - Auto: exact when either sample has at most 8 values and there are no ties, else asymptotic.
///   One difference from SciPy: beyond ``UDistribution/maxCells`` pairs (n₁n₂ > 10,000, e.g. 8
///   canary points against more than 1,250 baseline points) auto is asymptotic, and exact throws.
public enum MannWhitneyU {
    /// Which alternative hypothesis the p-value is for.
    public enum Alternative: String, Sendable, Hashable, CaseIterable, Codable {
        /// The distributions differ.
        case twoSided = "two-sided"
        /// `x` is stochastically greater than `y`.
        case greater
        /// `x` is stochastically less than `y`.
        case less
    }

    /// How the p-value is computed.
    public enum Method: String, Sendable, Hashable, CaseIterable, Codable {
        /// Exact when either sample has at most 8 values, there are no ties and n₁n₂ ≤ 10,000;
        /// else asymptotic.
        case auto
        /// The exact null distribution of U (not corrected for ties).
        case exact
        /// The normal approximation with tie correction.
        case asymptotic
    }

    /// The result of a test.
    public struct Result: Sendable, Hashable {
        /// U₁, the statistic of the first sample: the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ,
        /// ties counting ½.
        public var u: Double
        /// The p-value for the alternative.
        public var pValue: Double
        /// The method that computed it (never `auto`).
        public var method: Method
        /// Whether the pooled sample has ties.
        public var hasTies: Bool
    }

    /// Tests `x` against `y`. Both must be non-empty and free of NaN.
    public static func test(
        _ x: [Double], _ y: [Double], alternative: Alternative = .twoSided, method: Method = .auto,
        continuity: Bool = true
    ) throws(StatisticsError) -> Result {
        try validate(x, y)
        let ranked = Ranks(x + y)
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        let r1 = ranked.ranks[..<x.count].reduce(0, +)
        let u1 = r1 - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let (u, factor): (Double, Double) =
            switch alternative {
            case .greater: (u1, 1)
            case .less: (u2, 1)
            case .twoSided: (max(u1, u2), 2)
            }
        let exactFits = x.count * y.count <= UDistribution.maxCells
        if method == .exact, !exactFits { throw .exactTooLarge(x.count, y.count) }
        let chosen: Method =
            method != .auto
            ? method
            : (x.count > 8 && y.count > 8) || ranked.hasTies || !exactFits ? .asymptotic : .exact
        let tail: Double
        if chosen == .exact {
            tail = UDistribution(x.count, y.count).sf(Int(u.rounded(.towardZero)))
        } else {
            let sigma = standardDeviation(n1: n1, n2: n2, tieTerm: ranked.tieTerm)
            let numerator = u - n1 * n2 / 2 - (continuity ? 0.5 : 0)
            // All values equal (σ = 0): no evidence either way.
            tail = sigma > 0 ? NormalDistribution.sf(numerator / sigma) : 1
        }
        return Result(u: u1, pValue: min(max(tail * factor, 0), 1), method: chosen, hasTies: ranked.hasTies)
    }

    /// σ of U under the null hypothesis, corrected for ties: √(n₁n₂/12·((n+1) − Σ(t³−t)/(n(n−1)))).
    static func standardDeviation(n1: Double, n2: Double, tieTerm: Double) -> Double {
        let n = n1 + n2
        let correction = n > 1 ? tieTerm / (n * (n - 1)) : 0
        return (n1 * n2 / 12 * ((n + 1) - correction)).squareRoot()
    }

    static func validate(_ x: [Double], _ y: [Double]) throws(StatisticsError) {
        guard !x.isEmpty, !y.isEmpty else { throw .emptySample }
        guard !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else { throw .notANumber }
    }
}

/// Why a statistic cannot be computed.
public enum StatisticsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A sample has no values.
    case emptySample
    /// A sample contains NaN.
    case notANumber
    /// A probability (alpha, power, confidence) is outside (0, 1).
    case probabilityOutOfRange(Double)
    /// The exact distribution was asked for sample sizes it cannot be computed for.
    case exactTooLarge(Int, Int)

    /// What went wrong, for people.
    public var description: String {
        switch self {
        case .emptySample: "a sample is empty"
        case .notANumber: "a sample contains NaN"
        case .probabilityOutOfRange(let p): "probability \(p) is outside (0, 1)"
        case .exactTooLarge(let m, let n):
            "the exact U distribution for samples of \(m) and \(n) values is too large; use the asymptotic method"
        }
    }
}

/// Mid-ranks (1-based, ties get the average of their positions) of a pooled sample, with the
/// tie term Σ(t³ − t) over groups of t equal values.
struct Ranks {
    /// Rank of each value, in input order.
    let ranks: [Double]
    /// Σ(t³ − t) over tie groups.
    let tieTerm: Double
    /// Whether any value repeats.
    var hasTies: Bool { tieTerm > 0 }

    init(_ values: [Double]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieTerm = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 1) / 2
            for i in start..<end { ranks[order[i]] = rank }
            let t = Double(end - start)
            tieTerm += t * t * t - t
            start = end
        }
        self.ranks = ranks
        self.tieTerm = tieTerm
    }
}

/// The exact null distribution of U for samples of m and n values without ties. Built from the
/// normalised recurrence P₍m,n₎(u) = m/(m+n)·P₍m−1,n₎(u−n) + n/(m+n)·P₍m,n−1₎(u) (the largest
/// value belongs to the first sample with probability m/(m+n)): probabilities only, positive
/// terms only, so no overflow or cancellation. Cost O(m²n²/2) time, O(m²n) memory.
struct UDistribution {
    /// P(U = u) for u in 0…mn.
    let pmf: [Double]

    /// The largest m·n for which the exact distribution is built (cost grows as (mn)²).
    static let maxCells = 10_000

    init(_ first: Int, _ second: Int) {
        let m = min(first, second)
        let n = max(first, second)
        // rows[i] holds P₍i,j₎ for the current j; row i has support 0…i·j.
        var rows = (0...m).map { _ in [1.0] }
        for j in stride(from: 1, through: n, by: 1) {
            for i in stride(from: 1, through: m, by: 1) {
                var next = [Double](repeating: 0, count: i * j + 1)
                let wi = Double(i) / Double(i + j)
                let wj = Double(j) / Double(i + j)
                for (u, p) in rows[i - 1].enumerated() { next[u + j] += wi * p }
                for (u, p) in rows[i].enumerated() { next[u] += wj * p }
                rows[i] = next
            }
        }
        pmf = rows[m]
    }

    /// P(U ≥ u), summed over the smaller tail (by the distribution's symmetry) for precision.
    func sf(_ u: Int) -> Double {
        let total = pmf.count - 1
        if u <= 0 { return 1 }
        if u > total { return 0 }
        // P(U ≥ u) = P(U ≤ total − u) by symmetry; sum whichever tail is shorter.
        return total - u < u ? pmf[0...(total - u)].reduce(0, +) : 1 - pmf[0..<u].reduce(0, +)
    }

    /// P(U ≤ u).
    func cdf(_ u: Int) -> Double {
        u < 0 ? 0 : u >= pmf.count - 1 ? 1 : pmf[0...u].reduce(0, +)
    }
}
