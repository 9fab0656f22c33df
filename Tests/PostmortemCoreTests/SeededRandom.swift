import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded, reproducible generator for simulations, so
/// a failing draw can be replayed. Normal draws by Box–Muller.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): 53 random bits, never 0.
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Normal with `mean` and standard deviation `sd`.
    mutating func normal(mean: Double = 0, sd: Double = 1) -> Double {
        mean + sd * (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
    }

    /// `count` normal draws.
    mutating func normals(_ count: Int, mean: Double = 0, sd: Double = 1) -> [Double] {
        (0..<count).map { _ in normal(mean: mean, sd: sd) }
    }
}
