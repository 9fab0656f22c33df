import Foundation
import Testing

@testable import PostmortemCore

/// Counterfactual replay against a brute-force reference that re-filters every point at every
/// minute, on injected regressions: table-driven with known trip minutes, and property-style
/// over seeded random series, rules and healthy deploys.
@Suite("Counterfactual replay")
struct ReplayTests {
    static let start = Fixture.start

    /// The reference: evaluate `rule` at start + k·interval through `last`, each time filtering
    /// all points anew; the trip is where the failuresToTrip-th failure happens.
    enum BruteForce {
        static func aggregate(_ rule: GateRule, _ points: [MetricPoint], at: Date) -> Double? {
            let values = points.filter { $0.at > at.addingTimeInterval(-rule.lookback) && $0.at <= at }.map(\.value)
            guard !values.isEmpty else { return nil }
            switch rule.aggregation {
            case .mean: return values.reduce(0, +) / Double(values.count)
            case .worst: return rule.direction == .above ? values.max() : values.min()
            }
        }

        static func trip(_ rule: GateRule, _ run: GateRun, through last: Date? = nil) -> Date? {
            var failures = 0
            var k = 1.0
            while run.start.addingTimeInterval(k * rule.interval) <= (last ?? run.end) {
                let at = run.start.addingTimeInterval(k * rule.interval)
                if let value = aggregate(rule, run.points, at: at), rule.direction.isWorse(value, than: rule.threshold)
                {
                    failures += 1
                    if failures >= rule.failuresToTrip { return at }
                }
                k += 1
            }
            return nil
        }

        static func falseAlarms(_ rule: GateRule, _ healthy: [GateRun], length: Double? = nil) -> Int {
            healthy.filter { trip(rule, $0, through: length.map($0.start.addingTimeInterval)) != nil }.count
        }
    }

    /// A threshold one step tighter than `value` (a rule with it fails a value equal to `value`).
    static func tighter(_ value: Double, _ direction: Direction) -> Double {
        direction == .above ? value.nextDown : value.nextUp
    }

    /// A deploy's series: `values(minute)` every `spacing` seconds from an hour before the start
    /// to `minutes` after it, skipping points for which `keep` is false.
    static func run(
        minutes: Double, gate: Double, spacing: Double = 60, start: Date = start,
        keep: (Double) -> Bool = { _ in true },
        direction: Direction = .above, _ value: (Double) -> Double
    ) -> GateRun {
        let offsets = stride(from: -3600.0, through: minutes * 60, by: spacing).filter { keep($0 / 60) }
        let points = offsets.map { MetricPoint(at: start.addingTimeInterval($0), value: value($0 / 60)) }
        return GateRun(points: points, direction: direction, start: start, end: start.addingTimeInterval(gate * 60))
    }

    static func minute(_ date: Date?) -> Double? { date.map { $0.timeIntervalSince(start) / 60 } }

    /// Noise-free steps of 30 from 100 (points every 30 s) beginning at `onset` (minutes), after a
    /// 10-minute gate: the longer gate trips at the minute the rule's arithmetic gives, e.g. a
    /// 5-minute mean (10 points, k of them stepped) is 100 + 3k.
    @Test(arguments: [
        // onset, direction, threshold, lookback s, aggregation, failures to trip, trip minute
        (17.0, Direction.above, 120.0, 60.0, Aggregation.mean, 1, 18.0),  // minute 17 averages 100 and 130
        (17, .above, 120, 300, .mean, 1, 20),  // 3k > 20 needs 7 stepped points: 17 … 20
        (17, .above, 110, 300, .mean, 1, 19),  // 3k > 10 needs 4: 17 … 18.5, seen at 19
        (17, .above, 120, 300, .worst, 1, 17),  // the worst point of the window is stepped at once
        (17, .above, 120, 60, .mean, 3, 20),  // failures at 18, 19, 20
        (12.5, .above, 120, 60, .mean, 1, 13),  // a step between evaluations is seen at the next
        (17, .below, 80, 60, .mean, 1, 18),  // the same step downwards
        (17, .below, 80, 300, .worst, 2, 18),
    ])
    func longerGateTripsAtTheMinute(
        _ onset: Double, _ direction: Direction, _ threshold: Double, _ lookback: Double, _ aggregation: Aggregation,
        _ failures: Int, _ expected: Double
    ) throws {
        let sign = direction == .above ? 1.0 : -1.0
        let regression = Self.run(minutes: 60, gate: 10, spacing: 30, direction: direction) {
            $0 >= onset ? 100 + sign * 30 : 100
        }
        let rule = GateRule(
            metric: "latency", threshold: threshold, direction: direction, lookback: lookback, aggregation: aggregation,
            failuresToTrip: failures)
        let horizon = Self.start.addingTimeInterval(58 * 60)
        let change = try #require(Counterfactual.duration(rule, regression: regression, horizon: horizon, healthy: []))
        #expect(Self.minute(change.trippedAt) == expected)
        #expect(change.trippedAt == BruteForce.trip(rule, regression, through: horizon))
        #expect(change.proposed == expected * 60)
        #expect(change.current == 600)
        // Within its own 10 minutes the rule passed, as the real gate did.
        #expect(rule.trip(in: regression.evaluations(of: rule)) == nil)
    }

    @Test func ruleThatNeverTripsProposesNoLength() {
        let regression = Self.run(minutes: 60, gate: 10) { $0 >= 17 ? 110 : 100 }
        let rule = GateRule(metric: "latency", threshold: 120, direction: .above)
        #expect(
            Counterfactual.duration(
                rule, regression: regression, horizon: Self.start.addingTimeInterval(58 * 60), healthy: []) == nil)
    }

    /// A regression the 10-minute gate saw from minute 5 (mean 115 at 5, 130 after) with a loose
    /// threshold of 150, priced over ten healthy deploys flat at 100…109: the proposal is the
    /// worst healthy value the budget allows, and trips at minute 5, when 115 exceeds it.
    @Test(arguments: [
        // budget, proposed threshold, its false alarms
        (0, 109.0, 0), (2, 107, 2), (9, 100, 9), (10, nil, 0), (-1, nil, 0),
    ])
    func thresholdPricedOverHealthyDeploys(_ budget: Int, _ threshold: Double?, _ falseAlarms: Int) throws {
        let regression = Self.run(minutes: 45, gate: 10, spacing: 30) { $0 >= 5 ? 130 : 100 }
        let healthy = (0..<10).map { i in Self.run(minutes: 20, gate: 10) { _ in 100 + Double(i) } }
        let rule = GateRule(metric: "latency", threshold: 150, direction: .above)
        let change = try #require(
            Counterfactual.threshold(rule, regression: regression, healthy: healthy, budget: budget))
        #expect(change.current == 150)
        #expect(change.critical == 130)
        #expect(Self.minute(change.trippedAtCritical) == 6)
        #expect(change.falseAlarmsAtCritical == 0)
        #expect(change.healthyRuns == 10)
        #expect(change.proposed?.threshold == threshold)
        if threshold != nil {
            #expect(Self.minute(change.proposed?.trippedAt) == 5)
            #expect(change.proposed?.falseAlarms == falseAlarms)
        }
        #expect(Counterfactual.falseAlarms(rule.with(threshold: 104.5), healthy: healthy) == 5)
    }

    /// A two-minute spike of +100 (minutes 6 and 7) that a 10-minute mean dilutes to 120 under a
    /// threshold of 130: k one-minute points with both spikes average 100 + 200/k, above 130 for
    /// k ≤ 6, so the nearest lookback that trips is 6 minutes, at minute 7.
    @Test func shorterLookbackCatchesASpike() throws {
        let regression = Self.run(minutes: 30, gate: 10) { (6...7).contains($0) ? 200 : 100 }
        let healthy = (0..<4).map { i in Self.run(minutes: 30, gate: 10) { $0 == Double(i + 2) ? 250 : 100 } }
        let rule = GateRule(metric: "latency", threshold: 130, direction: .above, lookback: 600)
        #expect(rule.trip(in: regression.evaluations(of: rule)) == nil)
        let change = try #require(Counterfactual.lookback(rule, regression: regression, healthy: healthy))
        #expect(change.current == 600)
        #expect(change.proposed == 360)
        #expect(Self.minute(change.trippedAt) == 7)
        // One healthy spike of 250 in 6 points is 125: no false alarm; a 1-minute lookback would fail all four.
        #expect(change.falseAlarms == 0)
        #expect(
            Counterfactual.lookback(rule, regression: regression, healthy: healthy, candidates: [60])?.falseAlarms == 4)
        #expect(Counterfactual.lookback(rule, regression: regression, healthy: healthy, candidates: [420, 480]) == nil)
    }

    /// A series with conflicting values at one timestamp replays its worst, as the correlation reads it.
    @Test func duplicatesReplayTheirWorst() {
        let at = Self.start.addingTimeInterval(60)
        let above = GateRun(
            points: [MetricPoint(at: at, value: 150), MetricPoint(at: at, value: 90)], direction: .above,
            start: Self.start, end: at)
        let below = GateRun(
            points: [MetricPoint(at: at, value: 150), MetricPoint(at: at, value: 90)], direction: .below,
            start: Self.start, end: at)
        #expect(above.points.map(\.value) == [150])
        #expect(below.points.map(\.value) == [90])
        #expect(GateRule(metric: "m", threshold: 100, direction: .above, interval: 0).isValid == false)
        #expect(
            above.evaluations(of: GateRule(metric: "m", threshold: 100, direction: .above, failuresToTrip: 0)).isEmpty)
    }

    /// Property: over seeded random regressions, rules and healthy deploys, every figure of the
    /// replay equals what the brute force finds minute by minute.
    @Test func agreesWithBruteForce() throws {
        var random = SplitMix64(seed: 15)
        var checked = (threshold: 0, proposal: 0, duration: 0, beyondGate: 0, lookback: 0)
        for _ in 0..<150 {
            let direction: Direction = random.uniform() < 0.5 ? .above : .below
            let sign = direction == .above ? 1.0 : -1.0
            let spacing = [15.0, 30, 60][Int(random.uniform() * 3)]
            let gate = Double(5 + Int(random.uniform() * 20))
            let onset = random.uniform() * 40
            let magnitude = 5 + random.uniform() * 60
            let rampMinutes = random.uniform() < 0.5 ? 0 : random.uniform() * 10
            let gap = (from: random.uniform() * 30, length: random.uniform() * 4)
            var noise = SplitMix64(seed: random.next())
            let regression = Self.run(
                minutes: 60, gate: gate, spacing: spacing, keep: { !($0 >= gap.from && $0 < gap.from + gap.length) },
                direction: direction
            ) { minute in
                let ramp = minute < onset ? 0 : rampMinutes == 0 ? 1 : min(1, (minute - onset) / rampMinutes)
                return 200 + sign * magnitude * ramp + noise.normal(sd: 4)
            }
            let healthy = (0..<8).map { _ in
                Self.run(
                    minutes: 40, gate: gate, spacing: spacing,
                    start: Self.start.addingTimeInterval(-86_400 * (1 + random.uniform() * 30)), direction: direction
                ) { _ in
                    200 + noise.normal(sd: 4)
                }
            }
            let rule = GateRule(
                metric: "m", threshold: 200 + sign * magnitude * (0.3 + random.uniform() * 0.9), direction: direction,
                lookback: [60.0, 120, 300][Int(random.uniform() * 3)], interval: [30.0, 60][Int(random.uniform() * 2)],
                aggregation: random.uniform() < 0.5 ? .mean : .worst, failuresToTrip: 1 + Int(random.uniform() * 3))
            let budget = Int(random.uniform() * 3)
            let horizon = Self.start.addingTimeInterval(55 * 60)

            // The rule as is.
            #expect(rule.trip(in: regression.evaluations(of: rule))?.at == BruteForce.trip(rule, regression))
            #expect(Counterfactual.falseAlarms(rule, healthy: healthy) == BruteForce.falseAlarms(rule, healthy))

            if let change = Counterfactual.threshold(rule, regression: regression, healthy: healthy, budget: budget) {
                checked.threshold += 1
                // Exactly the critical value passes; one step tighter trips, when the replay says.
                #expect(BruteForce.trip(rule.with(threshold: change.critical), regression) == nil)
                let boundary = rule.with(threshold: Self.tighter(change.critical, direction))
                #expect(BruteForce.trip(boundary, regression) == change.trippedAtCritical)
                #expect(BruteForce.falseAlarms(boundary, healthy) == change.falseAlarmsAtCritical)
                if let proposal = change.proposed {
                    checked.proposal += 1
                    let proposed = rule.with(threshold: proposal.threshold)
                    #expect(BruteForce.trip(proposed, regression) == proposal.trippedAt)
                    #expect(BruteForce.falseAlarms(proposed, healthy) == proposal.falseAlarms)
                    #expect(proposal.falseAlarms <= budget)
                    // The tightest within budget: one step tighter costs more false alarms.
                    #expect(
                        BruteForce.falseAlarms(
                            rule.with(threshold: Self.tighter(proposal.threshold, direction)), healthy) > budget)
                } else {
                    // No acceptable threshold: the budget's threshold misses the regression.
                    let criticals = healthy.compactMap { Counterfactual.critical(rule, in: $0.evaluations(of: rule)) }
                    #expect(criticals.count <= budget || BruteForce.falseAlarms(boundary, healthy) > budget)
                }
            } else {
                #expect(regression.evaluations(of: rule).count < rule.failuresToTrip)
            }

            if random.uniform() < 0.3 {
                // Nearest lookback first (ties: shorter), each replayed by the brute force until one trips.
                let length = regression.end.timeIntervalSince(regression.start)
                let nearestFirst = stride(from: rule.interval, through: length, by: rule.interval)
                    .sorted { (abs($0 - rule.lookback), $0) < (abs($1 - rule.lookback), $1) }
                let expected = nearestFirst.lazy.compactMap { candidate -> (GateRule, Date)? in
                    var changed = rule
                    changed.lookback = candidate
                    return BruteForce.trip(changed, regression).map { (changed, $0) }
                }.first
                let change = Counterfactual.lookback(rule, regression: regression, healthy: healthy)
                #expect(change?.proposed == expected?.0.lookback)
                #expect(change?.trippedAt == expected?.1)
                if let change, let expected {
                    checked.lookback += 1
                    #expect(change.falseAlarms == BruteForce.falseAlarms(expected.0, healthy))
                }
            }

            let duration = Counterfactual.duration(rule, regression: regression, horizon: horizon, healthy: healthy)
            #expect(duration?.trippedAt == BruteForce.trip(rule, regression, through: horizon))
            if let duration {
                checked.duration += 1
                if duration.trippedAt > regression.end { checked.beyondGate += 1 }
                #expect(duration.proposed == duration.trippedAt.timeIntervalSince(regression.start))
                #expect(duration.falseAlarms == BruteForce.falseAlarms(rule, healthy, length: duration.proposed))
            }
        }
        // The draws exercise every branch.
        #expect(checked.threshold > 100 && checked.proposal > 30 && checked.proposal < checked.threshold)
        #expect(checked.duration > 30 && checked.duration < 150 && checked.beyondGate > 10 && checked.lookback > 10)
        print("replay agreed with brute force: \(checked)")
    }

    /// One cause per gate and metric, in the documented order.
    @Test(arguments: [
        // outcome, checks latency, onset minute, degradation, cause
        (GateOutcome.bypassed, true, 5.0 as Double?, "significant", MissCause.bypassed as MissCause?),
        (.skipped, false, nil, "none", .bypassed),
        (.failed, true, 5, "significant", nil),
        (.passed, false, 5, "significant", .metricNotGated),
        (.passed, true, 5, "none", .erroredTreatedAsPass),
        (.passed, true, 14, "flat", .endedBeforeOnset),
        (.passed, true, 14, "significant", .endedBeforeOnset),
        (.passed, true, 5, "significant", .tooLoose),
        (.passed, true, 5, "flat", .underpowered),
        (.passed, true, nil, "flat", .underpowered),
    ])
    func missCause(
        _ outcome: GateOutcome, _ checksLatency: Bool, _ onset: Double?, _ judged: String, _ cause: MissCause?
    ) throws {
        var random = SplitMix64(seed: 3)
        let baseline = random.normals(60, mean: 250, sd: 20)
        let degradation: Degradation? =
            switch judged {
            case "significant":
                try Degradation(baseline: baseline, window: random.normals(10, mean: 320, sd: 20), direction: .above)
            case "flat":
                try Degradation(baseline: baseline, window: random.normals(3, mean: 255, sd: 20), direction: .above)
            default: nil
            }
        let check = GateCheck(
            metric: checksLatency ? "latency_p99_ms" : "error_rate", threshold: 500, direction: .above, passed: true)
        let gate = GateFinished(
            deployId: "d1", gate: .canary, outcome: outcome, startedAt: Self.start,
            finishedAt: Self.start.addingTimeInterval(600),
            checks: [check])
        let at = onset.map { Self.start.addingTimeInterval($0 * 60) }
        #expect(MissCause.classify(gate: gate, metric: "latency_p99_ms", onset: at, degradation: degradation) == cause)
        #expect(degradation.map { $0.significant == (judged == "significant") } ?? true)
    }
}
