import Foundation
import Testing

@testable import PostmortemCore

/// The statistics agree with SciPy on committed reference values (scripts/gen-stats-fixtures.py),
/// and behave as documented where SciPy has nothing to say.
@Suite("Statistics")
struct StatisticsTests {
    struct Reference: Decodable {
        struct Sample: Decodable {
            var x: [Double]
            var y: [Double]
        }
        struct MannWhitney: Decodable {
            var sample: Int
            var alternative: MannWhitneyU.Alternative
            var method: MannWhitneyU.Method
            var continuity: Bool
            var u: Double
            var pValue: Double
        }
        struct Shift: Decodable {
            var sample: Int
            var confidence: Double
            var method: MannWhitneyU.Method
            var shift: Double
            var lower: Double?
            var upper: Double?
        }
        struct Normal: Decodable {
            struct CDF: Decodable {
                var x: Double
                var cdf: Double
                var sf: Double
            }
            struct Quantile: Decodable {
                var p: Double
                var quantile: Double
            }
            var cdf: [CDF]
            var quantile: [Quantile]
        }
        struct Effect: Decodable {
            var baselineCount: Int
            var canaryCount: Int
            var noise: Double
            var alpha: Double
            var power: Double
            var shift: Double?
        }
        var scipy: String
        var samples: [Sample]
        var mannWhitneyU: [MannWhitney]
        var hodgesLehmann: [Shift]
        var normal: Normal
        var detectableEffect: [Effect]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/statistics/scipy.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    /// Agreement to 1e-9, relative to the reference (so tiny p-values must agree in their digits, not just be tiny).
    static func agrees(_ value: Double, _ expected: Double) -> Bool {
        value == expected || abs(value - expected) <= 1e-9 * abs(expected)
    }

    @Test func mannWhitneyMatchesSciPy() throws {
        let cases = Self.reference.mannWhitneyU
        #expect(cases.count > 600)
        #expect(Set(cases.map(\.method)) == Set(MannWhitneyU.Method.allCases))
        for c in cases {
            let sample = Self.reference.samples[c.sample]
            let result = try MannWhitneyU.test(
                sample.x, sample.y, alternative: c.alternative, method: c.method, continuity: c.continuity)
            #expect(Self.agrees(result.u, c.u), "U, sample \(c.sample) \(c.alternative) \(c.method)")
            #expect(
                Self.agrees(result.pValue, c.pValue),
                "p \(result.pValue) vs SciPy \(c.pValue): sample \(c.sample) \(c.alternative) \(c.method) continuity \(c.continuity)"
            )
        }
    }

    @Test func hodgesLehmannMatchesSciPy() throws {
        let cases = Self.reference.hodgesLehmann
        #expect(cases.contains { $0.lower == nil } && cases.contains { $0.lower != nil })
        for c in cases {
            let sample = Self.reference.samples[c.sample]
            let estimate = try HodgesLehmann.estimate(sample.x, sample.y, confidence: c.confidence, method: c.method)
            #expect(Self.agrees(estimate.shift, c.shift), "shift, sample \(c.sample)")
            #expect(
                Self.agrees(estimate.lower, c.lower ?? -.infinity),
                "lower \(estimate.lower) vs \(String(describing: c.lower)): sample \(c.sample) \(c.confidence) \(c.method)"
            )
            #expect(
                Self.agrees(estimate.upper, c.upper ?? .infinity),
                "upper, sample \(c.sample) \(c.confidence) \(c.method)")
            #expect(estimate.lower <= estimate.shift && estimate.shift <= estimate.upper)
        }
    }

    @Test func normalDistributionMatchesSciPy() {
        for c in Self.reference.normal.cdf {
            #expect(Self.agrees(NormalDistribution.cdf(c.x), c.cdf), "Φ(\(c.x))")
            #expect(Self.agrees(NormalDistribution.sf(c.x), c.sf), "1 − Φ(\(c.x))")
        }
        for c in Self.reference.normal.quantile {
            #expect(
                Self.agrees(NormalDistribution.quantile(c.p), c.quantile),
                "Φ⁻¹(\(c.p)) = \(NormalDistribution.quantile(c.p)), SciPy \(c.quantile)")
        }
    }

    @Test func detectableEffectMatchesSciPy() throws {
        let cases = Self.reference.detectableEffect
        #expect(cases.contains { $0.shift == nil } && cases.contains { $0.shift != nil })
        for c in cases {
            let shift = try DetectableEffect.minimumShift(
                baselineCount: c.baselineCount, canaryCount: c.canaryCount, noise: c.noise, alpha: c.alpha,
                power: c.power)
            #expect((shift == nil) == (c.shift == nil), "\(c.baselineCount)/\(c.canaryCount)")
            if let shift, let expected = c.shift { #expect(Self.agrees(shift, expected), "\(c)") }
        }
    }

    /// The exact null distribution is a distribution, symmetric about mn/2, and its tails add up.
    @Test(arguments: [(1, 1), (1, 7), (3, 5), (5, 3), (8, 8), (4, 30), (8, 100)])
    func exactDistributionIsSymmetric(_ m: Int, _ n: Int) {
        let d = UDistribution(m, n)
        #expect(d.pmf.count == m * n + 1)
        #expect(abs(d.pmf.reduce(0, +) - 1) < 1e-12)
        for u in 0...(m * n) {
            #expect(abs(d.pmf[u] - d.pmf[m * n - u]) < 1e-15)
            #expect(abs(d.sf(u) + d.cdf(u - 1) - 1) < 1e-12)
        }
    }

    @Test(arguments: [
        ([Double](), [1.0], StatisticsError.emptySample),
        ([1.0, .nan], [1.0], .notANumber),
    ])
    func badSamplesAreRefused(_ x: [Double], _ y: [Double], _ error: StatisticsError) {
        #expect(throws: error) { try MannWhitneyU.test(x, y) }
        #expect(throws: error) { try HodgesLehmann.estimate(x, y) }
    }

    @Test func badParametersAreRefused() throws {
        let big = (0..<200).map(Double.init)
        #expect(throws: StatisticsError.exactTooLarge(200, 200)) { try MannWhitneyU.test(big, big, method: .exact) }
        #expect(throws: StatisticsError.probabilityOutOfRange(1)) {
            try HodgesLehmann.estimate([1], [2], confidence: 1)
        }
        #expect(throws: StatisticsError.probabilityOutOfRange(0)) {
            try DetectableEffect.minimumShift(baselineCount: 5, canaryCount: 5, noise: 1, alpha: 0)
        }
        #expect(throws: StatisticsError.probabilityOutOfRange(0.5)) {
            try Degradation(baseline: [1, 2], window: [3], direction: .above, alpha: 0.5)
        }
        // Auto falls back to the normal approximation where exact would be too large.
        #expect(try MannWhitneyU.test([1, 2, 3], (0..<5000).map { Double($0) + 0.5 }).method == .asymptotic)
        #expect(try MannWhitneyU.test([1, 2, 3], [0.5, 1.5]).method == .exact)
        #expect(try MannWhitneyU.test([1, 2, 3], [1, 1.5]).method == .asymptotic)
    }

    /// All values equal: no evidence either way (SciPy returns NaN without continuity correction).
    @Test(arguments: [true, false])
    func constantSamplesHaveNoEvidence(_ continuity: Bool) throws {
        for alternative in MannWhitneyU.Alternative.allCases {
            #expect(
                try MannWhitneyU.test(
                    [5, 5, 5, 5, 5, 5, 5, 5, 5], [5, 5, 5, 5, 5, 5, 5, 5, 5], alternative: alternative,
                    continuity: continuity
                ).pValue == 1)
        }
    }

    /// Noise is the scaled MAD, or the standard deviation when the MAD is 0.
    @Test(
        arguments: [
            ([100.0, 102, 98, 101, 99, 300], 1.4826 * 1.5),
            ([5.0, 5, 5, 5, 6], 0.2.squareRoot()),
            ([7.0], 0.0),
        ] as [([Double], Double)])
    func noise(_ baseline: [Double], _ expected: Double) {
        #expect(abs(DetectableEffect.noise(of: baseline) - expected) < 1e-12)
    }

    /// A degradation is judged in the metric's bad direction.
    @Test(arguments: [
        (Direction.above, 30.0, true), (.above, -30, false), (.below, -30, true), (.below, 30, false),
        (.above, 0, false),
    ])
    func degradationFollowsDirection(_ direction: Direction, _ shift: Double, _ significant: Bool) throws {
        var random = SplitMix64(seed: 7)
        let baseline = random.normals(60, mean: 100, sd: 10)
        let window = random.normals(15, mean: 100 + shift, sd: 10)
        let judged = try Degradation(baseline: baseline, window: window, direction: direction)
        #expect(judged.significant == significant)
        #expect(judged.shift.confidence == 0.9)
        #expect(judged.detectableShift.map { $0 > 0 && $0 < 30 } == true)
        #expect(judged.underpowered == !significant)
    }
}
