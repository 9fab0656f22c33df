/// Why the canary did not catch it: unchecked metric, loose threshold, short window, low traffic.
enum CanaryAnalysis {
    static func findings(_ input: GateAnalysisInput) -> [Finding] {
        guard let gate = input.passed(.canary) else { return [] }
        return GateChecks.findings(
            input, gate: gate, area: .canary, notChecked: .canaryMetricNotChecked, tooLoose: .canaryThresholdTooLoose)
            + [
                WindowLength.finding(input, gate: gate, kind: .canaryWindowTooShort, area: .canary),
                TrafficShare.finding(
                    gate, minimum: input.config.minCanaryTrafficPercent, kind: .canaryTrafficTooLow, area: .canary,
                    summary: {
                        "The canary received \($0)% of traffic, below the \($1)% needed to see the regression."
                    },
                    fix: { "Raise canary traffic from \($0)% to at least \($1)%" }),
            ].compactMap { $0 }
    }
}
