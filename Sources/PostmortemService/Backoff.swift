/// How long to wait before retrying after consecutive failures: the one backoff of the service
/// (the ingest pipeline's retries of the database and the broker, the outbox relay's sessions
/// and deliveries).
///
/// The policy: after the n-th consecutive failure (n = 1, 2, …) the ceiling is
/// `base · 2ⁿ⁻¹`, at most `cap` (100 ms, 200 ms, 400 ms, … 5 s by default); the delay is that
/// ceiling less a random share of it up to `jitter` (0.2 by default: 80–100 % of the
/// ceiling), so replicas that failed together do not all retry in the same instant. A success
/// starts over from `base`.
public struct Backoff: Sendable {
    /// The bounds and the jitter of a backoff.
    public struct Policy: Sendable, Equatable {
        /// The delay after the first failure (before jitter).
        public var base: Duration
        /// The longest delay.
        public var cap: Duration
        /// The largest share of a delay taken off at random, in 0...1 (0: no jitter).
        public var jitter: Double

        /// A policy; `jitter` is clamped to 0...1 and `cap` raised to `base` if below it.
        public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5), jitter: Double = 0.2) {
            self.base = base
            self.cap = max(cap, base)
            self.jitter = min(max(jitter, 0), 1)
        }
    }

    /// The policy.
    public let policy: Policy
    /// Failures since the last success.
    public private(set) var failures = 0

    /// A backoff with no failure yet.
    public init(_ policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Records a failure and returns how long to wait before retrying, drawing the jitter
    /// from `random`.
    public mutating func nextDelay(using random: inout some RandomNumberGenerator) -> Duration {
        failures += 1
        var ceiling = policy.base
        for _ in 1..<min(failures, 64) where ceiling < policy.cap { ceiling = min(ceiling * 2, policy.cap) }
        guard policy.jitter > 0 else { return ceiling }
        // A uniform fraction in [0, 1) from the top 53 bits.
        let fraction = Double(random.next() >> 11) * 0x1p-53
        return ceiling * (1 - policy.jitter * fraction)
    }

    /// Records a failure and returns how long to wait before retrying.
    public mutating func nextDelay() -> Duration {
        var random = SystemRandomNumberGenerator()
        return nextDelay(using: &random)
    }

    /// Records a success: the next failure waits `base` again.
    public mutating func reset() { failures = 0 }
}
