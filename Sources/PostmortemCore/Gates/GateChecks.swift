/// "The gate's checks missed the regression" — shared by canary and soak: a contributing metric
/// the gate did not check, or a check that passed although the degradation was visible to it.
enum GateChecks {
    static func findings(
        _ input: GateAnalysisInput, gate: GateFinished, area: FindingArea, notChecked: FindingKind, tooLoose: FindingKind
    ) -> [Finding] {
        var findings: [Finding] = []
        let name = area.rawValue
        let onsetInWindow = input.earliestOnset?.onset.map { onset in gate.finishedAt.map { onset <= $0 } ?? true } ?? false
        for metric in input.contributing {
            guard let check = gate.checks.first(where: { $0.metric == metric.metricName }) else {
                findings.append(Finding(
                    kind: notChecked, area: area, qualifier: metric.metric, metric: metric.metric,
                    summary: "\(metric.metric) degraded from \(formatNumber(metric.baseline)) to \(formatNumber(metric.peak)) but the \(name) did not check it.",
                    fix: "Add a \(name) check on \(metric.metric) that fails \(metric.direction.rawValue) \(formatNumber(metric.limit))",
                    evidence: [
                        "baseline": .number(metric.baseline), "peak": .number(metric.peak),
                        "suggestedThreshold": .number(metric.limit),
                    ]))
                continue
            }
            let sawIt = check.observed.map { metric.direction.isWorse($0, than: metric.limit) } ?? onsetInWindow
            guard check.passed != false, sawIt else { continue }
            var evidence: [String: JSONValue] = [
                "threshold": .number(check.threshold), "baseline": .number(metric.baseline),
                "peak": .number(metric.peak), "suggestedThreshold": .number(metric.limit),
            ]
            evidence["observed"] = check.observed.map { .number($0) }
            findings.append(Finding(
                kind: tooLoose, area: area, qualifier: metric.metric, metric: metric.metric,
                summary: "The \(name) check on \(metric.metric) passed with threshold \(formatNumber(check.threshold))"
                    + (check.observed.map { " at observed \(formatNumber($0))" } ?? "")
                    + " although the baseline was \(formatNumber(metric.baseline)).",
                fix: "Tighten the \(name) threshold on \(metric.metric) from \(formatNumber(check.threshold)) to \(formatNumber(metric.limit))",
                evidence: evidence))
        }
        return findings
    }
}
