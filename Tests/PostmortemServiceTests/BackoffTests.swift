import PostmortemService
import Testing

/// The service's one backoff policy, made deterministic by an injected random source.
@Suite("Backoff")
struct BackoffTests {
    /// Returns the same word every time: `0` draws a jitter fraction of 0, `1 << 63` of 0.5.
    struct FixedRandom: RandomNumberGenerator {
        var word: UInt64
        mutating func next() -> UInt64 { word }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var policy: Backoff.Policy
        /// Consecutive failures, the last of which is asked for a delay.
        var failures: Int
        var word: UInt64
        var expectedMilliseconds: Double
        var testDescription: String { "\(policy) after \(failures) failures, word \(word)" }
    }

    static let half: UInt64 = 1 << 63

    static let cases: [Case] = [
        // The default: 100 ms doubling to 5 s; no jitter drawn (fraction 0) is the ceiling.
        Case(policy: .init(), failures: 1, word: 0, expectedMilliseconds: 100),
        Case(policy: .init(), failures: 2, word: 0, expectedMilliseconds: 200),
        Case(policy: .init(), failures: 3, word: 0, expectedMilliseconds: 400),
        Case(policy: .init(), failures: 6, word: 0, expectedMilliseconds: 3200),
        Case(policy: .init(), failures: 7, word: 0, expectedMilliseconds: 5000),
        Case(policy: .init(), failures: 1000, word: 0, expectedMilliseconds: 5000),
        // Default jitter 0.2: a fraction of 0.5 takes 10 % off; the largest fraction almost 20 %.
        Case(policy: .init(), failures: 1, word: half, expectedMilliseconds: 90),
        Case(policy: .init(), failures: 7, word: half, expectedMilliseconds: 4500),
        Case(policy: .init(), failures: 1, word: .max, expectedMilliseconds: 80),
        // No jitter: the ceiling whatever is drawn.
        Case(
            policy: .init(base: .seconds(1), cap: .seconds(4), jitter: 0), failures: 3, word: .max,
            expectedMilliseconds: 4000),
        Case(
            policy: .init(base: .seconds(1), cap: .seconds(4), jitter: 0), failures: 4, word: half,
            expectedMilliseconds: 4000),
        // Full jitter: half of 300 ms off.
        Case(
            policy: .init(base: .milliseconds(300), cap: .seconds(1), jitter: 1), failures: 1, word: half,
            expectedMilliseconds: 150),
        // Out-of-range settings: the cap is raised to the base, the jitter clamped to 1.
        Case(
            policy: .init(base: .seconds(2), cap: .seconds(1), jitter: 0), failures: 3, word: 0,
            expectedMilliseconds: 2000),
        Case(policy: .init(jitter: 3), failures: 1, word: half, expectedMilliseconds: 50),
    ]

    @Test(arguments: cases)
    func delayAfterFailures(_ c: Case) {
        var backoff = Backoff(c.policy)
        var random = FixedRandom(word: c.word)
        var delay = Duration.zero
        for _ in 0..<c.failures { delay = backoff.nextDelay(using: &random) }
        #expect(((delay / .microseconds(1)) / 1000).rounded() == c.expectedMilliseconds)
        #expect(backoff.failures == c.failures)
    }

    @Test func aSuccessStartsOverFromTheBase() {
        var backoff = Backoff(.init(jitter: 0))
        _ = backoff.nextDelay()
        _ = backoff.nextDelay()
        #expect(backoff.nextDelay() == .milliseconds(400))
        backoff.reset()
        #expect(backoff.failures == 0)
        #expect(backoff.nextDelay() == .milliseconds(100))
    }

    @Test func systemRandomDelaysStayWithinTheJitterBand() {
        var backoff = Backoff()
        for failures in 1...10 {
            let delay = backoff.nextDelay()
            let ceiling = min(Duration.milliseconds(100) * (1 << (failures - 1)), .seconds(5))
            #expect(delay <= ceiling && delay >= ceiling * 0.8, "failure \(failures): \(delay)")
        }
    }
}
