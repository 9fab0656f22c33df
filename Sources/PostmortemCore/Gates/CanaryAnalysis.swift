/// Why the canary did not catch it: unchecked metric, loose threshold, short window, low traffic.
enum CanaryAnalysis {
    static func findings(_ input: GateAnalysisInput) -> [Finding] {
        guard let gate = input.passed(.canary) else { return [] }
        var findings: [Finding] = []
        let onsetInWindow = input.earliestOnset?.onset.map { onset in gate.finishedAt.map { onset <= $0 } ?? true } ?? false
        for metric in input.contributing {
            guard let check = gate.checks.first(where: { $0.metric == metric.metric }) else {
                findings.append(Finding(
                    kind: .canaryMetricNotChecked, area: .canary, qualifier: metric.metric, metric: metric.metric,
                    summary: "\(metric.metric) degraded from \(formatNumber(metric.baseline)) to \(formatNumber(metric.peak)) but the canary did not check it.",
                    fix: "Add a canary check on \(metric.metric) that fails \(metric.direction.rawValue) \(formatNumber(metric.limit))",
                    evidence: [
                        "baseline": .number(round2(metric.baseline)), "peak": .number(round2(metric.peak)),
                        "suggestedThreshold": .number(round2(metric.limit)),
                    ]))
                continue
            }
            let sawIt = check.observed.map { metric.direction.isWorse($0, than: metric.limit) } ?? onsetInWindow
            if check.passed != false, sawIt {
                var evidence: [String: JSONValue] = [
                    "threshold": .number(check.threshold), "baseline": .number(round2(metric.baseline)),
                    "peak": .number(round2(metric.peak)), "suggestedThreshold": .number(round2(metric.limit)),
                ]
                evidence["observed"] = check.observed.map { .number($0) }
                findings.append(Finding(
                    kind: .canaryThresholdTooLoose, area: .canary, qualifier: metric.metric, metric: metric.metric,
                    summary: "The canary check on \(metric.metric) passed with threshold \(formatNumber(check.threshold))"
                        + (check.observed.map { " at observed \(formatNumber($0))" } ?? "")
                        + " although the baseline was \(formatNumber(metric.baseline)).",
                    fix: "Tighten the canary threshold on \(metric.metric) from \(formatNumber(check.threshold)) to \(formatNumber(metric.limit))",
                    evidence: evidence))
            }
        }
        findings += [
            WindowLength.finding(input, gate: gate, kind: .canaryWindowTooShort, area: .canary),
            TrafficShare.finding(
                gate, minimum: input.config.minCanaryTrafficPercent, kind: .canaryTrafficTooLow, area: .canary,
                summary: { "The canary received \($0)% of traffic, below the \($1)% needed to see the regression." },
                fix: { "Raise canary traffic from \($0)% to at least \($1)%" }),
        ].compactMap { $0 }
        return findings
    }
}
