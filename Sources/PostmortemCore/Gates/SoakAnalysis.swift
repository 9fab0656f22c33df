/// Why the soak window did not catch it: unchecked metric, loose threshold (evaluated like the
/// canary's checks), short window, unrepresentative traffic, intermittent breach.
enum SoakAnalysis {
    static func findings(_ input: GateAnalysisInput) -> [Finding] {
        var findings: [Finding] = []
        if let gate = input.passed(.soak) {
            findings += GateChecks.findings(
                input, gate: gate, area: .soak, notChecked: .soakMetricNotChecked, tooLoose: .soakThresholdTooLoose)
            findings += [
                WindowLength.finding(input, gate: gate, kind: .soakWindowTooShort, area: .soak),
                TrafficShare.finding(
                    gate, minimum: input.config.minSoakTrafficPercent, kind: .soakTrafficUnrepresentative, area: .soak,
                    summary: { "The soak ran on \($0)% of traffic, below the \($1)% that represents production." },
                    fix: { "Soak on at least \($1)% of production traffic (was \($0)%)" }),
            ].compactMap { $0 }
        }
        for metric in input.contributing where metric.breachFraction < input.config.intermittentBreachFraction {
            let percent = metric.breachFraction * 100
            findings.append(
                Finding(
                    kind: .intermittentRegression, area: .soak, qualifier: metric.metric, metric: metric.metric,
                    summary:
                        "\(metric.metric) breached in only \(formatNumber(percent))% of samples: an intermittent regression that averages hide.",
                    fix:
                        "Alert on sustained bursts of \(metric.metric) beyond \(formatNumber(metric.limit)), not on window averages",
                    evidence: [
                        "breachFraction": .number(metric.breachFraction),
                        "threshold": .number(input.config.intermittentBreachFraction),
                    ]))
        }
        return findings
    }
}
