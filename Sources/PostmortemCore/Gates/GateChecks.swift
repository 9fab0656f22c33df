/// "The gate's checks missed the regression" — shared by canary and soak: a contributing metric
/// the gate did not check, or a check that passed although the degradation was visible to it.
/// Each finding cites the gate's replay (``GateReplay``): the rank test of its window, why it
/// missed, and the changed rule that would have failed it with its trip time and false alarms.
enum GateChecks {
    static func findings(
        _ input: GateAnalysisInput, gate: GateFinished, area: FindingArea, notChecked: FindingKind,
        tooLoose: FindingKind
    ) -> [Finding] {
        var findings: [Finding] = []
        let name = area.rawValue
        let onsetInWindow =
            input.earliestOnset?.onset.map { onset in gate.finishedAt.map { onset <= $0 } ?? true } ?? false
        for metric in input.contributing {
            guard let check = gate.checks.first(where: { $0.metric == metric.metricName }) else {
                let replay = input.replay(gate, metric)
                let proposal = replay?.thresholdProposal(metric: metric, gate: gate.gate, setting: .check)
                findings.append(
                    Finding(
                        kind: notChecked, area: area, qualifier: metric.metric, metric: metric.metric,
                        summary:
                            "\(metric.metric) degraded from \(formatNumber(metric.baseline)) to \(formatNumber(metric.peak)) but the \(name) did not check it."
                            + (replay?.judgement.map { " " + $0 } ?? "") + (proposal.map { " " + $0.sentence } ?? ""),
                        fix:
                            "Add a \(name) check on \(metric.metric) that fails \(metric.direction.rawValue) \(formatNumber(proposal?.proposed ?? metric.limit))",
                        evidence: (replay?.evidence(config: input.config, baseline: metric.baseline) ?? [:]).merging([
                            "baseline": .number(metric.baseline), "peak": .number(metric.peak),
                            "suggestedThreshold": .number(metric.limit),
                        ]) { _, own in own },
                        proposal: proposal))
                continue
            }
            let sawIt = check.observed.map { metric.direction.isWorse($0, than: metric.limit) } ?? onsetInWindow
            guard check.passed != false, sawIt else { continue }
            var evidence: [String: JSONValue] = [
                "threshold": .number(check.threshold), "baseline": .number(metric.baseline),
                "peak": .number(metric.peak), "suggestedThreshold": .number(metric.limit),
            ]
            evidence["observed"] = check.observed.map { .number($0) }
            let replay = input.replay(gate, metric)
            let proposal = replay?.thresholdProposal(metric: metric, gate: gate.gate, setting: .threshold)
            findings.append(
                Finding(
                    kind: tooLoose, area: area, qualifier: metric.metric, metric: metric.metric,
                    summary:
                        "The \(name) check on \(metric.metric) passed with threshold \(formatNumber(check.threshold))"
                        + (check.observed.map { " at observed \(formatNumber($0))" } ?? "")
                        + " although the baseline was \(formatNumber(metric.baseline))."
                        + (replay.map { alternatives($0, proposal: proposal, name: name) } ?? ""),
                    fix: tightenFix(check, metric: metric, name: name, replay: replay, proposal: proposal),
                    evidence: (replay?.evidence(config: input.config, baseline: metric.baseline) ?? [:]).merging(
                        evidence
                    ) { _, own in own },
                    proposal: proposal))
        }
        return findings
    }

    /// "Tighten … to P" (the proposal), else to just past the worst evaluation the gate saw
    /// (nothing prices a value and the correlation's limit would not have failed it), else,
    /// without a replay, to the correlation's limit.
    private static func tightenFix(
        _ check: GateCheck, metric: MetricCorrelation, name: String, replay: GateReplay?, proposal: ActionProposal?
    ) -> String {
        let prefix = "Tighten the \(name) threshold on \(metric.metric) from \(formatNumber(check.threshold)) to "
        if let proposal { return prefix + formatNumber(proposal.proposed) }
        if let critical = replay?.threshold?.critical {
            return prefix
                + "\(check.direction == .above ? "below" : "above") \(formatNumber(critical)), the worst evaluation it saw"
        }
        return prefix + formatNumber(metric.limit)
    }

    /// The judgement and the other changes that would have failed the gate, in words.
    private static func alternatives(_ replay: GateReplay, proposal: ActionProposal?, name: String) -> String {
        var text = (replay.judgement.map { " " + $0 } ?? "") + (proposal.map { " " + $0.sentence } ?? "")
        if let lookback = replay.lookback {
            text +=
                " Evaluating the last \(formatDuration(lookback.proposed)) instead of \(formatDuration(lookback.current)), it would have failed at "
                + "\(formatClock(lookback.trippedAt)) (\(price(lookback.falseAlarms, of: lookback.healthyRuns)))."
        }
        if let duration = replay.duration {
            text +=
                " A \(formatDuration(duration.proposed)) \(name) would have failed at \(formatClock(duration.trippedAt)) "
                + "(\(price(duration.falseAlarms, of: duration.healthyRuns)))."
        }
        return text
    }

    /// "2 of 20 earlier healthy deploys would have failed", or that nothing prices it.
    static func price(_ falseAlarms: Int, of runs: Int) -> String {
        runs == 0
            ? "no earlier healthy deploy to count false alarms on"
            : "\(falseAlarms) of \(runs) earlier healthy deploys would have failed"
    }
}
