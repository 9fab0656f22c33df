/// SplitMix64: a tiny deterministic random number generator, so synthetic data and test
/// shuffles are reproducible from a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer: a well-spread 64-bit hash of `value`.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The value for position `index` of the sequence seeded by `seed`, without iterating.
    static func value(seed: UInt64, index: Int) -> UInt64 {
        mix(seed &+ UInt64(bitPattern: Int64(index)) &* increment)
    }
}
