import Testing

@testable import PostmortemCore

/// The rank test's error rates over simulated canaries (seeded, so a failure replays).
@Suite("Statistics simulation")
struct StatisticsSimulationTests {
    /// Share of `canaries` healthy canaries (canary and baseline drawn from one distribution) the
    /// one-sided test at `alpha` flags.
    static func falseAlarmRate(
        seed: UInt64, canaries: Int, baseline: Int, canary: Int, alpha: Double = 0.05,
        draw: (inout SplitMix64) -> Double
    ) throws -> Double {
        var random = SplitMix64(seed: seed)
        var alarms = 0
        for _ in 0..<canaries {
            let before = (0..<baseline).map { _ in draw(&random) }
            let after = (0..<canary).map { _ in draw(&random) }
            if try MannWhitneyU.test(after, before, alternative: .greater).pValue <= alpha { alarms += 1 }
        }
        return Double(alarms) / Double(canaries)
    }

    /// 10,000 healthy canaries of 20 points against a 60-point baseline: the false-alarm rate at
    /// nominal 5 % lands in [4 %, 6 %] (its standard error is 0.22 points).
    @Test func falseAlarmRateIsNominal() throws {
        let rate = try Self.falseAlarmRate(seed: 20_261_129, canaries: 10_000, baseline: 60, canary: 20) {
            $0.normal(mean: 250, sd: 30)
        }
        print("false-alarm rate at nominal 5 %, continuous latency: \(rate * 100) %")
        #expect((0.04...0.06).contains(rate))
    }

    /// The same with a quantised metric (whole milliseconds, heavy ties): the tie correction keeps
    /// the rate nominal.
    @Test func falseAlarmRateIsNominalWithTies() throws {
        let rate = try Self.falseAlarmRate(seed: 42, canaries: 10_000, baseline: 60, canary: 20) {
            $0.normal(mean: 12, sd: 1.5).rounded()
        }
        print("false-alarm rate at nominal 5 %, quantised metric: \(rate * 100) %")
        #expect((0.04...0.06).contains(rate))
    }

    /// At the minimum detectable effect the test detects about as often as the power it was
    /// computed for (80 %; Noether's approximation, 2,000 canaries, standard error 0.9 points).
    @Test func detectableEffectHasItsPower() throws {
        let shift = try #require(try DetectableEffect.minimumShift(baselineCount: 60, canaryCount: 20, noise: 30))
        var random = SplitMix64(seed: 99)
        var detected = 0
        for _ in 0..<2_000 {
            let before = random.normals(60, mean: 250, sd: 30)
            let after = random.normals(20, mean: 250 + shift, sd: 30)
            if try MannWhitneyU.test(after, before, alternative: .greater).pValue <= 0.05 { detected += 1 }
        }
        let power = Double(detected) / 2_000
        print("power at the detectable shift \(shift): \(power * 100) %")
        #expect((0.76...0.84).contains(power))
    }
}
